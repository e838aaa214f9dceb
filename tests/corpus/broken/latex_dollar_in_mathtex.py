# $...$ inside MathTex
# expect: step=latex kind=dollar-in-mathtex line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex(r"$a^2 + b^2 = c^2$")
        self.play(Write(eq))
