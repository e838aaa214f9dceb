"""Optimal transport, Benamou-Brenier view.

A bimodal density mu is moved into a unimodal density nu. First as a matching
of quantiles (the static problem and its cost), then as a fluid flow: every
particle travels in a straight line at constant speed, and the density along
the way is McCann's displacement interpolation, a geodesic for W_2.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, C_VIOLET, FONT, INK, MUTED
from mathreel_style import make_caption, make_title, swap

N_DOTS = 28
AXIS_Y = -1.6
X_SCALE = 1.3     # scene units per data unit
Y_SCALE = 3.6     # scene units per density unit


def gauss(x, m, s):
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


def mu_pdf(x):
    return 0.55 * gauss(x, -2.7, 0.45) + 0.45 * gauss(x, -0.7, 0.5)


def nu_pdf(x):
    return gauss(x, 1.5, 0.8)


GRID = np.linspace(-6.0, 6.0, 6001)


def cdf(pdf):
    vals = pdf(GRID)
    c = np.concatenate([[0.0], np.cumsum(0.5 * (vals[1:] + vals[:-1]) * np.diff(GRID))])
    return c / c[-1]


F_MU = cdf(mu_pdf)
F_NU = cdf(nu_pdf)


def quantile_mu(q):
    return np.interp(q, F_MU, GRID)


def quantile_nu(q):
    return np.interp(q, F_NU, GRID)


# Lagrangian coordinates: quantile levels q; x(q) in mu, T(x(q)) in nu.
Q = np.linspace(2e-4, 1 - 2e-4, 400)
X0 = quantile_mu(Q)
X1 = quantile_nu(Q)
D0 = mu_pdf(X0)
D1 = nu_pdf(X1)


def to_scene(x, y):
    return np.array([x * X_SCALE, AXIS_Y + y * Y_SCALE, 0.0])


def displacement_curve(t):
    """(positions, densities) of rho_t, the McCann interpolant at time t."""
    xt = (1 - t) * X0 + t * X1
    # rho_t(x_t) = mu(x) / ((1-t) + t T'(x)), with T'(x) = mu(x) / nu(T(x))
    rho = 1.0 / ((1 - t) / D0 + t / D1)
    return xt, rho


def density_shape(xs, ys, color, opacity=0.45, stroke=3):
    pts = [to_scene(xs[0], 0)] + [to_scene(x, y) for x, y in zip(xs, ys)] + [to_scene(xs[-1], 0)]
    shape = VMobject(stroke_color=color, stroke_width=stroke, fill_color=color, fill_opacity=opacity)
    shape.set_points_as_corners(pts)
    return shape


class OptimalTransportScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)

        title = make_title("Optimal transport")
        self.play(Write(title), run_time=1.2)

        axis = Line(to_scene(-5.2, 0), to_scene(5.2, 0), color=MUTED, stroke_width=2)
        xs = np.linspace(-5.2, 5.2, 500)
        mu_shape = density_shape(xs, mu_pdf(xs), C_BLUE)
        nu_shape = density_shape(xs, nu_pdf(xs), C_GOLD)
        mu_lab = MathTex(r"\mu", color=C_BLUE, font_size=44).next_to(to_scene(-2.7, mu_pdf(-2.7)), UP, buff=0.15)
        nu_lab = MathTex(r"\nu", color=C_GOLD, font_size=44).next_to(to_scene(1.5, nu_pdf(1.5)), UP, buff=0.15)
        cap = make_caption("Two probability densities: a pile of sand and a hole to fill")
        self.play(Create(axis), FadeIn(cap), run_time=1.0)
        self.play(DrawBorderThenFill(mu_shape), Write(mu_lab), run_time=1.5)
        self.play(DrawBorderThenFill(nu_shape), Write(nu_lab), run_time=1.5)
        self.wait(1.0)

        # Particles: equal-mass quantiles of mu and of nu.
        qs = (np.arange(N_DOTS) + 0.5) / N_DOTS
        src = quantile_mu(qs)
        dst = quantile_nu(qs)
        dot_y = -0.12 / Y_SCALE
        dot_colors = color_gradient([C_BLUE, C_VIOLET, C_CORAL], N_DOTS)
        dots = VGroup(*[Dot(to_scene(x, dot_y), radius=0.06, color=c) for x, c in zip(src, dot_colors)])
        targets = VGroup(*[Dot(to_scene(y, dot_y), radius=0.06, color=c, fill_opacity=0.35)
                           for y, c in zip(dst, dot_colors)])
        cap2 = make_caption("Cut each into equal grains of mass; a plan says which grain goes where")
        self.play(swap(cap, cap2), LaggedStartMap(FadeIn, dots, lag_ratio=0.05), run_time=1.6)
        self.play(LaggedStartMap(FadeIn, targets, lag_ratio=0.05), run_time=1.2)

        def plan_arcs(order):
            arcs = VGroup()
            for i, j in enumerate(order):
                arcs.add(ArcBetweenPoints(
                    to_scene(src[i], dot_y), to_scene(dst[j], dot_y), angle=PI / 2,
                    color=dot_colors[i], stroke_width=1.6, stroke_opacity=0.8,
                ))
            return arcs

        w2 = MathTex(r"W_2(\mu,\nu)^2 = \inf_{\gamma\in\Pi(\mu,\nu)} \int |x-y|^2\, d\gamma(x,y)",
                     font_size=36, color=INK).move_to(UP * 2.45)
        self.play(Write(w2), run_time=2.0)

        crossed = list(range(N_DOTS))[::-1]
        cost_crossed = float(np.mean((src - dst[::-1]) ** 2))
        cost_sorted = float(np.mean((src - dst) ** 2))
        cost_label = MathTex(r"\text{mean } |x-y|^2 =", font_size=32, color=MUTED)
        cost_value = DecimalNumber(cost_crossed, num_decimal_places=1, font_size=32, color=C_CORAL)
        cost = VGroup(cost_label, cost_value).arrange(RIGHT, buff=0.15).move_to(UP * 1.45 + RIGHT * 3.6)
        arcs_bad = plan_arcs(crossed)
        cap3 = make_caption("A crossing plan: grains swap sides, paths are long")
        self.play(Create(arcs_bad, lag_ratio=0.03), swap(cap2, cap3), FadeIn(cost), run_time=2.2)
        self.wait(1.0)
        arcs_good = plan_arcs(list(range(N_DOTS)))
        cap4 = make_caption("The optimal plan keeps order: the i-th grain goes to the i-th place")
        self.play(
            ReplacementTransform(arcs_bad, arcs_good),
            cost_value.animate.set_value(cost_sorted).set_color(C_GREEN),
            swap(cap3, cap4),
            run_time=2.2,
        )
        self.wait(1.5)

        # Blending is not transport.
        t_blend = ValueTracker(0.0)
        blend = always_redraw(lambda: density_shape(
            xs, (1 - t_blend.get_value()) * mu_pdf(xs) + t_blend.get_value() * nu_pdf(xs), C_GREEN))
        cap5 = make_caption("Blending (1−t)μ + tν only fades mass out and in: nothing moves")
        self.play(
            FadeOut(arcs_good, cost, targets),
            FadeOut(dots),
            swap(cap4, cap5),
            mu_shape.animate.set_fill(opacity=0.08).set_stroke(opacity=0.5),
            nu_shape.animate.set_fill(opacity=0.08).set_stroke(opacity=0.5),
            run_time=1.2,
        )
        self.add(blend)
        self.play(t_blend.animate.set_value(1.0), run_time=2.5, rate_func=there_and_back_with_pause)
        self.remove(blend)
        cross = Cross(VGroup(mu_shape, nu_shape), stroke_color=C_CORAL, stroke_width=5).scale(0.4)
        self.play(Create(cross), run_time=0.6)
        self.play(FadeOut(cross), run_time=0.5)

        # Benamou-Brenier: the density flows.
        dyn = MathTex(r"W_2^2 = \min \int_0^1 \int \rho |v|^2 dx dt", font_size=36, color=INK)
        cont = MathTex(r"\partial_t \rho + \nabla\cdot(\rho v) = 0", font_size=36, color=INK)
        VGroup(dyn, cont).arrange(RIGHT, buff=1.2).move_to(UP * 2.4)
        dyn_box = SurroundingRectangle(dyn, color=C_BLUE, buff=0.12, corner_radius=0.08)
        cont_note = Text("mass is conserved", font_size=22, color=C_GREEN, font=FONT).next_to(cont, DOWN, buff=0.15)
        cap6 = make_caption("Benamou–Brenier: move it as a fluid, with the least kinetic energy")
        self.play(FadeOut(w2, shift=0.3 * UP), FadeOut(mu_lab, nu_lab), run_time=0.8)
        self.play(swap(cap5, cap6), Write(dyn), run_time=1.8)
        self.play(Write(cont), FadeIn(cont_note, shift=0.1 * UP), run_time=1.6)

        t = ValueTracker(0.0)

        def flow_shape():
            xt, rho = displacement_curve(t.get_value())
            return density_shape(xt, rho, C_GREEN)

        flow = always_redraw(flow_shape)
        moving = always_redraw(lambda: VGroup(*[
            Dot(to_scene((1 - t.get_value()) * a + t.get_value() * b, dot_y), radius=0.06, color=c)
            for a, b, c in zip(src, dst, dot_colors)
        ]))
        t_label = always_redraw(lambda: VGroup(
            MathTex("t =", font_size=34, color=MUTED),
            DecimalNumber(t.get_value(), num_decimal_places=2, font_size=34, color=INK),
        ).arrange(RIGHT, buff=0.15).move_to(to_scene(-3.4, 0.0) + DOWN * 0.75))
        rho_lab = always_redraw(lambda: MathTex(r"\rho_t", color=C_GREEN, font_size=40).next_to(
            to_scene(*self._peak(t.get_value())), UP, buff=0.15))
        self.play(FadeIn(flow), FadeIn(moving), FadeIn(t_label), FadeIn(rho_lab), run_time=0.8)
        self.play(t.animate.set_value(1.0), run_time=5.0, rate_func=smooth)
        self.wait(0.6)

        cap7 = make_caption("Every grain moves in a straight line at constant speed: a geodesic")
        self.play(swap(cap6, cap7), Create(dyn_box), run_time=1.0)
        self.play(t.animate.set_value(0.0), run_time=1.5, rate_func=smooth)
        # Leave ghost snapshots of the geodesic behind.
        ghosts = VGroup()
        for stop in (0.25, 0.5, 0.75, 1.0):
            self.play(t.animate.set_value(stop), run_time=1.1, rate_func=smooth)
            xt, rho = displacement_curve(stop)
            ghost = density_shape(xt, rho, C_GREEN, opacity=0.0, stroke=2).set_stroke(opacity=0.55)
            ghosts.add(ghost)
            self.add(ghost)
        self.wait(0.8)
        cap8 = make_caption("Straight paths at constant speed minimise the kinetic energy")
        self.play(swap(cap7, cap8), Indicate(dyn, color=C_BLUE, scale_factor=1.05), run_time=1.6)
        self.wait(2.5)

    @staticmethod
    def _peak(t):
        xt, rho = displacement_curve(t)
        i = int(np.argmax(rho))
        return xt[i], rho[i]
