# np.trapz was removed in NumPy 2
# expect: step=api kind=old-api line=10 fixable=yes
from manim import *
import numpy as np


class Demo(Scene):
    def construct(self):
        xs = np.linspace(0, 1, 50)
        area = np.trapz(xs**2, xs)
        self.add(DecimalNumber(area))
