"""Which renderer draws a scene: Cairo, or OpenGL (Mesa under Xvfb) where it is faster.

`renderer: auto` (the default) decides from the scene's preflight, without rendering anything:
the preflight times one frame drawn by Cairo at -ql and knows how many seconds of video the
scene makes. Cairo's drawing time is then about frames x that frame time; OpenGL pays a fixed
start (Xvfb, a GL context: about 4 s here) and a fraction of Cairo's frame time. Measured here
at -ql on 5 s surface scenes: Cairo 9.4 s against OpenGL 4.9 s (0.11 s a Cairo frame), and
20.9 s against 7.9 s (0.37 s); a 2D frame takes Cairo about a millisecond, and a short light
3D scene is over before OpenGL has started. A model's answer brings its preflight facts in
meta.json; other scenes get one preflight run, cached under the scene's hash. The render stage
keeps the safety net: an OpenGL render that fails or draws a blank frame falls back to Cairo,
and the reason is recorded.
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
from builder.runner import Runner, run
from builder.sandbox import SANDBOXED, Policy
from builder.video.render import manim_version, scrubbed_env

log = logging.getLogger(__name__)

#: OpenGL's fixed start (Xvfb, GL context, shaders) and its frame time against Cairo's.
GL_START_S = 4.0
GL_FRAME_SHARE = 0.15
GL_FRAME_S = 0.01
#: OpenGL must be estimated at most this share of Cairo's time to be chosen.
WIN_FACTOR = 0.8
_FPS_PIXELS = {"l": (15, 854 * 480), "m": (30, 1280 * 720), "h": (60, 1920 * 1080),
               "k": (60, 3840 * 2160)}
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


def choose_without_facts(source: str, *, wanted: str, where: str) -> Choice | None:
    """The choice that needs no preflight facts: the one asked for, Cairo for 2D or without
    Xvfb; None for a 3D scene under `auto` (its facts decide)."""
    if wanted in ("cairo", "opengl"):
        return Choice(wanted, f"renderer: {wanted} in {where}")
    if not is_three_d(source):
        return Choice("cairo", "auto: a 2D scene (Cairo renders 2D faster here)")
    if shutil.which("Xvfb") is None:
        return Choice("cairo", "auto: no Xvfb for OpenGL here")
    return None


def choose(source: str, scene_class: str, *, wanted: str, where: str, cache_dir: Path,
           tex_dir: Path, runner: Runner = run, trusted: bool = False,
           policy: Policy = SANDBOXED, facts: Mapping[str, Any] | None = None,
           quality: str = "l") -> Choice:
    """Resolve `auto | cairo | opengl` for one scene (auto: from the preflight's facts)."""
    known = choose_without_facts(source, wanted=wanted, where=where)
    if known is not None:
        return known
    if facts is None or facts.get("frame_s") is None:
        facts = _preflight_facts(source, scene_class, cache_dir, tex_dir, runner, trusted, policy)
    return decide(facts, quality)


def decide(facts: Mapping[str, Any], quality: str = "l") -> Choice:
    """The renderer for a 3D scene from its preflight facts, at a render quality (pure)."""
    three_d = int(facts.get("three_d") or 0)
    frame_s = facts.get("frame_s")
    seconds = facts.get("video_seconds")
    measured: dict[str, Any] = {"three_d": three_d, "cairo_frame_s": frame_s}
    if not three_d:
        return Choice("cairo", "auto: no 3D mobject on screen in the preflight", measured)
    if not isinstance(frame_s, int | float) or not isinstance(seconds, int | float):
        return Choice("cairo", "auto: the preflight did not time a frame; Cairo is the safe default",
                      measured)
    fps, pixels = _FPS_PIXELS.get(quality, _FPS_PIXELS["l"])
    scale = pixels / _FPS_PIXELS["l"][1]
    frames = seconds * fps
    cairo = frames * frame_s * scale
    # Each scene of a multi-scene file (a chapter) is its own render: OpenGL starts each time.
    starts = max(1, len(facts.get("scenes") or ()))
    gl = GL_START_S * starts + frames * (GL_FRAME_SHARE * frame_s + GL_FRAME_S) * scale
    measured.update(cairo_estimate_s=round(cairo, 1), opengl_estimate_s=round(gl, 1))
    if gl <= WIN_FACTOR * cairo:
        return Choice("opengl", f"auto: {frames:.0f} frames of 3D at {frame_s * 1000:.0f} ms each with "
                      f"Cairo (about {cairo:.0f} s of drawing) against about {gl:.0f} s with OpenGL",
                      measured)
    return Choice("cairo", f"auto: 3D, but Cairo draws it in about {cairo:.0f} s, OpenGL would "
                  f"take about {gl:.0f} s with its start", measured)


def _preflight_facts(source: str, scene_class: str, cache_dir: Path, tex_dir: Path,
                     runner: Runner, trusted: bool, policy: Policy) -> Mapping[str, Any]:
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
                                trusted=trusted, policy=policy, tex_cache=tex_dir)
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
