from manim import *
import numpy as np

# Eigenvectors of a 2x2 matrix: vectors that only stretch.
MATRIX = np.array([[2.0, 1.0], [1.0, 2.0]])


def vector_arrow(plane, x, y, **style):
    """An arrow from the origin of `plane` to (x, y); style goes to Arrow."""
    return Arrow(plane.c2p(0, 0), plane.c2p(x, y), buff=0, **style)


class EigenvectorsScene(Scene):
    def construct(self):
        title = Text("Eigenvectors only stretch", font_size=42).to_edge(UP)
        self.play(Write(title))

        plane = NumberPlane(x_range=[-5, 5, 1], y_range=[-4, 4, 1], x_length=7, y_length=5.6,
                            background_line_style={"stroke_opacity": 0.4}).shift(LEFT * 2 + DOWN * 0.4)
        self.play(Create(plane), run_time=2)

        matrix_tex = MathTex(r"A = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}", font_size=38)
        matrix_tex.to_corner(UR).shift(DOWN * 0.8)
        self.play(Write(matrix_tex))

        eq = MathTex(r"A\mathbf{v} = \lambda \mathbf{v}", font_size=40).next_to(matrix_tex, DOWN, buff=0.5)
        self.play(Write(eq))
        self.wait(1)

        # an ordinary vector changes direction
        w = vector_arrow(plane, 1, 0, color=RED)
        self.play(GrowArrow(w))
        aw = MATRIX @ np.array([1.0, 0.0])
        self.play(Transform(w, vector_arrow(plane, aw[0], aw[1], color=RED)), run_time=2)
        self.wait(1)
        self.play(FadeOut(w))

        # sweep a unit vector around and watch where A sends it
        angle = ValueTracker(0)
        probe = always_redraw(lambda: vector_arrow(plane, np.cos(angle.get_value()), np.sin(angle.get_value()),
                                                    color=WHITE))
        image = always_redraw(lambda: vector_arrow(
            plane, *(MATRIX @ np.array([np.cos(angle.get_value()), np.sin(angle.get_value())])), color=ORANGE))
        stretch = always_redraw(lambda: MathTex(
            rf"\|A\mathbf{{v}}\| = {np.linalg.norm(MATRIX @ np.array([np.cos(angle.get_value()), np.sin(angle.get_value())])):.2f}",
            font_size=32).next_to(eq, DOWN, buff=0.5))
        self.play(FadeIn(probe), FadeIn(image), FadeIn(stretch))
        self.play(angle.animate.set_value(PI), run_time=8, rate_func=linear)
        self.play(FadeOut(probe), FadeOut(image), FadeOut(stretch))

        # the eigenvectors keep their direction
        values, vectors = np.linalg.eigh(MATRIX)
        colors = [GREEN, YELLOW]
        for lam, vec, color in zip(values, vectors.T, colors):
            arrow = vector_arrow(plane, vec[0], vec[1], color=color)
            self.play(GrowArrow(arrow))
            stretched = vector_arrow(plane, lam * vec[0], lam * vec[1], color=color)
            self.play(Transform(arrow, stretched), run_time=2)
            label = MathTex(rf"\lambda = {lam:.0f}", color=color, font_size=34)
            label.next_to(stretched.get_end(), RIGHT, buff=0.15)
            self.play(FadeIn(label))
            self.wait(1)

        # a thick arrow for the eigenbasis direction sum
        total = vectors[:, 0] + vectors[:, 1]
        thick_style = {"color": BLUE, "width": 3}
        basis = Arrow(plane.c2p(0, 0), plane.c2p(total[0], total[1]), buff=0, **thick_style)
        self.play(GrowArrow(basis))
        self.wait(2)
