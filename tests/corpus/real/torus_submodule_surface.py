"""The torus as a surface of revolution, with a camera that circles it."""

import warnings

import numpy as np
from manim import *
from manim.mobject.three_d.three_dimensions import Surface
from manim.mobject.text.tex_mobject import MathTex

warnings.filterwarnings("ignore")

R_MAJOR = 2.0
R_MINOR = 0.7


def torus_point(u, v):
    """Point on the torus for angles u (around the tube) and v (around the axis)."""
    return np.array([
        (R_MAJOR + R_MINOR * np.cos(u)) * np.cos(v),
        (R_MAJOR + R_MINOR * np.cos(u)) * np.sin(v),
        R_MINOR * np.sin(u),
    ])


class TorusScene(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(phi=70 * DEGREES, theta=-40 * DEGREES, zoom=0.9)

        title = Text("A torus", font_size=40).to_edge(UP)
        self.add_fixed_in_frame_mobjects(title)
        self.play(FadeIn(title))

        axes = ThreeDAxes(x_range=[-3, 3, 1], y_range=[-3, 3, 1], z_range=[-1.5, 1.5, 1],
                          x_length=6, y_length=6, z_length=3)
        self.play(Create(axes), run_time=1)

        torus = Surface(
            torus_point,
            u_range=[0, TAU], v_range=[0, TAU],
            resolution=(12, 24),
            fill_opacity=0.85,
            checkerboard_colors=[TEAL_D, TEAL_E],
            stroke_width=0.3,
        )
        self.play(Create(torus), run_time=2)

        param = MathTex(
            r"\mathbf{r}(u,v) = \big((R + r\cos u)\cos v,\ (R + r\cos u)\sin v,\ r\sin u\big)",
            font_size=30,
        ).to_edge(DOWN)
        self.add_fixed_in_frame_mobjects(param)
        self.play(Write(param))

        # let the camera circle the surface
        self.begin_ambient_camera_rotation(rate=0.35)
        self.wait(4)
        self.stop_ambient_camera_rotation()

        area = MathTex(r"A = 4\pi^2 R r", color=YELLOW, font_size=40).to_corner(UR).shift(DOWN * 0.8)
        self.add_fixed_in_frame_mobjects(area)
        self.play(Write(area))
        self.move_camera(phi=45 * DEGREES, theta=30 * DEGREES, run_time=3)
        self.wait(1)
