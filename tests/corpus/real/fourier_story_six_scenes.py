from manim import *
import numpy as np

# ---------------------------------------------------------------------------
# Shared helpers for the whole story (Scene1 ... Scene6)
# ---------------------------------------------------------------------------

SQUARE_COLOR = BLUE
PARTIAL_COLOR = YELLOW


def square_wave(x):
    return np.sign(np.sin(x))


def partial_sum(x, n_terms):
    """Fourier partial sum of the square wave with the first n odd harmonics."""
    total = 0.0
    for k in range(n_terms):
        n = 2 * k + 1
        total += np.sin(n * x) / n
    return 4 / np.pi * total


def make_axes():
    return Axes(
        x_range=[-PI, PI, PI / 2], y_range=[-1.5, 1.5, 0.5],
        x_length=9, y_length=3.6, tips=False,
    ).shift(DOWN * 0.6)


class ChapterTitle(VGroup):
    """A title with an underline, reused by every chapter."""

    def __init__(self, text, **kwargs):
        words = Text(text, font_size=38)
        line = Underline(words, color=GREY_B)
        super().__init__(words, line, **kwargs)
        self.to_edge(UP)


class Scene1_Periodic(Scene):
    def construct(self):
        title = ChapterTitle("1. A periodic signal")
        self.play(FadeIn(title))
        axes = make_axes()
        wave = axes.plot(square_wave, discontinuities=[-PI, 0, PI], color=SQUARE_COLOR)
        self.play(Create(axes), Create(wave), run_time=2)
        self.wait(1)


class Scene2_Series(Scene):
    def construct(self):
        title = ChapterTitle("2. The Fourier series")
        self.play(FadeIn(title))
        series = MathTex(r"f(x) = \frac{a_0}{2} + \sum_{n=1}^{\infty} \left(a_n \cos nx + b_n \sin nx\right)")
        self.play(Write(series), run_time=2)
        self.wait(1)


class Scene3_Coefficients(Scene):
    def construct(self):
        title = ChapterTitle("3. The coefficients")
        self.play(FadeIn(title))
        bn = MathTex(r"b_n = \frac{1}{\pi}\int_{-\pi}^{\pi} f(x)\sin nx\,dx")
        result = MathTex(r"b_n = \frac{4}{n\pi} \text{ for odd } n").next_to(bn, DOWN, buff=0.6)
        self.play(Write(bn))
        self.play(FadeIn(result, shift=DOWN * 0.3))
        self.wait(1)


class Scene4_PartialSums(Scene):
    def construct(self):
        title = ChapterTitle("4. Partial sums")
        self.play(FadeIn(title))
        axes = make_axes()
        wave = axes.plot(square_wave, discontinuities=[-PI, 0, PI], color=SQUARE_COLOR, stroke_opacity=0.5)
        self.add(axes, wave)
        approx = axes.plot(lambda x: partial_sum(x, 1), color=PARTIAL_COLOR)
        label = MathTex(r"N = 1").to_corner(UR).shift(DOWN * 0.8)
        self.play(Create(approx), FadeIn(label))
        for n_terms in (2, 4, 8):
            new = axes.plot(lambda x, n=n_terms: partial_sum(x, n), color=PARTIAL_COLOR)
            self.play(Transform(approx, new), Transform(label, MathTex(rf"N = {n_terms}").move_to(label)))
        self.wait(1)


class Scene5_Gibbs(Scene):
    def construct(self):
        title = ChapterTitle("5. Gibbs phenomenon")
        self.play(FadeIn(title))
        axes = make_axes()
        approx = axes.plot(lambda x: partial_sum(x, 12), color=PARTIAL_COLOR)
        self.add(axes, approx)
        peak = Dot(axes.c2p(PI / 24, partial_sum(PI / 24, 12)), color=RED)
        note = MathTex(r"\approx 9\% \text{ overshoot}").next_to(peak, UR, buff=0.3)
        self.play(FadeIn(peak, scale=2), Write(note))
        self.wait(1)


class Scene6_Summary(Scene):
    def construct(self):
        title = ChapterTitle("6. Summary")
        self.play(FadeIn(title))
        final = MathTex(r"f(x) = \frac{4}{\pi}\sum_{k=0}^{\infty} \frac{\sin((2k+1)x)}{2k+1}")
        self.play(Write(final), run_time=2)
        self.play(Circumscribe(final))
        self.wait(1)
