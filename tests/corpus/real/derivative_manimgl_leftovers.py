from manim import *
import numpy as np


class DerivativeSlopeScene(Scene):
    """The derivative as the limit of secant slopes (written with old ManimGL names)."""

    def construct(self):
        title = TextMobject("The derivative as a limit").to_edge(UP)
        self.play(Write(title))

        axes = Axes(x_range=[-1, 4, 1], y_range=[-1, 9, 2], x_length=6, y_length=4.5).shift(DOWN * 0.5 + LEFT * 2)
        func = lambda x: 0.5 * x**2 + 0.5
        graph = axes.get_graph(func, color=BLUE)
        self.play(ShowCreation(axes), run_time=1.5)
        self.play(ShowCreation(graph), run_time=1.5)

        x0 = 1.5
        h = ValueTracker(1.8)

        p = always_redraw(lambda: Dot(axes.c2p(x0, func(x0)), color=YELLOW))
        q = always_redraw(lambda: Dot(axes.c2p(x0 + h.get_value(), func(x0 + h.get_value())), color=RED))

        def secant():
            x1 = x0 + h.get_value()
            slope = (func(x1) - func(x0)) / (x1 - x0)
            left, right = x0 - 1.2, x1 + 0.8
            return Line(axes.c2p(left, func(x0) + slope * (left - x0)),
                        axes.c2p(right, func(x0) + slope * (right - x0)), color=GREEN)

        secant_line = always_redraw(secant)
        self.play(FadeIn(p), FadeIn(q))
        self.play(ShowCreation(secant_line))

        quotient = MathTex(r"\frac{f(x_0+h)-f(x_0)}{h}").to_edge(RIGHT).shift(UP * 1.5)
        self.play(Write(quotient))

        h_label = always_redraw(
            lambda: MathTex(rf"h = {h.get_value():.2f}").next_to(quotient, DOWN, buff=0.5)
        )
        self.play(FadeIn(h_label))
        self.play(h.animate.set_value(0.05), run_time=4)
        self.wait(0.5)

        definition = MathTex(r"f'(x_0) = \lim_{h \to 0} \frac{f(x_0+h)-f(x_0)}{h}", color=YELLOW)
        definition.scale(0.8).to_edge(DOWN)
        self.play(Write(definition))
        result = TextMobject("Here $f'(1.5) = 1.5$").scale(0.8).next_to(h_label, DOWN, buff=0.5)
        self.play(FadeIn(result))
        self.wait(2)
