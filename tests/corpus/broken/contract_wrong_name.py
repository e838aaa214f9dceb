# the model named the scene itself
# expect: step=contract kind=wrong-scene-name line=6 fixable=yes
from manim import *


class PythagoreanTheorem(Scene):
    def construct(self):
        self.play(Create(Square()))
