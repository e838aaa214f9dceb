from manim import *
import numpy as np

# Six short ThreeDScenes that tell one story: from a curve to a surface of revolution.
# Helpers shared by every chapter sit at the top of the file.

CAMERA = dict(phi=65 * DEGREES, theta=-45 * DEGREES)


def small_axes():
    return ThreeDAxes(x_range=[-2, 2, 1], y_range=[-2, 2, 1], z_range=[-1, 2, 1],
                      x_length=4, y_length=4, z_length=3)


def fixed_title(scene, text):
    """A 2D title that stays put while the camera looks at 3D space."""
    title = Text(text, font_size=34).to_edge(UP)
    scene.add_fixed_in_frame_mobjects(title)
    scene.play(FadeIn(title), run_time=0.5)
    return title


class Part1_Axes(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "1. Three axes")
        axes = small_axes()
        self.play(Create(axes), run_time=1)
        self.wait(0.5)


class Part2_Curve(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "2. A profile curve")
        axes = small_axes()
        self.add(axes)
        curve = ParametricFunction(lambda t: np.array([t, 0, 0.5 * t**2]), t_range=[0, 1.6], color=YELLOW)
        self.play(Create(curve), run_time=1)
        formula = MathTex(r"z = \tfrac{1}{2} r^2").to_corner(UR)
        self.add_fixed_in_frame_mobjects(formula)
        self.play(Write(formula), run_time=0.8)


class Part3_Revolve(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "3. Revolve it")
        axes = small_axes()
        self.add(axes)
        bowl = Surface(lambda u, v: np.array([u * np.cos(v), u * np.sin(v), 0.5 * u**2]),
                       u_range=[0, 1.6], v_range=[0, TAU], resolution=(6, 12),
                       fill_opacity=0.7, checkerboard_colors=[BLUE_D, BLUE_E])
        self.play(Create(bowl), run_time=1)


class Part4_Orbit(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "4. Look around")
        bowl = Surface(lambda u, v: np.array([u * np.cos(v), u * np.sin(v), 0.5 * u**2]),
                       u_range=[0, 1.6], v_range=[0, TAU], resolution=(6, 12), fill_opacity=0.7)
        self.add(small_axes(), bowl)
        self.move_camera(theta=30 * DEGREES, run_time=1.2)


class Part5_Volume(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "5. Its volume")
        volume = MathTex(r"V = \int_0^{h} \pi r(z)^2\,dz")
        self.add_fixed_in_frame_mobjects(volume)
        self.play(Write(volume), run_time=1)
        self.wait(0.5)


class Part6_Result(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(**CAMERA)
        fixed_title(self, "6. The answer")
        result = MathTex(r"V = \pi h^2", color=YELLOW)
        self.add_fixed_in_frame_mobjects(result)
        self.play(Write(result), run_time=1)
        self.wait(0.5)
