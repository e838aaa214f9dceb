# math without $ in Tex
# expect: step=latex kind=latex-error line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        label = Tex(r"x^2 + y^2 = r^2")
        self.add(label)
