# "\xi" in a non-raw string is a truncated \x escape
# expect: step=syntax kind=syntax-error line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        label = MathTex("\xi = 1")
        self.add(label)
