# a missing closing brace (Manim would add it)
# expect: step=latex kind=unbalanced-braces line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex(r"\frac{1}{2")
        self.play(Write(eq))
