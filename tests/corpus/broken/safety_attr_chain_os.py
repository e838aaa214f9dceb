# reaches os through Manim's own modules
# expect: step=safety kind=forbidden-attribute line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        files = utils.file_ops.os.listdir('.')
        self.add(Text(str(len(files))))
