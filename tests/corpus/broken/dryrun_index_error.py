# indexing past the parts of a formula
# expect: step=dryrun kind=runtime-error line=10 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex("a", "+", "b")
        self.add(eq)
        self.play(Indicate(eq[5]))
