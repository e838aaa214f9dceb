"""Bias-variance trade-off with polynomial fits of growing degree.

Fourteen noisy samples of a smooth curve are fitted by polynomials. Refitting
on many fresh data sets shows the two kinds of error: a low degree misses the
truth in the same way every time (bias), a high degree chases the noise
(variance). A Monte Carlo estimate of each term, plotted against the degree,
adds up to the U-shaped test error.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, FONT, INK, MUTED
from mathreel_style import make_caption, make_title, swap

SIGMA = 0.35
N_POINTS = 14
N_SETS = 400        # data sets for the Monte Carlo estimate
N_SHOWN = 12        # data sets whose fits are drawn
DEGREES = list(range(11))
Y_LIM = 1.8
X_TEST = np.linspace(0.02, 0.98, 97)


def truth(x):
    return 0.9 * np.sin(2 * np.pi * x) + 0.3 * x


def simulate():
    """Fits of every degree on N_SETS data sets; returns data, fits and the error terms."""
    rng = np.random.default_rng(3)
    base = (np.arange(N_POINTS) + 0.5) / N_POINTS
    xs = base + rng.uniform(-0.3, 0.3, (N_SETS, N_POINTS)) / N_POINTS
    ys = truth(xs) + SIGMA * rng.standard_normal((N_SETS, N_POINTS))
    fits = {}
    terms = {}
    for d in DEGREES:
        curves = np.empty((N_SETS, len(X_TEST)))
        for k in range(N_SETS):
            c = np.polynomial.polynomial.polyfit(2 * xs[k] - 1, ys[k], d)
            curves[k] = np.polynomial.polynomial.polyval(2 * X_TEST - 1, c)
        fits[d] = curves
        bias2 = float(np.mean((curves.mean(axis=0) - truth(X_TEST)) ** 2))
        var = float(np.mean(curves.var(axis=0)))
        terms[d] = (bias2, var)
    return xs, ys, fits, terms


def clipped_curve(axes, values, color, width, opacity=1.0):
    """A curve over X_TEST, broken where it leaves the window |y| <= Y_LIM."""
    curve = VMobject(stroke_color=color, stroke_width=width, stroke_opacity=opacity)
    run = []
    for x, y in zip(X_TEST, values):
        if abs(y) <= Y_LIM:
            run.append(axes.c2p(x, y))
            continue
        if len(run) > 1:
            curve.start_new_path(run[0])
            curve.add_points_as_corners(run[1:])
        run = []
    if len(run) > 1:
        curve.start_new_path(run[0])
        curve.add_points_as_corners(run[1:])
    return curve


class BiasVarianceScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        xs, ys, fits, terms = simulate()

        title = make_title("The bias–variance trade-off")
        self.play(Write(title), run_time=1.2)
        decomp = MathTex(r"E[(y - \hat f)^2] = \mathrm{Bias}^2 + \mathrm{Var} + \sigma^2", font_size=40, color=INK)
        decomp.move_to(UP * 2.5)
        self.play(Write(decomp), run_time=2.0)

        axes = Axes(x_range=[0, 1, 0.25], y_range=[-Y_LIM, Y_LIM, 1], x_length=7.0, y_length=4.0, tips=False,
                    axis_config={"color": MUTED, "stroke_width": 2, "include_ticks": False}).move_to(DOWN * 0.55)
        truth_curve = axes.plot(truth, x_range=[0, 1], color=C_BLUE, stroke_width=5)
        dots = VGroup(*[Dot(axes.c2p(x, y), radius=0.06, color=INK) for x, y in zip(xs[0], ys[0])])
        cap = make_caption("A smooth truth (blue) and 14 noisy samples of it")
        self.play(Create(axes), Create(truth_curve), FadeIn(cap), run_time=1.6)
        self.play(LaggedStartMap(FadeIn, dots, lag_ratio=0.08), run_time=1.2)

        def bundle(d):
            return VGroup(*[clipped_curve(axes, fits[d][k], C_GOLD, 1.8, 0.7) for k in range(N_SHOWN)])

        def mean_fit(d):
            return clipped_curve(axes, fits[d].mean(axis=0), C_CORAL, 5)

        d = 1
        one_fit = clipped_curve(axes, fits[d][0], C_GOLD, 4)
        d_value = Integer(d, font_size=34, color=INK)
        label = VGroup(MathTex(r"\text{degree } d =", font_size=34, color=INK), d_value).arrange(RIGHT, buff=0.15)
        label.next_to(axes, DOWN, buff=0.3)
        cap2 = make_caption("Fit a straight line (degree 1) to these samples")
        self.play(Create(one_fit), FadeIn(label), swap(cap, cap2), run_time=1.4)
        many = bundle(d)
        cap3 = make_caption("Now refit on fresh data sets: each gives a different line")
        self.play(FadeOut(dots), ReplacementTransform(one_fit, many[0]), swap(cap2, cap3), run_time=1.2)
        self.play(LaggedStart(*[Create(c) for c in many[1:]], lag_ratio=0.1), run_time=1.6)
        avg = mean_fit(d)
        legend = VGroup(
            Text("truth", font_size=22, color=C_BLUE, font=FONT),
            Text("fits to fresh data", font_size=22, color=C_GOLD, font=FONT),
            Text("average fit", font_size=22, color=C_CORAL, font=FONT),
        ).arrange(RIGHT, buff=0.5).next_to(axes, UP, buff=0.15)
        cap4 = make_caption("Degree 1: the fits agree, but their average misses the truth: bias")
        self.play(Create(avg), FadeIn(legend), swap(cap3, cap4), run_time=1.6)
        bias_def = MathTex(r"\mathrm{Bias}(x) = E[\hat f(x)] - f(x)", font_size=40, color=C_CORAL).move_to(decomp)
        self.play(swap(decomp, bias_def), run_time=1.4)
        self.wait(1.0)

        def set_degree(new_d, run_time=1.2, extra=()):
            new_many, new_avg = bundle(new_d), mean_fit(new_d)
            self.play(Transform(many, new_many), Transform(avg, new_avg),
                      ChangeDecimalToValue(d_value, new_d), *extra, run_time=run_time)

        cap5 = make_caption("Degree 3: close to the truth, and the fits barely scatter")
        set_degree(3, extra=(swap(cap4, cap5),))
        self.wait(1.2)
        cap6 = make_caption("Degree 10: unbiased on average, but each fit chases its own noise: variance")
        var_def = MathTex(r"\mathrm{Var}(x) = E\big[(\hat f(x) - E[\hat f(x)])^2\big]", font_size=40, color=C_GOLD)
        var_def.move_to(decomp)
        set_degree(10, extra=(swap(cap5, cap6), swap(bias_def, var_def)))
        self.wait(1.5)

        # Error terms against the degree.
        left = VGroup(axes, truth_curve, many, avg, legend, label)
        self.play(left.animate.scale(0.82).move_to([-3.45, -0.4, 0]), FadeOut(cap6), swap(var_def, decomp), run_time=1.4)
        err = Axes(x_range=[0, 10, 1], y_range=[0, 0.8, 0.1], x_length=5.6, y_length=3.6, tips=False,
                   axis_config={"color": MUTED, "stroke_width": 2, "font_size": 20},
                   x_axis_config={"numbers_to_include": [0, 2, 4, 6, 8, 10]},
                   y_axis_config={"numbers_to_include": [0.2, 0.4, 0.6, 0.8], "decimal_number_config": {"num_decimal_places": 1}},
                   ).move_to([3.75, -0.5, 0])
        err_x = Text("degree", font_size=20, color=MUTED, font=FONT).next_to(err.x_axis, DOWN, buff=0.4)
        bias2 = [terms[k][0] for k in DEGREES]
        var = [terms[k][1] for k in DEGREES]
        total = [b + v + SIGMA ** 2 for b, v in zip(bias2, var)]
        lines = VGroup(
            err.plot_line_graph(DEGREES, [min(b, 0.8) for b in bias2], line_color=C_CORAL, add_vertex_dots=False, stroke_width=4),
            err.plot_line_graph(DEGREES, [min(v, 0.8) for v in var], line_color=C_GOLD, add_vertex_dots=False, stroke_width=4),
            DashedLine(err.c2p(0, SIGMA ** 2), err.c2p(10, SIGMA ** 2), color=MUTED, stroke_width=3),
            err.plot_line_graph(DEGREES, [min(t, 0.8) for t in total], line_color=C_GREEN, add_vertex_dots=False, stroke_width=5),
        )
        err_legend = VGroup(
            MathTex(r"\mathrm{Bias}^2", font_size=28, color=C_CORAL),
            MathTex(r"\mathrm{Var}", font_size=28, color=C_GOLD),
            MathTex(r"\sigma^2", font_size=28, color=MUTED),
            Text("test error", font_size=20, color=C_GREEN, font=FONT),
        ).arrange(RIGHT, buff=0.4).next_to(err, UP, buff=0.15)
        cap7 = make_caption("Average over 400 data sets: each term of the decomposition, by degree")
        self.play(Create(err), FadeIn(err_x), FadeIn(cap7), run_time=1.4)
        self.play(LaggedStart(*[Create(line) for line in lines], lag_ratio=0.35), FadeIn(err_legend), run_time=3.0)
        self.wait(0.8)

        deg = ValueTracker(10)
        marker = always_redraw(lambda: DashedLine(
            err.c2p(deg.get_value(), 0), err.c2p(deg.get_value(), 0.8), color=INK, stroke_width=2))
        self.add(marker)
        cap8 = make_caption("Too simple: bias dominates. Too flexible: variance dominates")
        self.play(swap(cap7, cap8), run_time=1.0)
        for new_d in (8, 6, 4, 2, 0, 1, 2, 3):
            set_degree(new_d, run_time=0.8, extra=(deg.animate.set_value(new_d),))
            if new_d == 0:
                self.wait(0.6)
        self.wait(0.5)
        best = Dot(err.c2p(3, total[3]), radius=0.1, color=C_GREEN)
        ring = Circle(radius=0.22, color=C_GREEN, stroke_width=3).move_to(best)
        cap9 = make_caption("The test error is U-shaped: the best degree balances the two")
        self.play(FadeIn(best), Create(ring), swap(cap8, cap9), run_time=1.4)
        self.play(Indicate(decomp, color=C_GREEN, scale_factor=1.05), run_time=1.5)
        self.wait(2.5)
