"""Electroweak symmetry breaking: the Higgs "Mexican hat".

A side view of V(phi) for real phi shows a symmetric potential whose symmetric
point is a maximum; the ball rolls into one minimum. Turning the camera reveals
that phi is complex and the minima form a circle: the vacuum picks a direction.
Moving along the trough costs nothing (Goldstone directions, eaten by the W and
Z), moving radially costs energy (the Higgs boson). The scene ends with the
masses that follow.

Cairo renders 3D surfaces slowly, so the surface is coarse, has no stroke, and
the camera moves only once.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, FONT, INK, MUTED
from mathreel_style import make_caption, make_title

LAM = 0.347          # lambda with mu^2 = 1: the trough sits at r0 = 1 / sqrt(2 lambda) ~ 1.2
R_MAX = 1.72
XY = 1.55            # scene units per unit of |phi|
ZS = 1.6             # scene units per unit of V
Z_SHIFT = -0.2       # lowers the whole picture a little under the title
R0 = 1 / np.sqrt(2 * LAM)


def V(r):
    return -r ** 2 + LAM * r ** 4


def hat_point(r, angle, lift=0.0):
    return np.array([XY * r * np.cos(angle), XY * r * np.sin(angle), ZS * V(r) + Z_SHIFT + lift])


class ElectroweakSymmetryBreakingScene(ThreeDScene):
    def fixed(self, *mobs):
        self.add_fixed_in_frame_mobjects(*mobs)
        return mobs[0] if len(mobs) == 1 else VGroup(*mobs)

    def swap(self, old, new):
        """Fade one caption out, then the next in; `new` stays off screen until its turn."""
        self.add_fixed_in_frame_mobjects(new)
        self.remove(new)
        return Succession(FadeOut(old), FadeIn(new))

    def construct(self):
        self.camera.background_color = ManimColor(BG)
        # Looking along +y: the x-z plane fills the screen, so the real slice of
        # V is drawn where it will sit on the 3D surface later.
        self.set_camera_orientation(phi=90 * DEGREES, theta=-90 * DEGREES, zoom=1.0)

        title = make_title("Electroweak symmetry breaking")
        self.fixed(title)
        self.play(Write(title), run_time=1.2)

        pot = MathTex(r"V(\phi) = -\mu^2|\phi|^2 + \lambda|\phi|^4", font_size=40, color=INK).move_to(UP * 2.5)
        self.fixed(pot)
        self.play(Write(pot), run_time=1.6)

        # --- Side view: the real slice is a double well. -----------------------
        x_axis = Line([-XY * R_MAX - 0.2, 0, Z_SHIFT], [XY * R_MAX + 0.2, 0, Z_SHIFT], color=MUTED, stroke_width=2)
        z_axis = Line([0, 0, ZS * V(R0) + Z_SHIFT - 0.35], [0, 0, Z_SHIFT + 0.8], color=MUTED, stroke_width=2)
        slice_curve = ParametricFunction(lambda s: hat_point(abs(s), 0 if s >= 0 else PI),
                                         t_range=[-R_MAX, R_MAX, 0.02], color=C_GOLD, stroke_width=4)
        phi_lab = MathTex(r"\phi", color=MUTED, font_size=36).move_to(RIGHT * (XY * R_MAX + 0.55) + UP * (Z_SHIFT + 0.0))
        v_lab = MathTex(r"V", color=MUTED, font_size=36).move_to(UP * (Z_SHIFT + 0.95) + RIGHT * 0.3)
        self.fixed(phi_lab, v_lab)
        cap = make_caption("Along a real slice the potential is a symmetric double well")
        self.fixed(cap)
        self.play(Create(x_axis), Create(z_axis), FadeIn(phi_lab, v_lab, cap), run_time=1.2)
        self.play(Create(slice_curve), run_time=1.8)

        # A flat dot that always faces the camera: far cheaper than a shaded sphere.
        ball = Dot(hat_point(0, 0, lift=0.12), radius=0.13, color=C_CORAL, stroke_color=INK, stroke_width=2)
        self.add_fixed_orientation_mobjects(ball)
        self.remove(ball)
        cap2 = make_caption("φ = 0 is symmetric, but it is a maximum: unstable")
        self.play(FadeIn(ball), self.swap(cap, cap2), run_time=1.4)
        self.play(ball.animate.shift(RIGHT * 0.12), rate_func=wiggle, run_time=1.0)
        roll = ParametricFunction(lambda s: hat_point(s, 0, lift=0.12), t_range=[0.02, R0, 0.02])
        self.play(MoveAlongPath(ball, roll), rate_func=rush_into, run_time=1.4)
        self.play(ball.animate.move_to(hat_point(R0, 0, lift=0.12)), rate_func=there_and_back, run_time=0.4)

        vev = MathTex(r"\langle \phi \rangle = \frac{v}{\sqrt{2}}, \quad v = \frac{\mu}{\sqrt{\lambda}} \approx 246\ \mathrm{GeV}",
                      font_size=34, color=INK).move_to(UP * 1.6)
        self.fixed(vev)
        cap3 = make_caption("The vacuum sits in a minimum, away from zero: it breaks the symmetry")
        self.play(Write(vev), self.swap(cap2, cap3), run_time=2.0)
        self.wait(1.0)

        # --- Turn the picture: phi is complex, the minima form a circle. --------
        hat = Surface(
            lambda u, v: hat_point(u, v),
            u_range=[0, R_MAX], v_range=[0, TAU], resolution=(16, 36),
            checkerboard_colors=["#34426E", "#415287"], fill_opacity=0.92, stroke_width=0,
        )
        cap4 = make_caption("But φ is complex: turn the picture")
        self.play(FadeOut(vev), FadeOut(phi_lab, v_lab), FadeOut(x_axis, z_axis), self.swap(cap3, cap4), run_time=1.0)
        # Fade the surface in from behind an opaque veil: the surface itself stays
        # a cached still image, only the veil is redrawn (Cairo 3D is slow).
        veil = Rectangle(width=XY * 2 * R_MAX + 0.6, height=2.2, stroke_width=0,
                         fill_color=BG, fill_opacity=1).move_to(UP * (ZS * V(R0) / 2 + Z_SHIFT))
        self.add_fixed_in_frame_mobjects(veil)
        self.remove(slice_curve, ball, veil)
        self.add(hat, veil, slice_curve, ball)
        self.play(veil.animate.set_fill(opacity=0), run_time=0.8)
        self.remove(veil)
        self.move_camera(phi=62 * DEGREES, theta=-62 * DEGREES, zoom=0.95, run_time=3.0)
        # move_camera leaves the camera's trackers in the scene, which would make
        # every later frame redraw the (static) surface; take them out again.
        self.remove(*self.renderer.camera.get_value_trackers())

        trough = ParametricFunction(lambda a: hat_point(R0, a, lift=0.02), t_range=[0, TAU, 0.05],
                                    color=C_GOLD, stroke_width=3, stroke_opacity=0.8)
        cap5 = make_caption("A whole circle of minima: the vacuum just picks one direction")
        self.play(FadeOut(slice_curve), Create(trough), self.swap(cap4, cap5), run_time=1.8)

        # Goldstone direction: along the trough, no cost.
        gold = Text("along the trough: no cost", font_size=24, color=C_GOLD, font=FONT)
        gold.to_edge(LEFT, buff=0.6).shift(UP * 1.0)
        self.fixed(gold)
        along = ParametricFunction(lambda a: hat_point(R0, a, lift=0.12), t_range=[0, 0.9 * PI, 0.05])
        self.bring_to_front(ball)  # only the ball is redrawn per frame; the rest is cached
        self.play(FadeIn(gold), MoveAlongPath(ball, along), run_time=2.2, rate_func=smooth)
        back = ParametricFunction(lambda a: hat_point(R0, 0.9 * PI - a, lift=0.12), t_range=[0, 0.9 * PI, 0.05])
        self.play(MoveAlongPath(ball, back), run_time=1.6, rate_func=smooth)

        # Higgs direction: radial, it costs energy.
        higgs = VGroup(
            Text("radial:", font_size=24, color=C_CORAL, font=FONT),
            MathTex(r"m_h = \sqrt{2}\,\mu", font_size=32, color=C_CORAL),
        ).arrange(RIGHT, buff=0.2)
        higgs.next_to(gold, DOWN, buff=0.3, aligned_edge=LEFT)
        self.fixed(higgs)
        radial = ParametricFunction(lambda s: hat_point(R0 + 0.22 * np.sin(s), 0, lift=0.12), t_range=[0, 2 * TAU, 0.05])
        cap6 = make_caption("Flat directions: Goldstone modes. Radial wobble: the Higgs")
        self.play(FadeIn(higgs), self.swap(cap5, cap6), run_time=1.2)
        self.bring_to_front(ball)
        self.play(MoveAlongPath(ball, radial), run_time=2.4, rate_func=linear)
        self.wait(0.6)

        # --- Back to a flat view for the masses. --------------------------------
        curtain = FullScreenRectangle(stroke_width=0, fill_color=BG, fill_opacity=1)
        self.add_fixed_in_frame_mobjects(curtain)
        self.bring_to_front(title)  # the title stays while everything else fades
        curtain.set_opacity(0)
        self.play(curtain.animate.set_fill(opacity=1), FadeOut(gold, higgs, cap6, pot), run_time=1.0)
        self.remove(hat, trough, ball, curtain)
        self.set_camera_orientation(phi=0, theta=-90 * DEGREES, zoom=1.0)

        cap7 = make_caption("W and Z eat the Goldstone modes; the photon stays massless")
        bosons = [
            (r"\gamma", 0.0, C_BLUE),
            (r"W^\pm", 80.4, C_GOLD),
            (r"Z", 91.2, C_GREEN),
            (r"h", 125.1, C_CORAL),
        ]
        base_y = -2.45
        scale = 3.3 / 125.0
        bars, names, values = VGroup(), VGroup(), VGroup()
        for i, (name, mass, color) in enumerate(bosons):
            x = -5.6 + 1.45 * i
            bar = Rectangle(width=0.8, height=max(mass * scale, 0.02), stroke_width=0,
                            fill_color=color, fill_opacity=0.8)
            bar.move_to([x, base_y, 0], aligned_edge=DOWN)
            bars.add(bar)
            names.add(MathTex(name, color=color, font_size=38).next_to([x, base_y, 0], DOWN, buff=0.18))
            label = "0" if mass == 0 else f"{mass:.1f}"
            values.add(MathTex(label, color=INK, font_size=30).next_to(bar, UP, buff=0.12))
        unit = Text("mass (GeV)", font_size=22, color=MUTED, font=FONT).move_to([-3.4, 1.75, 0])
        baseline = Line([-6.3, base_y, 0], [-0.8, base_y, 0], color=MUTED, stroke_width=2)

        mw = MathTex(r"M_W = \frac{g v}{2}", font_size=44, color=C_GOLD)
        mz = MathTex(r"M_Z = \frac{v}{2}\sqrt{g^2 + g'^2}", font_size=44, color=C_GREEN)
        mg = MathTex(r"M_\gamma = 0", font_size=44, color=C_BLUE)
        vev2 = MathTex(r"v \approx 246\ \mathrm{GeV}", font_size=34, color=MUTED)
        ratio = MathTex(r"\frac{M_W}{M_Z} = \cos\theta_W \approx 0.88", font_size=34, color=INK)
        VGroup(vev2, mw, mz, mg, ratio).arrange(DOWN, buff=0.38, aligned_edge=LEFT).move_to([3.4, -0.3, 0])

        self.play(FadeIn(cap7), Create(baseline), FadeIn(names), FadeIn(unit), run_time=1.2)
        grow = []
        for bar in bars:
            bottom = bar.get_bottom()
            grow.append(GrowFromPoint(bar, bottom))
        self.play(LaggedStart(*grow, lag_ratio=0.25), run_time=2.4)
        self.play(FadeIn(values, shift=0.1 * UP), run_time=0.8)
        self.play(Write(vev2), run_time=1.0)
        self.play(Write(mw), Indicate(bars[1], color=C_GOLD, scale_factor=1.05), run_time=1.6)
        self.play(Write(mz), Indicate(bars[2], color=C_GREEN, scale_factor=1.05), run_time=1.6)
        self.play(Write(mg), Indicate(bars[0], color=C_BLUE, scale_factor=1.05), run_time=1.4)
        self.play(FadeIn(ratio, shift=0.1 * UP), run_time=1.0)
        self.wait(3.0)
