"""mathreel's layout probe: runs Manim's command line with a check after every play and wait.

Copied next to scene.py and run as `python layout_hook.py <manim render arguments>`. After each
`Scene.play` and `Scene.wait` it records text and formulas that stick out of the frame or
overlap other text, and writes them to layout.json when the process ends. The scene itself is
untouched; only what is on screen is read.
"""

import atexit
import json
import sys

from manim import Scene, ThreeDScene
from manim.mobject.text.numbers import DecimalNumber
from manim.mobject.text.tex_mobject import SingleStringMathTex, Tex
from manim.mobject.text.text_mobject import MarkupText, Paragraph, Text

TEXT_TYPES = (Text, MarkupText, Paragraph, SingleStringMathTex, Tex, DecimalNumber)
TOLERANCE = 0.05          # scene units a glyph may touch the edge by
OVERLAP_SHARE = 0.15      # share of the smaller box that counts as overlapping
WARNINGS = []
SEEN = {}
PROBE_ERRORS = []


def _name(mob):
    text = (getattr(mob, "original_text", None) or getattr(mob, "text", None)
            or getattr(mob, "tex_string", None) or "")
    text = " ".join(str(text).split())
    return f"{type(mob).__name__}({text[:40]!r})" if text else type(mob).__name__


def _visible(mob):
    for part in mob.family_members_with_points():
        if part.get_fill_opacity() > 0.05 or part.get_stroke_opacity() > 0.05:
            return True
    return False


def _texts(mobjects):
    found = []
    stack = list(mobjects)
    while stack:
        mob = stack.pop()
        if isinstance(mob, TEXT_TYPES):
            if mob.has_points() or mob.submobjects:
                found.append(mob)
            continue
        stack.extend(mob.submobjects)
    return found


def _box(mob):
    left, bottom = mob.get_corner([-1, -1, 0])[:2]
    right, top = mob.get_corner([1, 1, 0])[:2]
    return [round(float(left), 3), round(float(bottom), 3), round(float(right), 3), round(float(top), 3)]


def _record(kind, names, boxes, time):
    key = (kind, tuple(names))
    if key in SEEN:
        SEEN[key]["count"] += 1
        return
    entry = {"kind": kind, "names": names, "boxes": boxes, "time": round(float(time), 2), "count": 1}
    SEEN[key] = entry
    WARNINGS.append(entry)


def check(scene):
    if isinstance(scene, ThreeDScene):
        return  # projected 3D boxes are not what the reader sees
    frame = getattr(scene.camera, "frame", None)
    if frame is not None:
        cx, cy = frame.get_center()[:2]
        half_w, half_h = frame.width / 2, frame.height / 2
    else:
        from manim import config

        cx, cy = 0.0, 0.0
        half_w, half_h = config.frame_width / 2, config.frame_height / 2
    time = getattr(scene.renderer, "time", 0.0)
    texts = [m for m in _texts(scene.mobjects) if _visible(m)]
    boxes = [_box(m) for m in texts]
    for mob, (x0, y0, x1, y1) in zip(texts, boxes, strict=True):
        if (x0 < cx - half_w - TOLERANCE or x1 > cx + half_w + TOLERANCE
                or y0 < cy - half_h - TOLERANCE or y1 > cy + half_h + TOLERANCE):
            _record("off-frame", [_name(mob)], [[x0, y0, x1, y1]], time)
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            w = min(a[2], b[2]) - max(a[0], b[0])
            h = min(a[3], b[3]) - max(a[1], b[1])
            if w <= 0 or h <= 0:
                continue
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if smaller > 0 and w * h > OVERLAP_SHARE * smaller:
                _record("overlap", [_name(texts[i]), _name(texts[j])], [a, b], time)


def _wrap(method):
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        try:
            check(self)
        except Exception:  # the probe must never break a render
            PROBE_ERRORS.append(1)
        return result
    return wrapper


Scene.play = _wrap(Scene.play)
Scene.wait = _wrap(Scene.wait)


def _save():
    with open("layout.json", "w", encoding="utf-8") as handle:
        json.dump(WARNINGS, handle)


atexit.register(_save)

if __name__ == "__main__":
    from manim.__main__ import main

    sys.argv = ["manim", *sys.argv[1:]]
    main()
