# the class does not subclass Scene
# expect: step=contract kind=no-scene-class line=6 fixable=no
from manim import *


class Demo(VGroup):
    def construct(self):
        self.add(Circle())
