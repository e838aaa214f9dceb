# FadeInFromDown (now FadeIn(shift=UP))
# expect: step=api kind=old-api line=9 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        t = Text('Hello')
        self.play(FadeInFromDown(t))
