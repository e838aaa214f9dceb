from manim import *
import numpy as np

# Area under a curve: numerical integration with the trapezoid rule.
# (Old CE API: axes.get_graph, ShowCreation, and np.trapz, removed in NumPy 2.)


def bump(x):
    return np.exp(-0.5 * (x - 2) ** 2) * 3


class AreaUnderCurveScene(Scene):
    def construct(self):
        heading = Text("Area under a curve", font_size=40).to_edge(UP)
        self.play(Write(heading))

        axes = Axes(
            x_range=[0, 4.5, 1], y_range=[0, 3.5, 1],
            x_length=7, y_length=4,
            axis_config={"include_numbers": True, "font_size": 22},
        ).to_edge(LEFT).shift(DOWN * 0.4)
        curve = axes.get_graph(bump, x_range=[0, 4.2], color=BLUE)
        self.play(ShowCreation(axes))
        self.play(ShowCreation(curve), run_time=2)

        area = axes.get_area(curve, x_range=[0.5, 3.5], color=BLUE_E, opacity=0.5)
        integral = MathTex(r"A = \int_{a}^{b} f(x)\,dx", font_size=40).to_edge(RIGHT).shift(UP * 1.5)
        self.play(FadeIn(area), Write(integral))
        self.wait(0.5)

        # trapezoid rule with an increasing number of panels
        rule = MathTex(
            r"A \approx \sum_{i=1}^{n} \frac{f(x_{i-1}) + f(x_i)}{2}\,\Delta x", font_size=32
        ).next_to(integral, DOWN, buff=0.5)
        self.play(Write(rule))

        value_label = None
        for n in (3, 6, 12):
            xs = np.linspace(0.5, 3.5, n + 1)
            ys = bump(xs)
            estimate = np.trapz(ys, xs)
            panels = VGroup(*[
                Polygon(
                    axes.c2p(xs[i], 0), axes.c2p(xs[i], ys[i]),
                    axes.c2p(xs[i + 1], ys[i + 1]), axes.c2p(xs[i + 1], 0),
                    stroke_width=1, stroke_color=YELLOW, fill_color=YELLOW, fill_opacity=0.25,
                )
                for i in range(n)
            ])
            label = MathTex(rf"n = {n}:\ A \approx {estimate:.4f}", font_size=32).next_to(rule, DOWN, buff=0.5)
            if value_label is None:
                self.play(ShowCreation(panels), Write(label))
            else:
                self.play(FadeOut(old_panels), ShowCreation(panels), ReplacementTransform(value_label, label))
            old_panels, value_label = panels, label
            self.wait(0.6)

        exact = MathTex(r"A = 3\sqrt{2\pi}\,\big(\Phi(1.5) - \Phi(-1.5)\big) \approx 6.5", font_size=30, color=YELLOW)
        exact.next_to(value_label, DOWN, buff=0.5)
        self.play(Write(exact))
        self.wait(2)
