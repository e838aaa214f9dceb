# a method Manim does not have
# expect: step=api kind=unknown-attribute line=10 fixable=no preflight=runtime-error
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle()
        self.add(c)
        c.get_nonexistent()
