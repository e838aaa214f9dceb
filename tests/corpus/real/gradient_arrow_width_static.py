from manim import *
import numpy as np


class GradientFieldScene(Scene):
    """The gradient of f(x, y) = x^2 + y^2 points uphill, everywhere."""

    def construct(self):
        title = MathTex(r"\nabla f = \left(\frac{\partial f}{\partial x}, \frac{\partial f}{\partial y}\right)")
        title.to_edge(UP)
        self.play(Write(title))

        plane = NumberPlane(x_range=[-4, 4, 1], y_range=[-3, 3, 1]).shift(DOWN * 0.3)
        self.play(Create(plane), run_time=1.5)

        level_sets = VGroup(*[Circle(radius=r, color=BLUE_B, stroke_opacity=0.6).move_to(plane.c2p(0, 0))
                              for r in (0.6, 1.2, 1.8, 2.4)])
        self.play(Create(level_sets), run_time=2)

        arrows = VGroup()
        for x in np.arange(-3, 3.1, 1.5):
            for y in np.arange(-2, 2.1, 1.0):
                if x == 0 and y == 0:
                    continue
                start = plane.c2p(x, y)
                end = plane.c2p(x + 0.25 * x, y + 0.25 * y)
                arrows.add(Arrow(start, end, buff=0, color=YELLOW, width=3))
        self.play(LaggedStart(*[GrowArrow(a) for a in arrows], lag_ratio=0.05), run_time=3)

        formula = MathTex(r"\nabla f = (2x, 2y)", color=YELLOW).to_corner(DR)
        self.play(Write(formula))
        self.wait(1)

        # follow the gradient from a starting point: steepest ascent
        path_points = [plane.c2p(0.4, -0.3)]
        x, y = 0.4, -0.3
        for _ in range(6):
            x, y = x * 1.35, y * 1.35
            path_points.append(plane.c2p(x, y))
        path = VMobject(color=RED).set_points_smoothly(path_points)
        walker = Dot(path_points[0], color=RED)
        self.play(FadeIn(walker))
        self.play(MoveAlongPath(walker, path), Create(path), run_time=3)

        note = Text("Gradients cross level sets at right angles", font_size=26).to_edge(DOWN)
        self.play(FadeIn(note, shift=UP * 0.2))
        self.wait(2)
