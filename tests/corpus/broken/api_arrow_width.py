# Arrow(width=...) instead of stroke_width
# expect: step=api kind=bad-kwarg line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        arrow = Arrow(LEFT, RIGHT, width=3)
        self.play(GrowArrow(arrow))
