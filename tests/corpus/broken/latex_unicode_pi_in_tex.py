# π and ² typed as Unicode in Tex
# expect: step=latex kind=unicode-math line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        area = Tex("Area = π r²")
        self.add(area)
