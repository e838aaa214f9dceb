# a misspelled class name
# expect: step=api kind=unknown-name line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        c = Cirle(radius=2)
        self.play(Create(c))
