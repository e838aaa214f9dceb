# old Axes(x_min=..., x_max=...)
# expect: step=api kind=bad-kwarg line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        axes = Axes(x_min=-1, x_max=5)
        self.play(Create(axes))
