# "\nabla" holds a newline
# expect: step=latex kind=nonraw-escape line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        grad = MathTex("\nabla f = 0")
        self.add(grad)
