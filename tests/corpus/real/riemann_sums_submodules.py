"""Riemann sums converging to the integral (model answer with submodule imports)."""

from __future__ import annotations

import warnings

import numpy as np
from manim import *
from manim.mobject.graphing.coordinate_systems import Axes
from manim.mobject.text.tex_mobject import MathTex
from manim.mobject.text.text_mobject import Text
from manim.animation.creation import Create, Write

warnings.simplefilter("ignore")


def f(x):
    return 0.25 * x**2 + 0.5


class RiemannSumsScene(Scene):
    """Left Riemann sums with n = 4, 8, 16, 32 rectangles."""

    def construct(self):
        title = Text("Riemann sums", font_size=42).to_edge(UP)
        self.play(Write(title))

        axes = Axes(
            x_range=[0, 4.5, 1], y_range=[0, 5, 1],
            x_length=6.5, y_length=4.2,
            axis_config={"include_numbers": True, "font_size": 24},
        ).to_edge(LEFT, buff=0.6).shift(DOWN * 0.4)
        graph = axes.plot(f, x_range=[0, 4.2], color=BLUE)
        graph_label = axes.get_graph_label(graph, MathTex(r"f(x)"), x_val=3.6, direction=UL)
        self.play(Create(axes), run_time=1.5)
        self.play(Create(graph), FadeIn(graph_label))

        definition = MathTex(
            r"\int_a^b f(x)\,dx = \lim_{n\to\infty} \sum_{i=1}^{n} f(x_i)\,\Delta x",
            font_size=34,
        ).to_edge(RIGHT, buff=0.4).shift(UP * 1.6)
        self.play(Write(definition))

        n_values = [4, 8, 16, 32]
        rects = axes.get_riemann_rectangles(
            graph, x_range=[0, 4], dx=4 / n_values[0],
            stroke_width=0.5, fill_opacity=0.6, color=[TEAL, GREEN],
        )
        counter = MathTex(r"n = 4", font_size=36).next_to(definition, DOWN, buff=0.6)
        approx = self.sum_label(4).next_to(counter, DOWN, buff=0.3)
        self.play(Create(rects), Write(counter), FadeIn(approx))
        self.wait(0.5)

        for n in n_values[1:]:
            new_rects = axes.get_riemann_rectangles(
                graph, x_range=[0, 4], dx=4 / n,
                stroke_width=0.5 if n < 32 else 0.2, fill_opacity=0.6, color=[TEAL, GREEN],
            )
            new_counter = MathTex(rf"n = {n}", font_size=36).move_to(counter)
            new_approx = self.sum_label(n).move_to(approx)
            self.play(
                Transform(rects, new_rects),
                Transform(counter, new_counter),
                Transform(approx, new_approx),
                run_time=1.5,
            )
            self.wait(0.4)

        exact = MathTex(r"\int_0^4 f(x)\,dx = \frac{22}{3} \approx 7.33", color=YELLOW, font_size=34)
        exact.next_to(approx, DOWN, buff=0.5)
        self.play(Write(exact))
        self.play(Circumscribe(exact, color=YELLOW))
        self.wait(2)

    @staticmethod
    def sum_label(n):
        xs = np.linspace(0, 4, n, endpoint=False)
        total = float(np.sum(f(xs)) * 4 / n)
        return MathTex(rf"S_{{{n}}} \approx {total:.3f}", font_size=34)
