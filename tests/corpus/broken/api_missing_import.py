# no `from manim import *`
# expect: step=api kind=missing-import line=1 fixable=yes
import numpy as np


class Demo(Scene):
    def construct(self):
        self.play(Create(Circle()))
