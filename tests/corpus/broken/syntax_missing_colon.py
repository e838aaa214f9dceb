# def line without its colon
# expect: step=syntax kind=syntax-error line=7 fixable=no
from manim import *


class Demo(Scene):
    def construct(self)
        self.add(Circle())
