from manim import *
import numpy as np

# Heat diffusion along a rod: temperature profiles decay mode by mode.
# The last part colours the rod with a "gradient" written as one 6-element colour.

L_ROD = 6.0


def temperature(x, t):
    """Two Fourier modes of the heat equation on [0, L] with fixed ends."""
    return (np.sin(np.pi * x / L_ROD) * np.exp(-0.3 * t)
            + 0.5 * np.sin(3 * np.pi * x / L_ROD) * np.exp(-2.7 * t))


class HeatRodScene(Scene):
    def construct(self):
        title = Text("Heat flow in a rod", font_size=42).to_edge(UP)
        self.play(Write(title))

        pde = MathTex(r"\frac{\partial u}{\partial t} = \alpha \frac{\partial^2 u}{\partial x^2}", font_size=40)
        pde.next_to(title, DOWN, buff=0.4)
        self.play(Write(pde), run_time=2)
        self.wait(1)

        axes = Axes(x_range=[0, L_ROD, 1], y_range=[-0.6, 1.6, 0.5], x_length=8, y_length=3.5,
                    tips=False).shift(DOWN * 1.2)
        self.play(Create(axes), run_time=1.5)

        t = ValueTracker(0)
        profile = always_redraw(lambda: axes.plot(lambda x: temperature(x, t.get_value()),
                                                  x_range=[0, L_ROD], color=ORANGE))
        self.play(Create(profile), run_time=1.5)

        solution = MathTex(
            r"u(x,t) = \sum_{n} b_n \sin\frac{n\pi x}{L}\, e^{-\alpha (n\pi/L)^2 t}", font_size=34
        ).to_edge(DOWN)
        self.play(Write(solution), run_time=2)

        clock = always_redraw(lambda: MathTex(rf"t = {t.get_value():.2f}", font_size=34).to_corner(UR).shift(DOWN * 0.6))
        self.add(clock)
        # the fast mode dies first
        self.play(t.animate.set_value(1.0), run_time=6, rate_func=linear)
        self.wait(1)
        fast = Text("the n = 3 mode is gone", font_size=26).next_to(axes, UP, buff=0.1).shift(RIGHT * 2)
        self.play(FadeIn(fast))
        self.play(t.animate.set_value(3.0), run_time=6, rate_func=linear)
        self.wait(1)
        self.play(FadeOut(fast))
        self.play(t.animate.set_value(6.0), run_time=6, rate_func=linear)
        self.wait(1)

        # a rod coloured from cold to hot
        rod = Rectangle(width=8, height=0.35).next_to(axes, DOWN, buff=0.2)
        rod.set_fill(opacity=1)
        cold_to_hot = ManimColor((0.1, 0.3, 0.9, 0.9, 0.3, 0.1))
        rod.set_color(cold_to_hot)
        self.play(FadeIn(rod))
        self.wait(2)
