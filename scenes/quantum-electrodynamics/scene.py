"""Quantum electrodynamics: from Maxwell and Dirac to one vertex.

Maxwell's field A_mu (a travelling light wave), Dirac's electron (the two
branches of E^2 = p^2 + m^2), the gauge principle that couples them (local
phase rotations need a covariant derivative), the QED Lagrangian that results,
and its single interaction vertex drawn as a Feynman diagram.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, FONT, INK, MUTED
from mathreel_style import make_caption, make_title, swap

ROW_Y = 2.5
SUB_Y = 1.6


def photon_line(start, end, waves=7, amp=0.13, color=C_GOLD):
    start, end = np.array(start, dtype=float), np.array(end, dtype=float)
    d = end - start
    perp = np.array([-d[1], d[0], 0.0]) / np.linalg.norm(d)
    return ParametricFunction(
        lambda s: start + s * d + amp * np.sin(TAU * waves * s) * perp,
        t_range=[0, 1, 0.005], color=color, stroke_width=4,
    )


def fermion_line(start, end, color=C_BLUE):
    line = Line(start, end, color=color, stroke_width=4)
    mid = (np.array(start) + np.array(end)) / 2
    # Triangle() points up; turn it to point along the line (the arrow of charge flow).
    tip = Triangle(color=color, fill_color=color, fill_opacity=1, stroke_width=0).scale(0.14)
    tip.rotate(line.get_angle() - PI / 2).move_to(mid)
    return VGroup(line, tip)


class QuantumElectrodynamicsScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        title = make_title("Quantum electrodynamics")
        self.play(Write(title), run_time=1.2)

        # 1. Maxwell: the field A_mu and its waves.
        maxwell = MathTex(r"\partial_\mu F^{\mu\nu} = J^\nu", font_size=44, color=INK).move_to(UP * ROW_Y)
        fdef = MathTex(r"F_{\mu\nu} = \partial_\mu A_\nu - \partial_\nu A_\mu", font_size=34, color=MUTED).move_to(UP * SUB_Y)
        cap = make_caption("Maxwell's equations: the electromagnetic field, whose ripples are light")
        self.play(Write(maxwell), FadeIn(cap), run_time=1.8)

        phase = ValueTracker(0.0)
        axis_y = -0.6
        axis = Arrow([-5.8, axis_y, 0], [6.0, axis_y, 0], buff=0, color=MUTED, stroke_width=2,
                     max_tip_length_to_length_ratio=0.02)
        depth = np.array([-0.55, -0.45, 0.0])
        xs = np.linspace(-5.5, 5.3, 37)

        def wave(kind):
            k = 2 * PI / 3.6
            vals = 1.3 * np.sin(k * xs - phase.get_value())
            group = VGroup()
            if kind == "E":
                tips = [np.array([x, axis_y + v, 0]) for x, v in zip(xs, vals)]
                color = C_GOLD
            else:
                tips = [np.array([x, axis_y, 0]) + v * depth for x, v in zip(xs, vals)]
                color = C_BLUE
            for x, t in zip(xs, tips):
                group.add(Line([x, axis_y, 0], t, color=color, stroke_width=2, stroke_opacity=0.7))
            env = VMobject(stroke_color=color, stroke_width=4)
            env.set_points_smoothly(tips)
            group.add(env)
            return group

        e_wave = always_redraw(lambda: wave("E"))
        b_wave = always_redraw(lambda: wave("B"))
        e_lab = MathTex(r"\vec E", color=C_GOLD, font_size=36).move_to([-6.3, axis_y + 1.0, 0])
        b_lab = MathTex(r"\vec B", color=C_BLUE, font_size=36).move_to([-6.3, axis_y - 1.0, 0])
        self.play(GrowArrow(axis), FadeIn(e_wave), FadeIn(b_wave), FadeIn(e_lab, b_lab), run_time=1.2)
        self.play(phase.animate.set_value(2.5 * PI), Write(fdef), run_time=3.5, rate_func=linear)
        self.play(phase.animate.set_value(4 * PI), run_time=2.0, rate_func=linear)
        e_wave.clear_updaters()
        b_wave.clear_updaters()

        # 2. Dirac: the relativistic electron, two energy branches.
        dirac = MathTex(r"(i\gamma^\mu \partial_\mu - m)\psi = 0", font_size=44, color=INK).move_to(UP * ROW_Y)
        cap2 = make_caption("Dirac's equation: a relativistic electron with spin")
        self.play(FadeOut(VGroup(axis, e_wave, b_wave, e_lab, b_lab, fdef)), swap(maxwell, dirac),
                  swap(cap, cap2), run_time=1.6)
        ax = Axes(x_range=[-3, 3, 1], y_range=[-3, 3, 1], x_length=5.0, y_length=3.9, tips=False,
                  axis_config={"color": MUTED, "stroke_width": 2, "include_ticks": False}).move_to(DOWN * 0.55)
        p_lab = MathTex("p", color=MUTED, font_size=30).next_to(ax.x_axis.get_right(), RIGHT, buff=0.1)
        en_lab = MathTex("E", color=MUTED, font_size=30).next_to(ax.y_axis.get_top(), RIGHT, buff=0.1)
        upper = ax.plot(lambda p: np.sqrt(p ** 2 + 1), x_range=[-2.8, 2.8], color=C_BLUE, stroke_width=4)
        lower = ax.plot(lambda p: -np.sqrt(p ** 2 + 1), x_range=[-2.8, 2.8], color=C_CORAL, stroke_width=4)
        cone = VGroup(*[DashedLine(ax.c2p(-2.9, s * -2.9), ax.c2p(2.9, s * 2.9), color=MUTED, stroke_width=1.5)
                        for s in (1, -1)])
        rel = MathTex(r"E^2 = p^2 + m^2", font_size=32, color=MUTED).move_to([-4.6, 0.6, 0])
        up_lab = Text("electron", font_size=22, color=C_BLUE, font=FONT).next_to(ax.c2p(2.8, np.sqrt(8.84)), RIGHT, buff=0.15)
        lo_lab = Text("E < 0: the positron", font_size=22, color=C_CORAL, font=FONT).next_to(ax.c2p(2.8, -np.sqrt(8.84)), RIGHT, buff=0.15)
        self.play(Create(ax), FadeIn(p_lab, en_lab), Create(cone), FadeIn(rel), run_time=1.4)
        self.play(Create(upper), Create(lower), FadeIn(up_lab), run_time=1.6)
        cap3 = make_caption("Both signs of energy solve it: the negative branch predicts antimatter")
        dot_u = Dot(ax.c2p(-2.5, np.sqrt(7.25)), color=C_BLUE, radius=0.09)
        dot_l = Dot(ax.c2p(2.5, -np.sqrt(7.25)), color=C_CORAL, radius=0.09)
        self.play(FadeIn(dot_u, dot_l), FadeIn(lo_lab), swap(cap2, cap3), run_time=1.2)
        self.play(MoveAlongPath(dot_u, ax.plot(lambda p: np.sqrt(p ** 2 + 1), x_range=[-2.5, 2.5])),
                  MoveAlongPath(dot_l, ax.plot(lambda p: -np.sqrt(p ** 2 + 1), x_range=[-2.5, 2.5]).reverse_points()),
                  run_time=2.4, rate_func=there_and_back)
        self.wait(0.5)

        # 3. Gauge principle: local phase rotations need a gauge field.
        cov = MathTex(r"D_\mu = \partial_\mu + i e A_\mu", font_size=44, color=INK).move_to(UP * ROW_Y)
        gauge_rule = MathTex(r"\psi \to e^{i\alpha(x)}\psi, \quad A_\mu \to A_\mu - \tfrac{1}{e}\partial_\mu \alpha",
                             font_size=32, color=MUTED).move_to(UP * SUB_Y)
        cap4 = make_caption("Turn the phase of ψ by one angle everywhere: nothing changes")
        self.play(FadeOut(VGroup(ax, p_lab, en_lab, upper, lower, cone, rel, up_lab, lo_lab, dot_u, dot_l)),
                  FadeOut(dirac), swap(cap3, cap4), run_time=1.4)
        glob = ValueTracker(0.0)
        loc = ValueTracker(0.0)
        cx = np.linspace(-5.0, 5.0, 11)
        alpha_shape = np.exp(-0.5 * (cx / 1.8) ** 2) * 2.2
        row_y = -0.1

        def clocks():
            g = VGroup()
            for x, a in zip(cx, alpha_shape):
                ang = PI / 2 + glob.get_value() + loc.get_value() * a
                c = Circle(radius=0.36, color=MUTED, stroke_width=2).move_to([x, row_y, 0])
                hand = Line([x, row_y, 0], [x + 0.32 * np.cos(ang), row_y + 0.32 * np.sin(ang), 0],
                            color=C_BLUE, stroke_width=4)
                g.add(c, hand, Dot([x, row_y, 0], radius=0.04, color=C_BLUE))
            return g

        row = always_redraw(clocks)
        psi_lab = MathTex(r"\psi(x)", color=C_BLUE, font_size=34).move_to([-6.3, row_y, 0])
        self.play(FadeIn(row), FadeIn(psi_lab), run_time=1.0)
        self.play(glob.animate.set_value(PI / 2), run_time=1.6)
        cap5 = make_caption("Turn it by a different angle at each point, and derivatives notice")
        self.play(swap(cap4, cap5), run_time=1.0)
        self.play(loc.animate.set_value(1.0), run_time=2.0)
        grad = -np.gradient(alpha_shape, cx)
        a_field = VGroup(*[
            Arrow([x - 0.35 * g, row_y - 1.25, 0], [x + 0.35 * g, row_y - 1.25, 0], buff=0, color=C_GOLD,
                  stroke_width=4, max_tip_length_to_length_ratio=0.35)
            for x, g in zip(cx, grad) if abs(g) > 0.08
        ])
        a_lab = MathTex(r"A_\mu", color=C_GOLD, font_size=34).move_to([-6.3, row_y - 1.25, 0])
        cap6 = make_caption("A photon field that shifts along absorbs the twist: the coupling e")
        self.play(Write(cov), Write(gauge_rule), swap(cap5, cap6), run_time=2.0)
        self.play(LaggedStartMap(GrowArrow, a_field, lag_ratio=0.1), FadeIn(a_lab), run_time=1.6)
        self.wait(1.2)
        row.clear_updaters()

        # 4. The Lagrangian.
        dirac_part = r"\bar\psi(i\gamma^\mu D_\mu - m)\psi"
        maxwell_part = r"\tfrac{1}{4}F_{\mu\nu}F^{\mu\nu}"
        lag = MathTex(r"\mathcal{L}_{\mathrm{QED}} = \bar\psi(i\gamma^\mu D_\mu - m)\psi - \tfrac{1}{4}F_{\mu\nu}F^{\mu\nu}",
                      font_size=44, color=INK, substrings_to_isolate=[dirac_part, maxwell_part]).move_to(UP * 0.9)
        cap7 = make_caption("Put together: the whole theory in one line")
        self.play(FadeOut(VGroup(row, psi_lab, a_field, a_lab, gauge_rule)), FadeOut(cov), swap(cap6, cap7), run_time=1.2)
        self.play(Write(lag), run_time=2.4)
        d_part = lag.get_part_by_tex(dirac_part)
        m_part = lag.get_part_by_tex(maxwell_part)
        d_brace = Brace(d_part, DOWN, color=C_BLUE)
        m_brace = Brace(m_part, DOWN, color=C_GOLD)
        d_txt = Text("electron + coupling", font_size=22, color=C_BLUE, font=FONT).next_to(d_brace, DOWN, buff=0.1)
        m_txt = Text("photon", font_size=22, color=C_GOLD, font=FONT).next_to(m_brace, DOWN, buff=0.1)
        self.play(d_part.animate.set_color(C_BLUE), m_part.animate.set_color(C_GOLD),
                  GrowFromCenter(d_brace), GrowFromCenter(m_brace), FadeIn(d_txt, m_txt), run_time=1.6)
        inter = MathTex(r"\supset\; -e\,\bar\psi\gamma^\mu\psi\,A_\mu", font_size=40, color=C_CORAL)
        inter.next_to(VGroup(d_txt, m_txt), DOWN, buff=0.45)
        cap8 = make_caption("Expanding the covariant derivative gives one interaction term")
        self.play(Write(inter), swap(cap7, cap8), run_time=1.8)
        self.wait(1.5)

        # 5. The vertex as a Feynman diagram.
        cap9 = make_caption("Its Feynman diagram: an electron emits or absorbs a photon")
        lag_small = lag.copy().scale(0.78).move_to(UP * ROW_Y)
        self.play(FadeOut(VGroup(d_brace, m_brace, d_txt, m_txt, inter)), Transform(lag, lag_small),
                  swap(cap8, cap9), run_time=1.4)
        vtx = np.array([0.4, -0.3, 0])
        e_in_start = np.array([-3.6, -2.1, 0])
        e_out_end = np.array([4.2, -2.2, 0])
        ph_end = np.array([3.6, 1.5, 0])
        e_in = fermion_line(e_in_start, vtx)
        e_out = fermion_line(vtx, e_out_end)
        ph = photon_line(vtx, ph_end)
        vdot = Dot(vtx, radius=0.1, color=C_CORAL)
        labels = VGroup(
            MathTex(r"e^-", color=C_BLUE, font_size=36).next_to((e_in_start + vtx) / 2, UL, buff=0.2),
            MathTex(r"e^-", color=C_BLUE, font_size=36).next_to((vtx + e_out_end) / 2, UR, buff=0.2).shift(DOWN * 0.1),
            MathTex(r"\gamma", color=C_GOLD, font_size=38).next_to((vtx + ph_end) / 2, UL, buff=0.3),
        )
        factor = MathTex(r"-ie\gamma^\mu", color=C_CORAL, font_size=40).next_to(vtx, LEFT, buff=0.35).shift(UP * 0.3)
        time_arrow = Arrow([-5.8, -2.75, 0], [-4.3, -2.75, 0], buff=0, color=MUTED, stroke_width=2,
                           max_tip_length_to_length_ratio=0.15)
        time_lab = Text("time", font_size=20, color=MUTED, font=FONT).next_to(time_arrow, UP, buff=0.08)
        self.play(Create(e_in), FadeIn(time_arrow, time_lab), run_time=1.0)
        self.play(Create(e_out), Create(ph), FadeIn(vdot), FadeIn(labels), run_time=1.6)
        self.play(Write(factor), Flash(vtx, color=C_CORAL, line_length=0.25, flash_radius=0.3), run_time=1.4)
        # A particle runs through the vertex and the photon leaves.
        runner = Dot(e_in_start, radius=0.1, color=INK)
        self.play(MoveAlongPath(runner, Line(e_in_start, vtx)), run_time=1.2, rate_func=linear)
        packet = Dot(vtx, radius=0.09, color=C_GOLD)
        self.play(MoveAlongPath(runner, Line(vtx, e_out_end)), MoveAlongPath(packet, ph),
                  run_time=1.6, rate_func=linear)
        self.play(FadeOut(runner, packet), run_time=0.5)
        alpha = MathTex(r"\alpha = \frac{e^2}{4\pi} \approx \frac{1}{137}", font_size=34, color=INK).move_to([-4.6, 0.9, 0])
        cap10 = make_caption("Each vertex costs a factor e: a small coupling, so diagrams can be summed")
        self.play(FadeIn(alpha, shift=0.1 * UP), swap(cap9, cap10), run_time=1.4)
        self.wait(2.5)
