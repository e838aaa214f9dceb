# an old name imported explicitly
# expect: step=api kind=old-api line=3 fixable=yes
from manim import Circle, Scene, ShowCreation


class Demo(Scene):
    def construct(self):
        self.play(ShowCreation(Circle()))
