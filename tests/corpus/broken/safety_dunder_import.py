# imports os through __import__
# expect: step=safety kind=dunder line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        cwd = __import__('os').getcwd()
        self.add(Text(cwd))
