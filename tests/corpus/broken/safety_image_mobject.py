# shows an image file
# expect: step=safety kind=file-access line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        logo = ImageMobject('logo.png')
        self.add(logo)
