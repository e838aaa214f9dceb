# reads an environment variable through os
# expect: step=safety kind=forbidden-import line=4 fixable=no
from manim import *
import os


class Demo(Scene):
    def construct(self):
        self.add(Text(os.environ.get('USER', 'me')))
