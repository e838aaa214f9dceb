# old CE TextMobject
# expect: step=api kind=old-api line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        title = TextMobject('Derivatives')
        self.play(Write(title))
