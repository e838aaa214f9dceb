"""Which renderer draws a scene: Cairo, or OpenGL (Mesa under Xvfb) where it is faster.

`renderer: auto` (the default) decides from the scene's preflight, without rendering anything:
2D scenes, and 3D scenes whose frames Cairo draws quickly, stay on Cairo (faster there); a 3D
frame that takes Cairo at least OPENGL_FRAME_S to draw goes to OpenGL. Measured here at -ql:
a 5 s surface scene took Cairo 9.4 s and OpenGL 4.9 s (8x8 faces, 0.11 s a Cairo frame), and
20.9 s against 7.9 s (24x24, 0.37 s); a 2D frame takes Cairo about a millisecond. A model's
answer brings its preflight facts in meta.json; other scenes get one preflight run, cached
under the scene's hash. The render stage keeps the safety net: an OpenGL render that fails
or draws a blank frame falls back to Cairo, and the reason is recorded.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.fsutil import read_json, write_json
from builder.keys import make_key, sha256_text
from builder.render import manim_version, scrubbed_env
from builder.runner import Runner, run
from builder.sandbox import SANDBOXED, Policy

log = logging.getLogger(__name__)

#: A Cairo frame of the scene (drawn at -ql in the preflight) at least this slow: OpenGL.
OPENGL_FRAME_S = 0.03
PREFLIGHT_BUDGET = 60.0

_THREE_D = re.compile(r"\b(ThreeDScene|ThreeDAxes|Surface|Sphere|Cube|Prism|Torus|Cylinder|Cone)\b")


@dataclass(frozen=True)
class Choice:
    """The renderer for a scene and why."""

    renderer: str
    reason: str
    measured: dict[str, Any] | None = None


def is_three_d(source: str) -> bool:
    """Does the scene draw 3D objects (where Cairo is slow)?"""
    return bool(_THREE_D.search(source))


def choose(source: str, scene_class: str, *, wanted: str, where: str, cache_dir: Path,
           tex_dir: Path, runner: Runner = run, trusted: bool = False,
           policy: Policy = SANDBOXED, facts: Mapping[str, Any] | None = None) -> Choice:
    """Resolve `auto | cairo | opengl` for one scene (auto: from the preflight's facts)."""
    if wanted in ("cairo", "opengl"):
        return Choice(wanted, f"renderer: {wanted} in {where}")
    if not is_three_d(source):
        return Choice("cairo", "auto: a 2D scene (Cairo renders 2D faster here)")
    if shutil.which("Xvfb") is None:
        return Choice("cairo", "auto: no Xvfb for OpenGL here")
    if facts is None or facts.get("frame_s") is None:
        facts = _preflight_facts(source, scene_class, cache_dir, runner, trusted, policy)
    return decide(facts)


def decide(facts: Mapping[str, Any]) -> Choice:
    """The renderer for a 3D scene from its preflight facts (pure)."""
    three_d = int(facts.get("three_d") or 0)
    frame_s = facts.get("frame_s")
    measured = {"three_d": three_d, "cairo_frame_s": frame_s}
    if not three_d:
        return Choice("cairo", "auto: no 3D mobject on screen in the preflight", measured)
    if not isinstance(frame_s, int | float):
        return Choice("cairo", "auto: the preflight did not time a frame; Cairo is the safe default",
                      measured)
    if frame_s >= OPENGL_FRAME_S:
        return Choice("opengl", f"auto: Cairo took {frame_s * 1000:.0f} ms to draw one frame of "
                      f"this 3D scene ({three_d} 3D pieces); OpenGL draws heavy 3D faster", measured)
    return Choice("cairo", f"auto: light 3D ({frame_s * 1000:.0f} ms a frame with Cairo)", measured)


def _preflight_facts(source: str, scene_class: str, cache_dir: Path, runner: Runner,
                     trusted: bool, policy: Policy) -> Mapping[str, Any]:
    """One preflight of a scene that has none on record (hand-written, template), cached."""
    from builder.checks.dryrun import preflight_scenes

    key = make_key("renderer", {"scene": sha256_text(source), "class": scene_class,
                                "manim": manim_version(), "method": "preflight-frame"})
    path = cache_dir / "renderer" / f"{key}.json"
    cached = read_json(path)
    if cached is not None:
        return cached
    work = cache_dir / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    # Under .cache with a .partial name: a build killed here leaves nothing the next one keeps.
    with tempfile.TemporaryDirectory(prefix=".renderer-", suffix=".partial", dir=work) as tmp:
        runs = preflight_scenes(source, scene_class=scene_class, runner=runner, workdir=Path(tmp) / "run",
                                env=scrubbed_env(Path(tmp) / "home"), budget=PREFLIGHT_BUDGET,
                                trusted=trusted, policy=policy)
    facts = runs.summary()
    if runs.errors:
        facts["frame_s"] = None  # the render reports the real error; no decision on a broken run
    else:
        write_json(path, facts)
    return facts


def frame_difference(a: Any, b: Any) -> float:
    """Mean absolute difference of two frames, 0 (same) to 1, at a small common size."""
    from PIL import ImageChops, ImageStat

    small_a = a.convert("L").resize((96, 54))
    small_b = b.convert("L").resize((96, 54))
    return float(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean[0]) / 255.0
