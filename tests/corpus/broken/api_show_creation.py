# ManimGL's ShowCreation
# expect: step=api kind=old-api line=9 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle(color=BLUE)
        self.play(ShowCreation(c))
        self.wait()
