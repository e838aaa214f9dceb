# ThreeDScene's camera method in a Scene
# expect: step=api kind=unknown-attribute line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        self.set_camera_orientation(phi=75 * DEGREES)
        self.add(Sphere())
