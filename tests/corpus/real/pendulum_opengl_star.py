from manim import *
from manim.opengl import *
import numpy as np

# Small-angle pendulum: the model writes the period formula and animates the swing.
LENGTH = 3.0
AMPLITUDE = 0.35  # radians, small enough for the linear approximation
G = 9.81


def pendulum_angle(t):
    """theta(t) for the linearised pendulum."""
    omega = np.sqrt(G / LENGTH)
    return AMPLITUDE * np.cos(omega * t)


class PendulumScene(Scene):
    def construct(self):
        title = Text("The simple pendulum", font_size=40).to_edge(UP)
        self.play(Write(title))

        pivot = np.array([-3.0, 2.2, 0.0])
        ceiling = Line(pivot + LEFT * 1.2, pivot + RIGHT * 1.2, stroke_width=6)
        self.play(Create(ceiling))

        t_tracker = ValueTracker(0)

        def bob_position():
            theta = pendulum_angle(t_tracker.get_value())
            return pivot + LENGTH * np.array([np.sin(theta), -np.cos(theta), 0])

        rod = always_redraw(lambda: Line(pivot, bob_position(), color=GREY_B))
        bob = always_redraw(lambda: Dot(bob_position(), radius=0.18, color=ORANGE))
        self.play(Create(rod), FadeIn(bob))

        # the anchor equations on the right
        ode = MathTex(r"\ddot{\theta} + \frac{g}{L}\sin\theta = 0").shift(RIGHT * 2.6 + UP * 1.2)
        small = MathTex(r"\sin\theta \approx \theta").next_to(ode, DOWN, buff=0.5)
        period = MathTex(r"T = 2\pi\sqrt{\frac{L}{g}}", color=YELLOW).next_to(small, DOWN, buff=0.5)

        self.play(Write(ode))
        self.play(t_tracker.animate.set_value(2.0), run_time=2, rate_func=linear)
        self.play(Write(small))
        self.play(t_tracker.animate.set_value(4.0), run_time=2, rate_func=linear)
        self.play(Write(period))
        self.play(Circumscribe(period))

        # one full period, timed
        clock = always_redraw(
            lambda: DecimalNumber(t_tracker.get_value(), num_decimal_places=1)
            .scale(0.8)
            .next_to(ceiling, UP, buff=0.2)
        )
        self.play(FadeIn(clock))
        self.play(t_tracker.animate.set_value(8.0), run_time=4, rate_func=linear)

        note = Text("Period does not depend on the amplitude", font_size=26).to_edge(DOWN)
        self.play(FadeIn(note, shift=UP * 0.3))
        self.wait(2)
