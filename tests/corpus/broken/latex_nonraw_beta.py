# "\beta" holds a backspace
# expect: step=latex kind=nonraw-escape line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        b = MathTex("\beta = 0.5")
        self.add(b)
