# self.camera.frame in a plain Scene
# expect: step=api kind=camera-frame line=10 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        dot = Dot()
        self.add(dot)
        self.play(self.camera.frame.animate.scale(0.5).move_to(dot))
