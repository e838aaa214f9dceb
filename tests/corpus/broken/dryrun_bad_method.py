# a method Manim does not have
# expect: step=dryrun kind=runtime-error line=10 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle()
        self.add(c)
        c.get_nonexistent()
