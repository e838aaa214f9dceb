# LaTeX that reads a file into the video
# expect: step=safety kind=tex-file-access line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        secret = Tex(r'\input{/etc/passwd}')
        self.add(secret)
