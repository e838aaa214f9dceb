# GraphScene was removed
# expect: step=api kind=old-api line=6 fixable=no
from manim import *


class Demo(GraphScene):
    def construct(self):
        self.setup_axes()
        self.wait()
