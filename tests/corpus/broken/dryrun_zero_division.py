# a slope with equal x values
# expect: step=dryrun kind=runtime-error line=9 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        x1, x2 = 1.0, 1.0
        slope = (4.0 - 1.0) / (x2 - x1)
        self.add(DecimalNumber(slope))
