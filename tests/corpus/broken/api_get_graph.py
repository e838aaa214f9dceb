# axes.get_graph (now plot)
# expect: step=api kind=old-api line=9 fixable=yes
from manim import *


class Demo(Scene):
    def construct(self):
        axes = Axes(x_range=[-3, 3], y_range=[0, 9])
        graph = axes.get_graph(lambda x: x**2, color=YELLOW)
        self.play(Create(axes), Create(graph))
