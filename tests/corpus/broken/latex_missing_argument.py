# \frac with one argument
# expect: step=latex kind=latex-error line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex(r"y = \frac{1}")
        self.add(eq)
