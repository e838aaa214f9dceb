# two scenes in one file (chapters are fine), but the second has no construct
# expect: step=contract kind=no-construct line=11 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        self.play(Create(Circle()))


class Outro(Scene):
    def build(self):
        self.play(Write(Text('Thanks')))
