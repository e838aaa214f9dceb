# old CE TexMobject
# expect: step=api kind=old-api line=8 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        eq = TexMobject(r'e^{i\pi} + 1 = 0')
        self.play(Write(eq))
