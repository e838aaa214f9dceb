# "\theta" holds a tab
# expect: step=latex kind=nonraw-escape line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        label = Tex("The angle $\theta$")
        self.add(label)
