"""Vector addition, tip to tail: a scene in the style models write."""

import warnings

import numpy as np
from manim import *
from manim.mobject.geometry.tips import ArrowSquareTip
from manim.mobject.text.tex_mobject import MathTex, Tex

warnings.filterwarnings("ignore", category=DeprecationWarning)

# Colour palette used throughout the scene
U_COLOR = BLUE_C
V_COLOR = GREEN_C
SUM_COLOR = YELLOW


class VectorAdditionScene(Scene):
    def construct(self):
        # --- Title -------------------------------------------------------
        title = Tex(r"Adding vectors: tip to tail", font_size=44).to_edge(UP)
        self.play(Write(title))
        self.wait(0.5)

        plane = NumberPlane(
            x_range=[-1, 7, 1], y_range=[-1, 5, 1],
            x_length=7, y_length=4.4,
            background_line_style={"stroke_opacity": 0.35},
        ).shift(DOWN * 0.6 + LEFT * 2)
        self.play(Create(plane), run_time=1.5)

        origin = plane.c2p(0, 0)
        u_end = plane.c2p(3, 1)
        v_end = plane.c2p(4, 3)

        # --- u and v -----------------------------------------------------
        u = Arrow(origin, u_end, buff=0, color=U_COLOR, tip_shape=ArrowSquareTip)
        u_label = MathTex(r"\vec{u}", color=U_COLOR).next_to(u.get_center(), DOWN)
        self.play(GrowArrow(u), FadeIn(u_label))

        v = Arrow(u_end, v_end, buff=0, color=V_COLOR)
        v_label = MathTex(r"\vec{v}", color=V_COLOR).next_to(v.get_center(), RIGHT)
        self.play(GrowArrow(v), FadeIn(v_label))
        self.wait(0.5)

        # --- the sum -----------------------------------------------------
        w = Arrow(origin, v_end, buff=0, color=SUM_COLOR)
        w_label = MathTex(r"\vec{u}+\vec{v}", color=SUM_COLOR).next_to(
            w.get_center(), UP + LEFT, buff=0.15
        )
        self.play(GrowArrow(w), Write(w_label), run_time=1.5)

        # --- the anchor formula ------------------------------------------
        formula = MathTex(
            r"\vec{u}+\vec{v} = (u_1+v_1,\; u_2+v_2)", font_size=38
        ).to_corner(UR).shift(DOWN * 0.9)
        box = SurroundingRectangle(formula, color=SUM_COLOR, buff=0.15)
        self.play(Write(formula))
        self.play(Create(box))

        numbers = MathTex(r"(3,1)+(1,2)=(4,3)", font_size=34).next_to(formula, DOWN, buff=0.4)
        self.play(FadeIn(numbers, shift=DOWN * 0.3))
        self.wait(1)

        # --- commutativity: the other way round --------------------------
        v2 = Arrow(origin, plane.c2p(1, 2), buff=0, color=V_COLOR, stroke_opacity=0.6)
        u2 = Arrow(plane.c2p(1, 2), v_end, buff=0, color=U_COLOR, stroke_opacity=0.6)
        self.play(GrowArrow(v2))
        self.play(GrowArrow(u2))

        comm = MathTex(r"\vec{u}+\vec{v}=\vec{v}+\vec{u}", font_size=36).next_to(numbers, DOWN, buff=0.4)
        self.play(Write(comm))
        self.play(Indicate(w, color=WHITE), run_time=1.2)

        caption = Text("Both paths end at the same point.", font_size=26).to_edge(DOWN)
        self.play(FadeIn(caption))
        self.wait(2)
