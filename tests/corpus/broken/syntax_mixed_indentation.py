# a line indented one level too deep
# expect: step=syntax kind=indentation-error line=9 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle()
            self.play(Create(c))
