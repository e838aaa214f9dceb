"""Gale-Shapley deferred acceptance, round by round.

Four proposers (A-D) and four receivers (W-Z) with full preference lists.
Each round every free proposer proposes to the best receiver that has not yet
rejected them; each receiver keeps the best offer so far and rejects the rest.
The run shown has two trade-ups (Z drops B for C, X drops A for B). At the end
one candidate blocking pair is checked against the stability condition.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, C_VIOLET, FONT, INK, MUTED
from mathreel_style import make_caption, make_title, swap

PROPOSERS = "ABCD"
RECEIVERS = "WXYZ"
P_PREF = {"A": "ZXWY", "B": "ZXYW", "C": "YZWX", "D": "YWZX"}
R_PREF = {"W": "BDAC", "X": "CBAD", "Y": "DBAC", "Z": "DCBA"}
ROW_Y = [1.3, 0.3, -0.7, -1.7]
NODE_X = 1.9
LIST_STEP = 0.6


def deferred_acceptance():
    """Run the algorithm; return per round (proposals, accepted, rejected, dumped)."""
    nxt = {p: 0 for p in PROPOSERS}
    hold = {}
    free = list(PROPOSERS)
    rounds = []
    while free:
        props = {p: P_PREF[p][nxt[p]] for p in free}
        for p in free:
            nxt[p] += 1
        accepted, rejected, dumped = {}, [], []
        for r in RECEIVERS:
            cands = [p for p in props if props[p] == r]
            if not cands:
                continue
            pool = cands + ([hold[r]] if r in hold else [])
            best = min(pool, key=lambda p: R_PREF[r].index(p))
            if r in hold and hold[r] != best:
                dumped.append((hold[r], r))
            rejected += [(p, r) for p in cands if p != best]
            if best in cands:
                accepted[r] = best
            hold[r] = best
        rounds.append((props, accepted, rejected, dumped))
        free = [p for p, _ in rejected] + [p for p, _ in dumped]
    return rounds, hold


class GaleShapleyScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        title = make_title("Gale–Shapley: deferred acceptance")
        self.play(Write(title), run_time=1.2)

        # Nodes.
        p_nodes, r_nodes = {}, {}
        for name, y in zip(PROPOSERS, ROW_Y):
            circ = Circle(radius=0.34, color=C_BLUE, stroke_width=3).set_fill(C_BLUE, 0.15).move_to([-NODE_X, y, 0])
            p_nodes[name] = VGroup(circ, MathTex(name, color=INK, font_size=36).move_to(circ))
        for name, y in zip(RECEIVERS, ROW_Y):
            sq = RoundedRectangle(width=0.66, height=0.66, corner_radius=0.1, color=C_GOLD, stroke_width=3)
            sq.set_fill(C_GOLD, 0.15).move_to([NODE_X, y, 0])
            r_nodes[name] = VGroup(sq, MathTex(name, color=INK, font_size=36).move_to(sq))

        # Preference lists, best first.
        p_lists, r_lists = {}, {}
        for name, y in zip(PROPOSERS, ROW_Y):
            p_lists[name] = VGroup(*[MathTex(c, color=C_GOLD, font_size=36) for c in P_PREF[name]])
            for k, m in enumerate(p_lists[name]):
                m.move_to([-NODE_X - 3.0 + k * LIST_STEP, y, 0])
        for name, y in zip(RECEIVERS, ROW_Y):
            r_lists[name] = VGroup(*[MathTex(c, color=C_BLUE, font_size=36) for c in R_PREF[name]])
            for k, m in enumerate(r_lists[name]):
                m.move_to([NODE_X + 1.2 + k * LIST_STEP, y, 0])
        head_l = Text("proposers' lists, best first", font_size=22, color=MUTED, font=FONT)
        head_l.move_to([-NODE_X - 3.0 + 1.5 * LIST_STEP, 2.0, 0])
        head_r = Text("receivers' lists, best first", font_size=22, color=MUTED, font=FONT)
        head_r.move_to([NODE_X + 1.2 + 1.5 * LIST_STEP, 2.0, 0])

        cap = make_caption("Four proposers, four receivers, each with a ranking of the other side")
        self.play(
            LaggedStart(*[FadeIn(p_nodes[n], shift=0.2 * RIGHT) for n in PROPOSERS], lag_ratio=0.15),
            LaggedStart(*[FadeIn(r_nodes[n], shift=0.2 * LEFT) for n in RECEIVERS], lag_ratio=0.15),
            FadeIn(cap), run_time=1.6,
        )
        self.play(
            LaggedStart(*[FadeIn(p_lists[n]) for n in PROPOSERS], lag_ratio=0.15),
            LaggedStart(*[FadeIn(r_lists[n]) for n in RECEIVERS], lag_ratio=0.15),
            FadeIn(head_l, head_r), run_time=1.6,
        )
        self.wait(0.8)

        def edge_points(p, r):
            a = p_nodes[p][0].get_center()
            b = r_nodes[r][0].get_center()
            u = (b - a) / np.linalg.norm(b - a)
            return a + 0.38 * u, b - 0.4 * u

        rounds, _final = deferred_acceptance()
        round_label = Text("Round 1", font_size=28, color=INK, font=FONT).move_to([0, 2.6, 0])
        count = VGroup(Text("proposals:", font_size=22, color=MUTED, font=FONT),
                       Integer(0, font_size=30, color=INK)).arrange(RIGHT, buff=0.15)
        count.move_to([0, -2.55, 0])
        cap2 = make_caption("Each round, every free proposer asks the best receiver not yet tried")
        self.play(FadeIn(round_label), FadeIn(count), swap(cap, cap2), run_time=1.4)

        engaged = {}   # receiver -> (proposer, line)
        tried = {p: 0 for p in PROPOSERS}
        n_props = 0
        for k, (props, accepted, rejected, dumped) in enumerate(rounds, start=1):
            if k > 1:
                new_label = Text(f"Round {k}", font_size=28, color=INK, font=FONT).move_to(round_label)
                self.play(swap(round_label, new_label), run_time=0.6)
                round_label = new_label
            arrows, marks = {}, []
            for p, r in props.items():
                s, e = edge_points(p, r)
                arrows[p] = Arrow(s, e, buff=0, color=C_BLUE, stroke_width=4, max_tip_length_to_length_ratio=0.08)
                marks.append(SurroundingRectangle(p_lists[p][tried[p]], color=C_BLUE, buff=0.06, stroke_width=2))
                tried[p] += 1
            n_props += len(props)
            self.play(*[GrowArrow(a) for a in arrows.values()], *[Create(m) for m in marks],
                      ChangeDecimalToValue(count[1], n_props), run_time=1.3)
            self.wait(0.4)

            # Receivers answer: keep the best offer held so far, reject the rest.
            anims, later = [], []
            for r, p in accepted.items():
                s, e = edge_points(p, r)
                line = Line(s, e, color=C_GREEN, stroke_width=5)
                anims.append(ReplacementTransform(arrows[p], line))
                anims.append(Indicate(r_lists[r][R_PREF[r].index(p)], color=C_GREEN))
                later.append((r, p, line))
            for p, _r in rejected:
                anims.append(arrows[p].animate.set_color(C_CORAL))
                strike = Line(LEFT * 0.2, RIGHT * 0.2, color=C_CORAL, stroke_width=4).move_to(p_lists[p][tried[p] - 1])
                anims.append(Create(strike))
                anims.append(p_lists[p][tried[p] - 1].animate.set_opacity(0.35))
            for p_old, r in dumped:
                old_line = engaged[r][1]
                anims.append(old_line.animate.set_color(C_CORAL))
                strike = Line(LEFT * 0.2, RIGHT * 0.2, color=C_CORAL, stroke_width=4).move_to(
                    p_lists[p_old][P_PREF[p_old].index(r)])
                anims.append(Create(strike))
                anims.append(p_lists[p_old][P_PREF[p_old].index(r)].animate.set_opacity(0.35))
            self.play(*anims, *[FadeOut(m) for m in marks], run_time=1.3)
            fade = [arrows[p] for p, _ in rejected] + [engaged[r][1] for _, r in dumped]
            if fade:
                self.play(*[FadeOut(m) for m in fade], run_time=0.6)
            for r, p, line in later:
                engaged[r] = (p, line)
            if k == 1:
                cap3 = make_caption("Z holds B, Y holds D; the others are rejected. Acceptance is deferred")
                self.play(swap(cap2, cap3), run_time=1.2)
                self.wait(1.0)
                cap2 = cap3
            elif k == 2:
                cap4 = make_caption("Z trades up from B to C, X takes A: held offers can still be dropped")
                self.play(swap(cap2, cap4), run_time=1.2)
                self.wait(1.0)
                cap2 = cap4
            elif k == 3:
                cap5 = make_caption("X drops A for B, so A moves on down its list")
                self.play(swap(cap2, cap5), run_time=1.2)
                self.wait(0.6)
                cap2 = cap5
            else:
                self.wait(0.6)

        done = Text("Everyone is matched", font_size=28, color=C_GREEN, font=FONT).move_to(round_label)
        cap5 = make_caption("No free proposer is left: the matching is stable")
        self.play(swap(round_label, done), swap(cap2, cap5), run_time=1.2)
        self.wait(0.8)

        # The stability condition, and one candidate blocking pair.
        stab = MathTex(r"\nexists\,(p,r):\; r \succ_p \mu(p) \;\text{and}\; p \succ_r \mu(r)",
                       font_size=36, color=INK).move_to([0, 2.6, 0])
        cap6 = make_caption("Stable: no pair would both rather be with each other")
        self.play(swap(done, stab), swap(cap5, cap6), run_time=1.6)
        s, e = edge_points("A", "Z")
        probe = DashedLine(s, e, color=C_VIOLET, stroke_width=4)
        check1 = VGroup(MathTex(r"Z \succ_A W", font_size=32, color=INK),
                        MathTex(r"\checkmark", font_size=34, color=C_GREEN)).arrange(RIGHT, buff=0.2)
        check2 = VGroup(MathTex(r"A \succ_Z C", font_size=32, color=INK),
                        MathTex(r"\times", font_size=34, color=C_CORAL)).arrange(RIGHT, buff=0.2)
        checks = VGroup(check1, check2).arrange(RIGHT, buff=1.2).move_to([0, -2.55, 0])
        self.play(FadeOut(count), Create(probe), run_time=1.0)
        self.play(FadeIn(check1), Indicate(p_lists["A"][0], color=C_VIOLET), run_time=1.2)
        self.play(FadeIn(check2), Indicate(r_lists["Z"][1], color=C_VIOLET), run_time=1.2)
        cap7 = make_caption("A would rather have Z, but Z prefers C: not a blocking pair")
        self.play(swap(cap6, cap7), run_time=1.2)
        self.wait(1.2)
        bound = MathTex(r"\#\text{proposals} \le n^2 - n + 1", font_size=34, color=INK)
        bound_note = MathTex(r"\text{here } 8 \le 13", font_size=30, color=MUTED)
        bound_row = VGroup(bound, bound_note).arrange(RIGHT, buff=0.6).move_to([0, -2.55, 0])
        cap8 = make_caption("Each proposer asks each receiver at most once, so it always ends")
        self.play(FadeOut(probe), FadeOut(checks), run_time=0.6)
        self.play(FadeIn(bound_row), swap(cap7, cap8), run_time=1.4)
        self.wait(2.5)
