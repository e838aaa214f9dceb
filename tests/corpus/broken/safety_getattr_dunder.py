# getattr with a dunder name
# expect: step=safety kind=dynamic-attribute line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        klass = getattr(Circle(), '__class__')
        self.add(klass())
