"""mathreel's reviewed style module: the gallery's palette, type scale, font and caption helpers.

A scene may import it like any allowed module (`from mathreel_style import *`, or the names it
uses). mathreel stages this file beside scene.py for every run (render, preflight), so the
import works inside the sandbox; to run a scene with plain `manim`, put the folder that holds
this file on PYTHONPATH (`PYTHONPATH=builder/templates manim -ql scene.py MyScene`).

Using it is optional. It is small on purpose and depends on Manim only: it binds no module, reads
no file and keeps no state, so importing it gives a scene nothing the static check would refuse.
Every helper returns ordinary Manim objects a scene can restyle or move.

    from manim import *
    from mathreel_style import *

    class Example(Scene):
        def construct(self):
            self.camera.background_color = ManimColor(BG)
            self.play(Write(make_title("Title")))
            caption = make_caption("First step")
            self.play(FadeIn(caption))
            self.play(swap(caption, make_caption("Second step")))
"""

from manim import DOWN, UP, FadeIn, FadeOut, Mobject, Succession, Text

__all__ = [
    "ACCENTS",
    "BG",
    "BODY_SIZE",
    "CAPTION_SIZE",
    "C_BLUE",
    "C_CORAL",
    "C_GOLD",
    "C_GREEN",
    "C_VIOLET",
    "EDGE_BUFF",
    "FONT",
    "INK",
    "LABEL_SIZE",
    "MUTED",
    "TITLE_SIZE",
    "make_caption",
    "make_title",
    "swap",
]

# -- palette (hex strings: pass them as `color=`, or `ManimColor(BG)` for the background) --------

#: Background of the frame: `self.camera.background_color = ManimColor(BG)`.
BG = "#10131A"
#: Main text and formulas.
INK = "#ECEFF4"
#: Captions, axes, units and other secondary marks.
MUTED = "#8C95A8"
#: Accents, for the objects of the story (one meaning per colour within a scene).
C_BLUE = "#5BC0EB"
C_GOLD = "#F4C95D"
C_GREEN = "#7BD389"
C_CORAL = "#F26D6D"
C_VIOLET = "#B39DDB"
#: The accents in order, for cycling: `ACCENTS[i % len(ACCENTS)]`.
ACCENTS = (C_BLUE, C_GOLD, C_GREEN, C_CORAL, C_VIOLET)

# -- type --------------------------------------------------------------------------------------

#: Font of every `Text` (installed wherever Manim's Pango is).
FONT = "DejaVu Sans"
#: Font sizes: the title at the top edge, the caption at the bottom edge, formulas and body
#: text, and small labels (legends, units, tags).
TITLE_SIZE = 40
CAPTION_SIZE = 26
BODY_SIZE = 36
LABEL_SIZE = 22
#: Distance of the title and the caption from the frame's edge.
EDGE_BUFF = 0.35


# -- helpers -----------------------------------------------------------------------------------


def make_title(text: str, *, max_width: float | None = None) -> Text:
    """The scene's title: INK, TITLE_SIZE, at the top edge.

    With `max_width`, a longer title is scaled down to that width (never up).
    """
    title = Text(text, font_size=TITLE_SIZE, color=INK, font=FONT)
    return _shrink_to(title, max_width).to_edge(UP, buff=EDGE_BUFF)


def make_caption(text: str, *, max_width: float | None = None) -> Text:
    """A caption: MUTED, CAPTION_SIZE, at the bottom edge (show one at a time, see `swap`).

    With `max_width`, a longer caption is scaled down to that width (never up).
    """
    caption = Text(text, font_size=CAPTION_SIZE, color=MUTED, font=FONT)
    return _shrink_to(caption, max_width).to_edge(DOWN, buff=EDGE_BUFF)


def swap(old: Mobject, new: Mobject) -> Succession:
    """Fade one caption out, then the next one in (never two on screen at once).

    Play it like any animation: `self.play(swap(caption, next_caption))`.
    """
    return Succession(FadeOut(old), FadeIn(new))


def _shrink_to(text: Text, max_width: float | None) -> Text:
    if max_width is not None and text.width > max_width:
        text.scale_to_fit_width(max_width)
    return text
