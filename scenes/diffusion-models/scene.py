"""Diffusion models: noise data into a Gaussian, learn the score, flow back.

A one-dimensional data density (two bumps) is pushed through the
variance-preserving forward SDE with a linear schedule beta(t). The marginals
p_t are drawn as a heat map in the (t, x) plane; the score field points back
toward the data; the probability-flow ODE carries Gaussian samples
deterministically back onto the data modes.
"""

import math

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, C_VIOLET, FONT, INK, MUTED
from mathreel_style import make_caption, make_title, swap

BETA_MIN, BETA_MAX = 0.1, 12.0
T_END = 1.0
WEIGHTS = np.array([0.45, 0.55])
MEANS = np.array([-1.7, 1.3])
SDS = np.array([0.28, 0.38])
ROW_Y = 2.55


def beta(t):
    return BETA_MIN + (BETA_MAX - BETA_MIN) * t


def alpha(t):
    """Signal scale a_t = exp(-1/2 int_0^t beta) of the variance-preserving SDE."""
    return np.exp(-0.5 * (BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t ** 2))


def components(x, t):
    a = alpha(np.asarray(t, dtype=float))[..., None]
    m = MEANS * a
    v = SDS ** 2 * a ** 2 + (1 - a ** 2)
    xx = np.asarray(x, dtype=float)[..., None]
    dens = WEIGHTS * np.exp(-0.5 * (xx - m) ** 2 / v) / np.sqrt(2 * np.pi * v)
    return dens, m, v, xx


def p_t(x, t):
    dens, _, _, _ = components(x, t)
    return dens.sum(axis=-1)


def score(x, t):
    """Exact score d/dx log p_t(x) of the Gaussian-mixture marginal."""
    dens, m, v, xx = components(x, t)
    return (dens * (-(xx - m) / v)).sum(axis=-1) / dens.sum(axis=-1)


def ode_velocity(x, t):
    return -0.5 * beta(t) * (x + score(x, t))


def ode_path(x_end, steps=200):
    """Integrate the probability-flow ODE from t = T back to t = 0 (RK4)."""
    ts = np.linspace(T_END, 0.0, steps + 1)
    xs = [x_end]
    x = x_end
    for k in range(steps):
        t0, h = ts[k], ts[k + 1] - ts[k]
        k1 = ode_velocity(x, t0)
        k2 = ode_velocity(x + 0.5 * h * k1, t0 + 0.5 * h)
        k3 = ode_velocity(x + 0.5 * h * k2, t0 + 0.5 * h)
        k4 = ode_velocity(x + h * k3, t0 + h)
        x = float(x + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6)
        xs.append(x)
    return ts, np.array(xs)


def normal_quantiles(n):
    z_grid = np.linspace(-5, 5, 2001)
    z_cdf = np.array([0.5 * (1 + math.erf(z / math.sqrt(2))) for z in z_grid])
    return np.interp((np.arange(n) + 0.5) / n, z_cdf, z_grid)


class DiffusionModelsScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        rng = np.random.default_rng(7)

        title = make_title("Diffusion models")
        self.play(Write(title), run_time=1.2)

        axes = Axes(x_range=[0, T_END, 0.25], y_range=[-3, 3, 1], x_length=9.2, y_length=4.0, tips=False)
        axes.move_to(DOWN * 0.55)
        x_axis = Line(axes.c2p(0, -3), axes.c2p(0, 3), color=MUTED, stroke_width=2)
        t_arrow = Arrow(axes.c2p(0, -3) + DOWN * 0.12, axes.c2p(T_END, -3) + DOWN * 0.12 + RIGHT * 0.25,
                        buff=0, color=MUTED, stroke_width=2, max_tip_length_to_length_ratio=0.03)
        x_lab = MathTex("x", color=MUTED, font_size=32).next_to(axes.c2p(0, 3), RIGHT, buff=0.12)
        t_lab = MathTex("t", color=MUTED, font_size=32).next_to(t_arrow.get_end(), RIGHT, buff=0.1)
        data_word = Text("t = 0: data", font_size=20, color=MUTED, font=FONT).next_to(t_arrow.get_start(), DOWN, buff=0.1)
        noise_word = Text("t = T: noise", font_size=20, color=MUTED, font=FONT).next_to(
            axes.c2p(T_END, -3) + DOWN * 0.12, DOWN, buff=0.1)

        def side_density(t, side, color):
            xs = np.linspace(-3, 3, 241)
            ys = p_t(xs, t)
            base = axes.c2p(t, 0)[0] + side * 0.1
            pts = [np.array([base, axes.c2p(0, xs[0])[1], 0])]
            pts += [np.array([base + side * 1.25 * y, axes.c2p(0, x)[1], 0]) for x, y in zip(xs, ys)]
            pts += [np.array([base, axes.c2p(0, xs[-1])[1], 0])]
            shape = VMobject(stroke_color=color, stroke_width=2.5, fill_color=color, fill_opacity=0.45)
            shape.set_points_as_corners(pts)
            return shape

        p0 = side_density(0.0, -1, C_BLUE)
        pT = side_density(T_END, +1, C_GOLD)
        p0_lab = MathTex("p_0", color=C_BLUE, font_size=34).next_to(p0, UP, buff=0.1)
        pT_lab = MathTex(r"p_T \approx \mathcal{N}(0,1)", color=C_GOLD, font_size=28)
        pT_lab.next_to(pT, UP, buff=0.1).align_to(pT, RIGHT)

        cap = make_caption("Data: a density we can sample from but cannot write down")
        self.play(Create(x_axis), GrowArrow(t_arrow), FadeIn(x_lab, t_lab, data_word, noise_word, cap), run_time=1.5)
        self.play(DrawBorderThenFill(p0), Write(p0_lab), run_time=1.5)
        self.wait(0.8)

        # Forward SDE: heat map of p_t and a few noisy paths.
        fwd = MathTex(r"dx = -\tfrac{1}{2}\beta(t)\, x\, dt + \sqrt{\beta(t)}\, dW_t", font_size=36, color=INK)
        fwd_tag = Text("forward SDE", font_size=24, color=C_CORAL, font=FONT)
        fwd_row = VGroup(fwd_tag, fwd).arrange(RIGHT, buff=0.5).move_to(UP * ROW_Y)
        cap2 = make_caption("Forward: shrink toward 0 and add noise, until only a Gaussian is left")
        self.play(Write(fwd_row), swap(cap, cap2), run_time=2.0)

        # Heat map of p_t(x): one horizontal strip per x with a colour gradient in t
        # (each column normalised, so the shape stays visible as it spreads).
        n_rows, n_stops = 90, 48
        ts_img = np.linspace(0, T_END, n_stops)
        edges = np.linspace(-3, 3, n_rows + 1)
        centers = 0.5 * (edges[1:] + edges[:-1])
        dens = p_t(centers[:, None], ts_img[None, :])
        dens = dens / dens.max(axis=0, keepdims=True)
        inten = np.clip(dens, 0, 1) ** 0.9 * 0.55
        row_h = axes.y_length / n_rows
        heat = VGroup()
        for j, xc in enumerate(centers):
            cols = [interpolate_color(ManimColor(BG), ManimColor(C_VIOLET), float(v)) for v in inten[j]]
            strip = Rectangle(width=axes.x_length, height=row_h * 1.6, stroke_width=0)  # overlap hides seams
            strip.set_fill(cols, opacity=1.0).set_sheen_direction(RIGHT)
            strip.move_to(axes.c2p(T_END / 2, xc))
            heat.add(strip)

        n_paths, n_steps = 14, 240
        dt = T_END / n_steps
        which = rng.choice(2, size=n_paths, p=WEIGHTS)
        x = MEANS[which] + SDS[which] * rng.standard_normal(n_paths)
        traj = [x.copy()]
        for k in range(n_steps):
            b = beta(k * dt)
            x = x - 0.5 * b * x * dt + np.sqrt(b * dt) * rng.standard_normal(n_paths)
            traj.append(x.copy())
        traj = np.clip(np.array(traj), -2.95, 2.95)
        times = np.linspace(0, T_END, n_steps + 1)
        paths = VGroup()
        for i in range(n_paths):
            path = VMobject(stroke_color=C_BLUE if which[i] == 0 else C_GOLD, stroke_width=1.6, stroke_opacity=0.9)
            path.set_points_as_corners([axes.c2p(tt, xx) for tt, xx in zip(times, traj[:, i])])
            paths.add(path)
        self.play(Create(paths, lag_ratio=0.04), run_time=4.5, rate_func=linear)
        self.add(heat)
        self.bring_to_back(heat)
        heat.set_opacity(0)
        cap2b = make_caption("The marginal densities blur the two bumps into one bell curve")
        self.play(heat.animate.set_opacity(1), paths.animate.set_stroke(opacity=0.35), swap(cap2, cap2b), run_time=1.6)
        self.play(DrawBorderThenFill(pT), Write(pT_lab), run_time=1.3)
        self.wait(1.0)

        # The score field.
        sc = MathTex(r"s_\theta(x, t) \approx \nabla_x \log p_t(x)", font_size=36, color=INK)
        sc_tag = Text("score", font_size=24, color=C_GREEN, font=FONT)
        sc_row = VGroup(sc_tag, sc).arrange(RIGHT, buff=0.5).move_to(UP * ROW_Y)
        cap3 = make_caption("To undo it we need the score: which way is uphill in log-density")
        self.play(FadeOut(paths), swap(fwd_row, sc_row), swap(cap2b, cap3), run_time=1.6)
        arrows = VGroup()
        for tv in np.linspace(0.04, T_END - 0.04, 12):
            for xv in np.linspace(-2.5, 2.5, 11):
                s = float(score(xv, tv))
                length = float(np.clip(0.11 * s, -0.42, 0.42))
                if abs(length) < 0.06:
                    continue
                start = axes.c2p(tv, xv)
                arrows.add(Arrow(
                    start, start + UP * length, buff=0, color=C_GREEN, stroke_width=3,
                    max_tip_length_to_length_ratio=0.4, max_stroke_width_to_length_ratio=12,
                ))
        arrows.sort(lambda p: -p[0])
        self.play(LaggedStartMap(GrowArrow, arrows, lag_ratio=0.02), run_time=3.0)
        cap4 = make_caption("Near t = 0 it points at the data; near t = T it points at 0")
        self.play(swap(cap3, cap4), run_time=1.2)
        self.wait(1.8)

        # Probability-flow ODE: deterministic paths from noise back to data.
        ode = MathTex(r"\frac{dx}{dt} = -\tfrac{1}{2}\beta(t)\left[x + \nabla_x \log p_t(x)\right]",
                      font_size=36, color=INK)
        ode_tag = Text("probability-flow ODE", font_size=24, color=C_GOLD, font=FONT)
        ode_row = VGroup(ode_tag, ode).arrange(RIGHT, buff=0.5).move_to(UP * ROW_Y)
        cap5 = make_caption("Sampling: draw Gaussian noise, then follow the flow backwards in time")
        self.play(swap(sc_row, ode_row), arrows.animate.set_opacity(0.25), swap(cap4, cap5), run_time=1.6)
        a_T = alpha(T_END)
        sd_T = float(np.sqrt(np.sum(WEIGHTS * (SDS ** 2 * a_T ** 2 + 1 - a_T ** 2))))
        starts = sd_T * normal_quantiles(18)
        flows, dots = VGroup(), VGroup()
        for x_end in starts:
            ts, xs = ode_path(float(x_end))
            end_color = C_BLUE if xs[-1] < 0 else C_GOLD
            curve = VMobject(stroke_color=end_color, stroke_width=2.6)
            curve.set_points_smoothly([axes.c2p(tt, xx) for tt, xx in zip(ts[::4], xs[::4])])
            flows.add(curve)
            dots.add(Dot(axes.c2p(T_END, x_end), radius=0.06, color=INK))
        self.play(FadeIn(dots, scale=0.5), run_time=0.8)
        self.play(
            *[Create(c) for c in flows],
            *[MoveAlongPath(d, c) for d, c in zip(dots, flows)],
            run_time=5.0, rate_func=linear,
        )
        self.play(*[d.animate.set_color(c.get_color()) for d, c in zip(dots, flows)], run_time=0.6)
        cap6 = make_caption("No noise on the way back, yet the samples land on the data density")
        self.play(swap(cap5, cap6), Indicate(p0, color=C_BLUE, scale_factor=1.06), run_time=1.8)
        self.wait(1.0)

        # Wrap up: the three equations together over a dimmed plot.
        summary = VGroup(fwd.copy(), sc.copy(), ode.copy()).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        tags = VGroup(fwd_tag.copy(), sc_tag.copy(), ode_tag.copy())
        for tag, eq in zip(tags, summary):
            tag.next_to(eq, LEFT, buff=0.4)
        block = VGroup(tags, summary).move_to(DOWN * 0.55)
        panel = BackgroundRectangle(block, color=BG, fill_opacity=0.94, buff=0.35)
        frame = SurroundingRectangle(block, color=MUTED, buff=0.35, corner_radius=0.12, stroke_width=2)
        cap7 = make_caption("Learn the score by denoising; then sample by solving an ODE")
        self.play(FadeOut(ode_row, shift=0.3 * UP), FadeIn(panel), Create(frame), swap(cap6, cap7), run_time=1.4)
        self.play(LaggedStart(*[FadeIn(VGroup(tg, eq), shift=0.2 * RIGHT) for tg, eq in zip(tags, summary)],
                              lag_ratio=0.4), run_time=2.4)
        self.wait(3.0)
