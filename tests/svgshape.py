"""What Manim reads from a formula's SVG, for comparing two compiles of one formula.

dvisvgm numbers a glyph's font in its id and orders the definitions as it meets the fonts,
which differs from run to run; what Manim draws is the same: the canvas, and each glyph
placed, in order, with its outline (and each rule).
"""

from __future__ import annotations

import re
from pathlib import Path


def drawing(path: Path) -> tuple[str, list[str]]:
    """(the svg element, each glyph placed with its outline, then the rules), in order."""
    text = path.read_text(encoding="utf-8")
    outlines = dict(re.findall(r"<path id='([^']+)' d='([^']*)'/>", text))
    canvas = re.search(r"<svg [^>]*>", text)
    body = text[text.index("</defs>"):]
    placed = [f"{x},{y},{outlines[ref]}" for x, y, ref in
              re.findall(r"<use x='([^']*)' y='([^']*)' xlink:href='#([^']+)'/>", body)]
    rules = re.findall(r"<rect [^>]*/>", body)
    assert canvas is not None and placed, path
    return canvas.group(0), placed + rules
