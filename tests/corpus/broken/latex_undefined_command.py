# a command that does not exist
# expect: step=latex kind=latex-error line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex(r"\foo{x} + 1")
        self.add(eq)
