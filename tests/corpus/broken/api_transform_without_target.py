# Transform without a target
# expect: step=api kind=missing-argument line=10 fixable=no preflight=runtime-error
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle()
        self.add(c)
        self.play(Transform(c))
