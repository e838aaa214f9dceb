# redirects Manim's output directory
# expect: step=safety kind=forbidden-config line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        config.media_dir = '/home'
        self.add(Circle())
