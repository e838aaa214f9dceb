# reads data points from a file
# expect: step=safety kind=forbidden-name line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        data = open('points.csv').read().split()
        self.add(Text(data[0]))
