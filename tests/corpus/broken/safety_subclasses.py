# the classic object-subclasses escape
# expect: step=safety kind=dunder line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        classes = ().__class__.__bases__[0].__subclasses__()
        self.add(Text(str(len(classes))))
