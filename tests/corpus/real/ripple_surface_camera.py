from manim import *
import numpy as np

# A radial wave z = sin(r)/r ("sombrero") under a slowly sweeping camera, with a travelling phase.


class RippleSurfaceScene(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(phi=60 * DEGREES, theta=-60 * DEGREES, zoom=0.8)
        axes = ThreeDAxes(x_range=[-6, 6, 2], y_range=[-6, 6, 2], z_range=[-1, 2, 1],
                          x_length=7, y_length=7, z_length=3)

        heading = Text("A radial wave", font_size=40).to_edge(UP)
        self.add_fixed_in_frame_mobjects(heading)
        self.play(FadeIn(heading), Create(axes))

        phase = ValueTracker(0)

        def sombrero(u, v):
            r = np.sqrt(u**2 + v**2) + 1e-6
            return axes.c2p(u, v, 1.6 * np.sin(r - phase.get_value()) / r)

        surface = always_redraw(
            lambda: Surface(
                sombrero, u_range=[-5.5, 5.5], v_range=[-5.5, 5.5], resolution=(12, 12),
                fill_opacity=0.8, checkerboard_colors=[BLUE_D, TEAL_E], stroke_width=0.2,
            )
        )
        self.play(FadeIn(surface))

        wave = MathTex(r"z(r,t) = \frac{\sin(r - t)}{r}", font_size=40).to_corner(UR)
        self.add_fixed_in_frame_mobjects(wave)
        self.play(Write(wave))

        # the wave travels outward while the camera sweeps
        self.begin_ambient_camera_rotation(rate=0.25)
        self.play(phase.animate.set_value(2 * PI), run_time=4, rate_func=linear)
        self.stop_ambient_camera_rotation()

        speed = MathTex(r"v = \frac{\omega}{k} = 1", font_size=36).to_corner(DR)
        self.add_fixed_in_frame_mobjects(speed)
        self.play(Write(speed))
        self.move_camera(phi=75 * DEGREES, theta=20 * DEGREES, run_time=2.5)
        self.wait(1)
