# Unicode integral sign
# expect: step=latex kind=unicode-math line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        eq = MathTex("∫_0^1 x^2 dx")
        self.play(Write(eq))
