# indexing past the parts of a formula
# expect: step=api kind=no-such-part line=10 fixable=no preflight=runtime-error
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex("a", "+", "b")
        self.add(eq)
        self.play(Indicate(eq[5]))
