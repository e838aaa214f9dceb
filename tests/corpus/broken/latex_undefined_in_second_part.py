# a bad command in one part of a multi-part MathTex
# expect: step=latex kind=latex-error line=9 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        a = MathTex(r"a^2 + b^2")
        eq = MathTex(r"c^2", "=", r"\mathbbm{R}")
        self.add(a, eq)
