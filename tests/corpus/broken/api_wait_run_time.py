# self.wait(run_time=...) (wait takes duration)
# expect: step=api kind=bad-kwarg line=9 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        self.add(Square())
        self.wait(run_time=2)
