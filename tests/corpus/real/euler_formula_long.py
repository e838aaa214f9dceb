from manim import *
import numpy as np


class EulerFormulaScene(Scene):
    """Euler's formula on the unit circle: a long, narrated 2D scene (about 75 s of video)."""

    def construct(self):
        # ---------- Part 1: introduction ----------
        title = Text("Euler's formula", font_size=48)
        subtitle = Text("where exponentials meet rotations", font_size=28, color=GREY_B)
        subtitle.next_to(title, DOWN)
        self.play(Write(title), run_time=2)
        self.play(FadeIn(subtitle, shift=UP * 0.3))
        self.wait(2)
        self.play(FadeOut(subtitle), title.animate.scale(0.7).to_edge(UP))

        euler = MathTex(r"e^{i\theta} = \cos\theta + i\sin\theta", font_size=52)
        self.play(Write(euler), run_time=3)
        self.wait(3)
        self.play(euler.animate.scale(0.7).to_corner(UR).shift(DOWN * 0.7))

        # ---------- Part 2: the complex plane ----------
        plane = ComplexPlane(x_range=[-2, 2, 1], y_range=[-2, 2, 1], x_length=5, y_length=5)
        plane.add_coordinates()
        plane.shift(LEFT * 2.5 + DOWN * 0.4)
        circle = Circle(radius=plane.get_x_unit_size(), color=BLUE).move_to(plane.n2p(0))
        self.play(Create(plane), run_time=3)
        self.play(Create(circle), run_time=2)
        self.wait(2)

        theta = ValueTracker(0.0)
        point = always_redraw(lambda: Dot(plane.n2p(np.exp(1j * theta.get_value())), color=YELLOW))
        radius = always_redraw(lambda: Line(plane.n2p(0), point.get_center(), color=YELLOW))
        cos_line = always_redraw(lambda: Line(
            plane.n2p(0), plane.n2p(np.cos(theta.get_value())), color=RED, stroke_width=6))
        sin_line = always_redraw(lambda: Line(
            plane.n2p(np.cos(theta.get_value())), point.get_center(), color=GREEN, stroke_width=6))
        arc = always_redraw(lambda: Arc(
            radius=0.4, start_angle=0, angle=max(theta.get_value() % TAU, 0.01), arc_center=plane.n2p(0)))
        self.play(FadeIn(point), Create(radius))
        self.play(Create(cos_line), Create(sin_line), Create(arc))
        self.wait(2)

        # ---------- Part 3: turning the angle ----------
        readout = always_redraw(lambda: MathTex(
            rf"\theta = {theta.get_value():.2f}", font_size=36).next_to(euler, DOWN, buff=0.6))
        self.play(FadeIn(readout))
        for target in (PI / 4, PI / 2, PI, 3 * PI / 2, TAU):
            self.play(theta.animate.set_value(target), run_time=3)
            self.wait(1.5)

        # ---------- Part 4: the famous special case ----------
        self.play(theta.animate.set_value(PI), run_time=3)
        identity = MathTex(r"e^{i\pi} + 1 = 0", font_size=52, color=YELLOW)
        identity.next_to(readout, DOWN, buff=1.0)
        self.play(Write(identity), run_time=3)
        self.play(Circumscribe(identity, color=YELLOW), run_time=2)
        self.wait(3)

        # ---------- Part 5: derivative view ----------
        deriv = MathTex(r"\frac{d}{d\theta} e^{i\theta} = i\,e^{i\theta}", font_size=36)
        deriv.next_to(identity, DOWN, buff=0.6)
        self.play(Write(deriv), run_time=2)
        tangent = always_redraw(lambda: Arrow(
            point.get_center(),
            point.get_center() + 0.9 * np.array([-np.sin(theta.get_value()), np.cos(theta.get_value()), 0]),
            buff=0, color=PURPLE))
        self.play(GrowArrow(tangent))
        self.play(theta.animate.set_value(3 * PI), run_time=8, rate_func=linear)
        self.wait(3)

        # ---------- Part 6: wrap up ----------
        summary = Text("Velocity is always perpendicular: uniform circular motion", font_size=26)
        summary.to_edge(DOWN)
        self.play(FadeIn(summary, shift=UP * 0.3), run_time=1.5)
        self.wait(4)
        self.play(*[FadeOut(m) for m in self.mobjects], run_time=2)
        self.wait(1)
