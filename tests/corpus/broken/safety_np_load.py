# loads data with numpy
# expect: step=safety kind=file-access line=9 fixable=no
from manim import *
import numpy as np


class Demo(Scene):
    def construct(self):
        pts = np.load('points.npy')
        self.add(VGroup(*[Dot(p) for p in pts]))
