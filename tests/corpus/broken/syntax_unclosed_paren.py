# a call never closed (truncated answer)
# expect: step=syntax kind=syntax-error line=9 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle()
        self.play(Create(c)
        self.wait()
