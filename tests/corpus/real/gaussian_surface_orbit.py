from manim import *
import numpy as np

SIGMA = 0.8


def gaussian(x, y):
    return 2.5 * np.exp(-(x**2 + y**2) / (2 * SIGMA**2))


class GaussianSurfaceScene(ThreeDScene):
    def construct(self):
        # 3D axes and a camera looking down at an angle
        axes = ThreeDAxes(x_range=[-3, 3, 1], y_range=[-3, 3, 1], z_range=[0, 3, 1],
                          x_length=6, y_length=6, z_length=3)
        self.set_camera_orientation(phi=65 * DEGREES, theta=30 * DEGREES, zoom=0.85)
        self.add(axes)

        title = Tex(r"The two-dimensional Gaussian", font_size=42).to_edge(UP)
        self.add_fixed_in_frame_mobjects(title)
        self.play(Write(title))

        density = MathTex(
            r"p(x,y) = \frac{1}{2\pi\sigma^2} e^{-\frac{x^2+y^2}{2\sigma^2}}", font_size=36
        ).to_corner(DL)
        self.add_fixed_in_frame_mobjects(density)
        self.play(Write(density))

        surface = Surface(
            lambda u, v: axes.c2p(u, v, gaussian(u, v)),
            u_range=[-2.6, 2.6], v_range=[-2.6, 2.6],
            resolution=(18, 18),
            should_make_jagged=False,
        )
        surface.set_style(fill_opacity=0.85, stroke_width=0.4, stroke_color=WHITE)
        surface.set_fill_by_value(axes=axes, colorscale=[(PURPLE, 0), (BLUE, 0.8), (YELLOW, 2.5)], axis=2)
        self.play(Create(surface), run_time=2)

        # orbit the camera while the surface is shown
        self.begin_ambient_camera_rotation(rate=0.4)
        self.wait(4)

        # level set at one standard deviation
        ring = ParametricFunction(
            lambda t: axes.c2p(SIGMA * np.cos(t), SIGMA * np.sin(t), gaussian(SIGMA, 0)),
            t_range=[0, TAU], color=RED, stroke_width=5,
        )
        self.play(Create(ring), run_time=1.5)
        self.wait(2)
        self.stop_ambient_camera_rotation()

        normalisation = MathTex(r"\iint_{\mathbb{R}^2} p(x,y)\,dx\,dy = 1", color=YELLOW, font_size=36).to_corner(DR)
        self.add_fixed_in_frame_mobjects(normalisation)
        self.play(Write(normalisation))
        self.move_camera(phi=30 * DEGREES, run_time=2)
        self.wait(1)
