from manim import *
import numpy as np

# The central limit theorem with dice: averages of n dice become Gaussian.
# A long explanatory scene (roughly 70 seconds).

BAR_COLORS = [BLUE_D, BLUE_C, TEAL_C, GREEN_C]


def dice_sum_distribution(n):
    """Exact distribution of the sum of n fair dice (by repeated convolution)."""
    dist = np.ones(6) / 6
    for _ in range(n - 1):
        dist = np.convolve(dist, np.ones(6) / 6)
    return dist


def histogram(axes, probs, color):
    """Bars of width 1 centred on 0..len(probs)-1, scaled into the axes."""
    bars = VGroup()
    peak = probs.max()
    for i, p in enumerate(probs):
        x = i / (len(probs) - 1)
        height = p / peak
        bar = Rectangle(
            width=axes.x_length / len(probs) * 0.9,
            height=max(height * axes.y_length * 0.9, 0.01),
            fill_color=color, fill_opacity=0.8, stroke_width=0.5,
        )
        bar.move_to(axes.c2p(x, 0), aligned_edge=DOWN)
        bars.add(bar)
    return bars


class CentralLimitScene(Scene):
    def construct(self):
        title = Text("The central limit theorem", font_size=44).to_edge(UP)
        self.play(Write(title), run_time=2)
        self.wait(2)

        statement = MathTex(
            r"\frac{\bar X_n - \mu}{\sigma/\sqrt{n}} \xrightarrow{d} \mathcal{N}(0,1)", font_size=44
        )
        self.play(Write(statement), run_time=3)
        self.wait(4)
        self.play(statement.animate.scale(0.7).to_corner(UR).shift(DOWN * 0.8), run_time=1.5)

        axes = Axes(x_range=[0, 1, 0.25], y_range=[0, 1, 0.25], x_length=7, y_length=4, tips=False)
        axes.to_edge(LEFT).shift(DOWN * 0.5)
        caption = Text("normalised sum of n dice", font_size=24).next_to(axes, DOWN)
        self.play(Create(axes), FadeIn(caption), run_time=2)
        self.wait(1)

        bars = histogram(axes, dice_sum_distribution(1), BAR_COLORS[0])
        n_label = MathTex(r"n = 1", font_size=40).next_to(statement, DOWN, buff=0.8)
        self.play(LaggedStart(*[GrowFromEdge(b, DOWN) for b in bars], lag_ratio=0.1), Write(n_label), run_time=2)
        self.wait(3)

        for k, n in enumerate((2, 3, 6), start=1):
            new_bars = histogram(axes, dice_sum_distribution(n), BAR_COLORS[k])
            new_label = MathTex(rf"n = {n}", font_size=40).move_to(n_label)
            self.play(Transform(bars, new_bars), Transform(n_label, new_label), run_time=3)
            self.wait(4)

        bell = axes.plot(lambda x: np.exp(-((x - 0.5) ** 2) / (2 * 0.07**2)), color=YELLOW, x_range=[0, 1])
        density = MathTex(r"\varphi(z) = \frac{1}{\sqrt{2\pi}} e^{-z^2/2}", font_size=36, color=YELLOW)
        density.next_to(n_label, DOWN, buff=0.6)
        self.play(Create(bell), Write(density), run_time=3)
        self.wait(5)

        moments = VGroup(
            MathTex(r"\mathbb{E}[\bar X_n] = \mu", font_size=34),
            MathTex(r"\operatorname{Var}(\bar X_n) = \frac{\sigma^2}{n}", font_size=34),
        ).arrange(DOWN, aligned_edge=LEFT).next_to(density, DOWN, buff=0.6)
        for m in moments:
            self.play(FadeIn(m, shift=RIGHT * 0.3), run_time=1.5)
            self.wait(2)

        self.play(Indicate(bell, color=ORANGE), run_time=2)
        self.wait(3)
        closing = Text("Whatever the dice, the average is bell-shaped.", font_size=26).to_edge(DOWN)
        self.play(FadeOut(caption), FadeIn(closing), run_time=1.5)
        self.wait(5)
