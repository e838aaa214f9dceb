from manim import *
import numpy as np


class SaddleSurfaceScene(ThreeDScene):
    """The hyperbolic paraboloid z = x^2 - y^2 and its saddle point, seen from a moving camera."""

    def construct(self):
        axes = ThreeDAxes(
            x_range=[-2, 2, 1], y_range=[-2, 2, 1], z_range=[-3, 3, 1],
            x_length=5, y_length=5, z_length=4,
        )
        labels = axes.get_axis_labels(x_label="x", y_label="y", z_label="z")
        self.set_camera_orientation(phi=70 * DEGREES, theta=-50 * DEGREES)

        title = Text("A saddle point", font_size=38).to_corner(UL)
        equation = MathTex(r"z = x^2 - y^2", font_size=40).to_corner(UR)
        self.add_fixed_in_frame_mobjects(title, equation)
        self.play(Write(title), Write(equation))
        self.play(Create(axes), FadeIn(labels), run_time=1.5)

        saddle = Surface(
            lambda u, v: axes.c2p(u, v, 0.7 * (u**2 - v**2)),
            u_range=[-1.8, 1.8], v_range=[-1.8, 1.8],
            resolution=(16, 16),
            fill_opacity=0.8,
        )
        saddle.set_fill_by_value(axes=axes, colorscale=[(BLUE, -2), (GREEN, 0), (YELLOW, 2)], axis=2)
        self.play(Create(saddle), run_time=2.5)

        # the two principal curves through the origin
        up_curve = ParametricFunction(lambda t: axes.c2p(t, 0, 0.7 * t**2), t_range=[-1.8, 1.8], color=RED)
        down_curve = ParametricFunction(lambda t: axes.c2p(0, t, -0.7 * t**2), t_range=[-1.8, 1.8], color=WHITE)
        origin = Dot3D(axes.c2p(0, 0, 0), color=RED, radius=0.1)
        self.play(Create(up_curve), Create(down_curve), FadeIn(origin))

        # the camera walks around the saddle
        self.move_camera(phi=60 * DEGREES, theta=20 * DEGREES, run_time=3)
        hessian = MathTex(
            r"H = \begin{pmatrix} 2 & 0 \\ 0 & -2 \end{pmatrix}", font_size=36
        ).to_corner(DR)
        self.add_fixed_in_frame_mobjects(hessian)
        self.play(Write(hessian))
        self.move_camera(phi=80 * DEGREES, theta=100 * DEGREES, run_time=3)

        verdict = Text("det H < 0: neither max nor min", font_size=28).to_edge(DOWN)
        self.add_fixed_in_frame_mobjects(verdict)
        self.play(FadeIn(verdict))
        self.wait(1.5)
