from manim import *
import math


def taylor_cos(x, order):
    """Taylor polynomial of cos about 0 up to the given order."""
    return sum((-1) ** k * x ** (2 * k) / math.factorial(2 * k) for k in range(order // 2 + 1))


class TaylorCosineScene(Scene):
    def construct(self):
        title = TexMobject(r"\cos x \approx \sum_{k=0}^{n} \frac{(-1)^k x^{2k}}{(2k)!}")
        title.to_edge(UP)
        self.play(FadeInFromDown(title))

        axes = Axes(x_range=[-7, 7, 1], y_range=[-2, 2, 1], x_length=11, y_length=4.5).shift(DOWN * 0.6)
        cosine = axes.plot(np.cos, color=BLUE)
        self.play(ShowCreation(axes), run_time=1.5)
        self.play(ShowCreation(cosine), run_time=1.5)

        colors = [YELLOW, ORANGE, RED, PINK, PURPLE]
        approx = axes.plot(lambda x: taylor_cos(x, 0), x_range=[-7, 7], color=colors[0])
        label = TexMobject(r"n = 0").to_corner(UR).shift(DOWN * 1.1)
        self.play(ShowCreation(approx), FadeInFromDown(label))
        self.wait(0.5)

        # how far each polynomial stays inside the axes (|y| <= 2)
        reach = {2: 2.4, 4: 3.3, 6: 4.4, 8: 5.3}
        for i, order in enumerate([2, 4, 6, 8]):
            new_approx = axes.plot(
                lambda x, n=order: taylor_cos(x, n), x_range=[-reach[order], reach[order]],
                color=colors[i + 1],
            )
            new_label = TexMobject(rf"n = {order}").move_to(label)
            self.play(Transform(approx, new_approx), Transform(label, new_label), run_time=1.5)
            self.wait(0.5)

        note = Tex(r"Each term adds accuracy farther from $x = 0$", font_size=34).to_edge(DOWN)
        self.play(FadeInFromDown(note))
        self.wait(1)

        # the error term at x = pi for the highest order shown
        remainder = TexMobject(r"|R_8(\pi)| \le \frac{\pi^{10}}{10!} \approx 0.026")
        remainder.scale(0.8).next_to(label, DOWN, buff=0.4)
        self.play(FadeInFromDown(remainder))
        self.play(Indicate(approx, color=WHITE), run_time=1.5)
        self.wait(2)
