# the animation is in a misnamed method
# expect: step=contract kind=no-construct line=6 fixable=no
from manim import *


class Demo(Scene):
    def build(self):
        self.play(Create(Circle()))
