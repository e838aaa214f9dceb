from manim import *
import numpy as np

# Tangent lines to a parabola, with annotated slopes.  A helper places each
# label but forgets to return it, so a later next_to() receives None.


def parabola(x):
    return 0.4 * x**2 - 1


class TangentLinesScene(Scene):
    def annotate(self, mob, text, direction=UP):
        """Write `text` next to `mob` (the caller keeps what it returns)."""
        label = MathTex(text, font_size=32).next_to(mob, direction, buff=0.2)
        self.play(Write(label))

    def construct(self):
        title = Tex(r"Tangent lines and slopes", font_size=44).to_edge(UP)
        self.play(Write(title))

        axes = Axes(x_range=[-4, 4, 1], y_range=[-2, 6, 1], x_length=8, y_length=5).shift(DOWN * 0.4)
        graph = axes.plot(parabola, x_range=[-3.8, 3.8], color=BLUE)
        self.play(Create(axes), run_time=1.5)
        self.play(Create(graph), run_time=1.5)

        derivative = MathTex(r"f'(x) = 0.8x", font_size=36).to_corner(UR).shift(DOWN * 0.7)
        self.play(Write(derivative))

        x_val = ValueTracker(-3)

        def tangent():
            x0 = x_val.get_value()
            slope = 0.8 * x0
            return axes.plot(lambda x: parabola(x0) + slope * (x - x0),
                             x_range=[x0 - 1.5, x0 + 1.5], color=YELLOW)

        line = always_redraw(tangent)
        dot = always_redraw(lambda: Dot(axes.c2p(x_val.get_value(), parabola(x_val.get_value())), color=RED))
        slope_readout = always_redraw(
            lambda: MathTex(rf"f'({x_val.get_value():.2f}) = {0.8 * x_val.get_value():.2f}", font_size=30)
            .to_corner(DR)
        )
        self.play(Create(line), FadeIn(dot), FadeIn(slope_readout))
        for target in (-1.5, 0, 1.5, 3, -2, 2.5):
            self.play(x_val.animate.set_value(target), run_time=2.5)
            self.wait(0.8)

        tangent_eq = MathTex(r"y = f(x_0) + f'(x_0)(x - x_0)", font_size=36).next_to(derivative, DOWN, buff=0.5)
        self.play(Write(tangent_eq))
        self.wait(1)

        # label the slope at the last point, then explain it underneath
        slope_label = self.annotate(dot, r"m = 2.4", direction=LEFT)
        explanation = Text("steeper as x grows", font_size=26)
        explanation.next_to(slope_label, DOWN)
        self.play(FadeIn(explanation))
        self.wait(2)
