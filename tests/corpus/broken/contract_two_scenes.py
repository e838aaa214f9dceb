# two scenes in one file
# expect: step=contract kind=extra-scene line=11 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        self.play(Create(Circle()))


class Outro(Scene):
    def construct(self):
        self.play(Write(Text('Thanks')))
