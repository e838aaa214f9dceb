"""Radius of convergence of the Taylor series of 1/(1+x^2).

Partial sums hug the smooth bump for |x| < 1 and blow up beyond, although
nothing happens to the function at x = 1. The complex plane explains it: the
function has poles at z = +i and z = -i, and a power series converges on the
largest disk that avoids them. Moving the expansion centre a along the real
line, the disk (radius sqrt(1 + a^2)) and the real interval of convergence
move together.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, INK, MUTED
from mathreel_style import make_caption, make_title, swap

Y_MIN, Y_MAX = -1.0, 2.0
ROW_Y = 2.4


def f(x):
    return 1.0 / (1.0 + x ** 2)


def taylor_coeffs(a, degree):
    """c_n of 1/(1+x^2) = sum c_n (x-a)^n: c_n = (-1)^n Im((a - i)^-(n+1))."""
    n = np.arange(degree + 1)
    return (-1.0) ** n * np.imag((a - 1j) ** (-(n + 1.0)))


def clipped_graph(axes, xs, ys, color, width=4):
    """Graph of ys over xs, keeping the contiguous run around the centre inside the y-window."""
    inside = (ys >= Y_MIN) & (ys <= Y_MAX)
    mid = int(np.argmax(inside)) if not inside[len(xs) // 2] else len(xs) // 2
    lo = mid
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    hi = mid
    while hi < len(xs) - 1 and inside[hi + 1]:
        hi += 1
    pts = [axes.c2p(x, y) for x, y in zip(xs[lo:hi + 1], ys[lo:hi + 1])]
    curve = VMobject(stroke_color=color, stroke_width=width)
    if len(pts) > 2:
        curve.set_points_smoothly(pts)
    else:
        curve.set_points_as_corners(pts + pts[-1:])
    return curve


class TaylorSeriesRadiusScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        title = make_title("Taylor series and the radius of convergence")
        self.play(Write(title), run_time=1.4)

        axes = Axes(
            x_range=[-3, 3, 1], y_range=[Y_MIN, Y_MAX, 1], x_length=7.6, y_length=4.2, tips=False,
            axis_config={"color": MUTED, "stroke_width": 2, "include_numbers": True, "font_size": 24},
        ).move_to(DOWN * 0.55)
        x_lab = MathTex("x", color=MUTED, font_size=30).next_to(axes.x_axis.get_right(), UR, buff=0.08)
        graph = axes.plot(f, x_range=[-3, 3], color=C_BLUE, stroke_width=5)
        series = MathTex(r"\frac{1}{1+x^2} = \sum_{n=0}^{\infty} (-1)^n x^{2n}", font_size=36, color=INK).move_to(UP * ROW_Y)
        cap = make_caption("A smooth bump on the whole real line, and its Taylor series at 0")
        self.play(Create(axes), FadeIn(x_lab), FadeIn(cap), run_time=1.4)
        self.play(Create(graph), Write(series), run_time=2.0)

        # Partial sums S_N: good inside |x| < 1, wild outside.
        xs = np.linspace(-3, 3, 601)

        def partial(n_terms):
            ys = np.zeros_like(xs)
            for n in range(n_terms + 1):
                ys += (-1) ** n * xs ** (2 * n)
            return clipped_graph(axes, xs, ys, C_GOLD)

        n_tracker = Integer(0, font_size=34, color=C_GOLD)
        n_label = VGroup(MathTex("N =", font_size=34, color=C_GOLD), n_tracker).arrange(RIGHT, buff=0.15)
        sn = MathTex(r"S_N(x) = \sum_{n=0}^{N} (-1)^n x^{2n}", font_size=30, color=C_GOLD)
        sn.move_to([5.45, 0.9, 0])
        n_label.next_to(sn, DOWN, buff=0.35)
        cap2 = make_caption("Add more terms: the partial sums hug the curve only for |x| < 1")
        current = partial(0)
        self.play(Create(current), FadeIn(n_label), FadeIn(sn), swap(cap, cap2), run_time=1.4)
        for n_terms in range(1, 11):
            nxt = partial(n_terms)
            self.play(Transform(current, nxt), n_tracker.animate.set_value(n_terms),
                      run_time=0.75 if n_terms < 4 else 0.55)
        band = Rectangle(width=axes.c2p(1, 0)[0] - axes.c2p(-1, 0)[0], height=axes.y_length,
                         stroke_width=0, fill_color=C_GREEN, fill_opacity=0.12).move_to(axes.c2p(0, 0.5))
        edges = VGroup(*[DashedLine(axes.c2p(s, Y_MIN), axes.c2p(s, Y_MAX), color=C_GREEN, stroke_width=2)
                         for s in (-1, 1)])
        self.play(FadeIn(band), Create(edges), run_time=1.0)
        cap3 = make_caption("Yet nothing special happens to the function at x = ±1. Why stop there?")
        self.play(swap(cap2, cap3), run_time=1.2)
        self.wait(1.5)

        # To the complex plane.
        left = VGroup(axes, x_lab, graph, current, band, edges)
        self.play(FadeOut(n_label, sn), run_time=0.5)
        self.play(left.animate.scale(0.72).move_to([-3.55, -0.5, 0]), run_time=1.4)
        plane = NumberPlane(
            x_range=[-2.6, 2.6, 1], y_range=[-2, 2, 1], x_length=5.2, y_length=4.0,
            background_line_style={"stroke_color": MUTED, "stroke_width": 1, "stroke_opacity": 0.25},
            axis_config={"color": MUTED, "stroke_width": 2},
        ).move_to([3.55, -0.5, 0])
        re_lab = MathTex(r"\mathrm{Re}\,z", color=MUTED, font_size=26).next_to(plane.c2p(2.6, 0), DOWN, buff=0.12).shift(LEFT * 0.3)
        im_lab = MathTex(r"\mathrm{Im}\,z", color=MUTED, font_size=26).next_to(plane.c2p(0, 2), RIGHT, buff=0.12)
        poles = VGroup(*[Cross(scale_factor=0.14, stroke_color=C_CORAL, stroke_width=5).move_to(plane.c2p(0, s))
                         for s in (1, -1)])
        pole_labs = VGroup(
            MathTex("i", color=C_CORAL, font_size=32).next_to(poles[0], UP, buff=0.12),
            MathTex("-i", color=C_CORAL, font_size=32).next_to(poles[1], DOWN, buff=0.12),
        )
        pole_eq = MathTex(r"1 + z^2 = 0 \iff z = \pm i", font_size=38, color=INK).move_to(UP * ROW_Y)
        cap4 = make_caption("Let x be complex: the function blows up at z = i and z = -i")
        self.play(Create(plane), FadeIn(re_lab, im_lab), swap(cap3, cap4), run_time=1.6)
        self.play(swap(series, pole_eq), GrowFromCenter(poles[0]), GrowFromCenter(poles[1]),
                  FadeIn(pole_labs), run_time=1.6)
        disk = Circle(radius=plane.x_axis.get_unit_size(), color=C_GREEN, stroke_width=4).move_to(plane.c2p(0, 0))
        disk.set_fill(C_GREEN, 0.12)
        seg = Line(plane.c2p(-1, 0), plane.c2p(1, 0), color=C_GREEN, stroke_width=7)
        cap5 = make_caption("A power series converges on a disk: the biggest one that avoids the poles")
        self.play(GrowFromCenter(disk), swap(cap4, cap5), run_time=1.6)
        self.play(Create(seg), Indicate(band, color=C_GREEN, scale_factor=1.0), run_time=1.2)
        self.wait(1.2)

        # Move the expansion centre a along the real line.
        a = ValueTracker(0.0)
        radius_eq = MathTex(r"R(a) = \sqrt{1 + a^2}", font_size=38, color=INK).move_to(UP * ROW_Y)
        cap6 = make_caption("Expand around x = a instead: the disk must still pass through ±i")
        self.play(swap(pole_eq, radius_eq), swap(cap5, cap6), FadeOut(current, band, edges, seg), run_time=1.6)

        def taylor_curve():
            av = a.get_value()
            c = taylor_coeffs(av, 16)
            ys = np.polyval(c[::-1], xs - av)
            return clipped_graph(axes, xs, ys, C_GOLD)

        def real_band():
            av = a.get_value()
            r = np.sqrt(1 + av ** 2)
            lo, hi = max(av - r, -3), min(av + r, 3)
            height = axes.c2p(0, Y_MAX)[1] - axes.c2p(0, Y_MIN)[1]
            return Rectangle(width=axes.c2p(hi, 0)[0] - axes.c2p(lo, 0)[0], height=height,
                             stroke_width=0, fill_color=C_GREEN, fill_opacity=0.12).move_to(
                [(axes.c2p(lo, 0)[0] + axes.c2p(hi, 0)[0]) / 2, axes.c2p(0, 0.5)[1], 0])

        def moving_disk():
            av = a.get_value()
            r = np.sqrt(1 + av ** 2)
            d = Circle(radius=r * plane.x_axis.get_unit_size(), color=C_GREEN, stroke_width=4)
            return d.set_fill(C_GREEN, 0.12).move_to(plane.c2p(av, 0))

        def spokes():
            av = a.get_value()
            return VGroup(*[DashedLine(plane.c2p(av, 0), plane.c2p(0, s), color=C_GREEN, stroke_width=2)
                            for s in (1, -1)])

        t_curve = always_redraw(taylor_curve)
        r_band = always_redraw(real_band)
        m_disk = always_redraw(moving_disk)
        m_spokes = always_redraw(spokes)
        centre_l = always_redraw(lambda: Dot(axes.c2p(a.get_value(), 0), radius=0.07, color=C_GOLD))
        centre_r = always_redraw(lambda: Dot(plane.c2p(a.get_value(), 0), radius=0.07, color=C_GOLD))
        a_val = always_redraw(lambda: VGroup(
            MathTex("a =", font_size=32, color=C_GOLD),
            DecimalNumber(a.get_value(), num_decimal_places=2, font_size=32, color=C_GOLD),
            MathTex(r"\quad R =", font_size=32, color=C_GREEN),
            DecimalNumber(np.sqrt(1 + a.get_value() ** 2), num_decimal_places=2, font_size=32, color=C_GREEN),
        ).arrange(RIGHT, buff=0.12).move_to([0, 1.75, 0]))
        self.remove(disk)
        self.add(r_band, m_disk)
        self.play(FadeIn(t_curve), FadeIn(m_spokes), FadeIn(centre_l), FadeIn(centre_r), FadeIn(a_val), run_time=1.0)
        self.play(a.animate.set_value(1.2), run_time=4.0, rate_func=smooth)
        self.wait(0.6)
        self.play(a.animate.set_value(-1.0), run_time=4.0, rate_func=smooth)
        self.wait(0.6)
        cap7 = make_caption("The real interval of convergence is the disk's shadow on the real line")
        self.play(swap(cap6, cap7), run_time=1.2)
        self.play(a.animate.set_value(0.0), run_time=2.4, rate_func=smooth)
        cap8 = make_caption("Radius = distance to the nearest singularity, even an invisible one")
        self.play(swap(cap7, cap8), Indicate(poles, color=C_CORAL, scale_factor=1.4), run_time=1.6)
        self.wait(2.5)
