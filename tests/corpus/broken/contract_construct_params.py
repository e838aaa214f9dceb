# construct takes a parameter
# expect: step=contract kind=bad-construct line=7 fixable=no
from manim import *


class Demo(Scene):
    def construct(self, radius):
        self.play(Create(Circle(radius=radius)))
