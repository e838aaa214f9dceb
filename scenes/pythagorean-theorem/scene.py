"""Pythagorean theorem: the rearrangement proof.

Two squares of side a + b hold the same four right triangles. Arranged one
way, the uncovered area is one tilted square c^2; arranged the other way, it is
two squares a^2 and b^2. Equal leftovers give a^2 + b^2 = c^2.
"""

from manim import *

# The gallery's palette, font and caption helpers: builder/templates/mathreel_style.py
# (mathreel stages it beside the scene; plain `manim` needs PYTHONPATH=builder/templates).
from mathreel_style import BG, C_BLUE, C_CORAL, C_GOLD, C_GREEN, C_VIOLET, INK
from mathreel_style import make_caption, make_title, swap

A_LEN = 1.3
B_LEN = 2.3
SIDE = A_LEN + B_LEN


def to_world(origin, p):
    """Square coordinates (0..SIDE, 0..SIDE) to scene coordinates."""
    return origin + np.array([p[0], p[1], 0.0])


def triangle(origin, pts, color):
    return Polygon(
        *[to_world(origin, p) for p in pts],
        color=color, stroke_width=3, fill_color=color, fill_opacity=0.55,
    )


class PythagoreanTheoremScene(Scene):
    def construct(self):
        self.camera.background_color = ManimColor(BG)
        a, b, s = A_LEN, B_LEN, SIDE

        title = make_title("Pythagorean theorem")
        self.play(Write(title), run_time=1.2)

        # 1. One right triangle with legs a, b and hypotenuse c.
        tri_pts = [(0, 0), (b, 0), (0, a)]
        tri_origin = np.array([-b / 2, -a / 2 - 0.2, 0])
        hero = triangle(tri_origin, tri_pts, C_VIOLET)
        corner = Square(0.22, color=INK, stroke_width=2).move_to(
            to_world(tri_origin, (0.11, 0.11))
        )
        la = MathTex("a", color=C_GOLD).next_to(hero, LEFT, buff=0.2)
        lb = MathTex("b", color=C_GREEN).next_to(hero, DOWN, buff=0.2)
        lc = MathTex("c", color=C_BLUE).move_to(
            to_world(tri_origin, (b / 2, a / 2)) + 0.35 * np.array([a, b, 0]) / np.hypot(a, b)
        )
        cap = make_caption("A right triangle: legs a and b, hypotenuse c")
        self.play(DrawBorderThenFill(hero), Create(corner), FadeIn(cap), run_time=1.5)
        self.play(Write(la), Write(lb), Write(lc), run_time=1.2)
        self.wait(1.5)

        # 2. Four copies inside a square of side a + b, leaving a tilted square.
        left_o = np.array([-3.4 - s / 2, -s / 2 + 0.05, 0])
        right_o = np.array([3.4 - s / 2, -s / 2 + 0.05, 0])
        config_a = [
            [(s, 0), (s, a), (a, 0)],  # bottom right
            [(s, s), (b, s), (s, a)],  # top right
            [(0, s), (0, b), (b, s)],  # top left
            [(0, 0), (a, 0), (0, b)],  # bottom left
        ]
        tris_left = VGroup(*[triangle(left_o, p, C_VIOLET) for p in config_a])
        frame_left = Square(s, color=INK, stroke_width=3).move_to(to_world(left_o, (s / 2, s / 2)))
        tilted = Polygon(
            *[to_world(left_o, p) for p in [(a, 0), (s, a), (b, s), (0, b)]],
            stroke_width=0, fill_color=C_BLUE, fill_opacity=0.45,
        )
        c2 = MathTex("c^2", color=INK, font_size=52).move_to(tilted)

        cap2 = make_caption("Four copies fill the corners of a square of side a + b")
        self.play(
            ReplacementTransform(hero, tris_left[3]),
            FadeOut(corner, la, lb, lc),
            Create(frame_left),
            swap(cap, cap2),
            run_time=1.5,
        )
        self.play(
            LaggedStart(*[TransformFromCopy(tris_left[3], t) for t in tris_left[:3]], lag_ratio=0.3),
            run_time=2.5,
        )
        side_labels = VGroup(
            MathTex("a", color=C_GOLD, font_size=34).next_to(to_world(left_o, (a / 2, 0)), DOWN, buff=0.15),
            MathTex("b", color=C_GREEN, font_size=34).next_to(to_world(left_o, (a + b / 2, 0)), DOWN, buff=0.15),
            MathTex("b", color=C_GREEN, font_size=34).next_to(to_world(left_o, (0, b / 2)), LEFT, buff=0.15),
            MathTex("a", color=C_GOLD, font_size=34).next_to(to_world(left_o, (0, b + a / 2)), LEFT, buff=0.15),
        )
        self.play(FadeIn(side_labels), run_time=0.8)
        cap3 = make_caption("The uncovered region is a square of side c")
        self.play(FadeIn(tilted), Write(c2), swap(cap2, cap3), run_time=1.5)
        self.play(Indicate(tilted, color=C_BLUE, scale_factor=1.05), run_time=1.2)
        self.wait(1.0)

        # 3. Copy the whole square to the right and slide the triangles.
        tris_right = tris_left.copy().shift(right_o - left_o)
        frame_right = frame_left.copy().shift(right_o - left_o)
        cap4 = make_caption("Same square, same four triangles: slide them around")
        self.play(
            TransformFromCopy(frame_left, frame_right),
            TransformFromCopy(tris_left, tris_right),
            swap(cap3, cap4),
            run_time=1.8,
        )
        # Every move is a pure translation (the triangles keep their orientation).
        moves = [
            (1, np.array([-b, 0, 0])),  # top right -> top of the b^2 square
            (2, np.array([a, -b, 0])),  # top left -> below the b^2 square
            (3, np.array([0, a, 0])),   # bottom left -> left column
        ]
        for idx, vec in moves:
            self.play(tris_right[idx].animate.shift(vec), run_time=1.6, rate_func=smooth)
            self.wait(0.3)

        sq_a = Square(a, stroke_width=0, fill_color=C_GOLD, fill_opacity=0.5).move_to(
            to_world(right_o, (a / 2, a / 2)))
        sq_b = Square(b, stroke_width=0, fill_color=C_GREEN, fill_opacity=0.5).move_to(
            to_world(right_o, (a + b / 2, a + b / 2)))
        a2 = MathTex("a^2", color=INK, font_size=44).move_to(sq_a)
        b2 = MathTex("b^2", color=INK, font_size=52).move_to(sq_b)
        cap5 = make_caption("Now the uncovered region is two squares")
        self.play(FadeIn(sq_a), FadeIn(sq_b), Write(a2), Write(b2), swap(cap4, cap5), run_time=1.6)
        right_labels = VGroup(
            MathTex("a", color=C_GOLD, font_size=34).next_to(to_world(right_o, (a / 2, 0)), DOWN, buff=0.15),
            MathTex("b", color=C_GREEN, font_size=34).next_to(to_world(right_o, (a + b / 2, 0)), DOWN, buff=0.15),
            MathTex("a", color=C_GOLD, font_size=34).next_to(to_world(right_o, (s, a / 2)), RIGHT, buff=0.15),
            MathTex("b", color=C_GREEN, font_size=34).next_to(to_world(right_o, (s, a + b / 2)), RIGHT, buff=0.15),
        )
        self.play(FadeIn(right_labels), run_time=0.8)
        self.wait(1.5)

        # 4. Equal squares minus equal triangles leave equal areas.
        bookkeeping = MathTex(
            r"(a+b)^2 - 4\cdot\tfrac{1}{2}ab", font_size=40, color=INK
        ).move_to(DOWN * 2.6)
        eq_left = MathTex("=", font_size=52, color=INK).move_to((left_o + right_o) / 2 + np.array([s / 2, s / 2, 0]))
        cap6 = make_caption("Both leftovers equal the big square minus four triangles")
        self.play(swap(cap5, cap6), Write(eq_left), run_time=1.2)
        self.play(
            Indicate(tris_left, color=C_CORAL, scale_factor=1.0),
            Indicate(tris_right, color=C_CORAL, scale_factor=1.0),
            FadeIn(bookkeeping),
            run_time=1.8,
        )
        self.wait(2.0)

        final = MathTex(r"a^2 + b^2 = c^2", font_size=64, color=INK)
        final.move_to(DOWN * 2.7)
        box = SurroundingRectangle(final, color=C_GOLD, buff=0.2, corner_radius=0.1)
        self.play(
            FadeOut(bookkeeping),
            FadeOut(cap6),
            TransformFromCopy(VGroup(a2, b2, c2), final),
            run_time=2.0,
        )
        self.play(Create(box), run_time=1.0)
        self.play(
            Indicate(sq_a, color=C_GOLD, scale_factor=1.0),
            Indicate(sq_b, color=C_GREEN, scale_factor=1.0),
            Indicate(tilted, color=C_BLUE, scale_factor=1.0),
            run_time=1.6,
        )
        self.wait(2.5)
