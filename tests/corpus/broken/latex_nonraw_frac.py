# "\frac" holds a form feed
# expect: step=latex kind=nonraw-escape line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        half = MathTex("\frac{1}{2}")
        self.play(Write(half))
