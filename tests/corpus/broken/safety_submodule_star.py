# a star import from a Manim submodule (models write `from manim.opengl import *`)
# expect: step=safety kind=submodule-star line=3 fixable=yes
from manim.mobject.geometry.arc import *


class Demo(Scene):
    def construct(self):
        self.play(Create(Circle()), run_time=0.5)
