# draws an SVG file
# expect: step=safety kind=file-access line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        icon = SVGMobject('icons/gear.svg')
        self.play(DrawBorderThenFill(icon))
