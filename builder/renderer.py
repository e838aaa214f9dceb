"""Which renderer draws a scene: Cairo, or OpenGL (Mesa under Xvfb) where it measures faster.

`renderer: auto` (the default) keeps Cairo for 2D scenes, where it was measured faster here,
and for 3D scenes renders the first animations with both renderers at low quality: OpenGL
wins when it is clearly faster and its last frame matches Cairo's. The decision is cached
under the scene's hash, so it is measured once.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import ToolError
from builder.fsutil import read_json, write_json
from builder.keys import make_key, sha256_text
from builder.render import manim_argv, manim_version, prepare_work, render_job
from builder.runner import Runner, run
from builder.sandbox import confine

log = logging.getLogger(__name__)

PROBE_ANIMATIONS = "0,2"     # Manim's -n: the first three animations
PROBE_TIMEOUT = 240.0
MATCH_LIMIT = 0.12           # mean absolute difference of the last frames (0..1)
WIN_FACTOR = 0.8             # OpenGL must take at most this share of Cairo's time

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
           tex_dir: Path, runner: Runner = run) -> Choice:
    """Resolve `auto | cairo | opengl` for one scene."""
    if wanted in ("cairo", "opengl"):
        return Choice(wanted, f"renderer: {wanted} in {where}")
    if not is_three_d(source):
        return Choice("cairo", "auto: a 2D scene (Cairo renders 2D faster here)")
    key = make_key("renderer", {"scene": sha256_text(source), "class": scene_class,
                                "manim": manim_version(), "probe": PROBE_ANIMATIONS})
    path = cache_dir / "renderer" / f"{key}.json"
    cached = read_json(path)
    if cached and cached.get("renderer") in ("cairo", "opengl"):
        return Choice(str(cached["renderer"]), str(cached.get("reason", "auto (cached)")), cached.get("measured"))
    choice = probe(source, scene_class, tex_dir=tex_dir, runner=runner)
    write_json(path, {"renderer": choice.renderer, "reason": choice.reason, "measured": choice.measured})
    return choice


def _probe_one(source: str, scene_class: str, renderer: str, tex_dir: Path,
               runner: Runner) -> tuple[float | None, Any, str]:
    """Render the first animations with one renderer: (seconds or None, last frame, error)."""
    from builder.media import extract_frames
    from builder.media import probe as probe_video

    job = render_job("renderer-probe", source, scene_class, "l", renderer)
    with tempfile.TemporaryDirectory(prefix=f"mathreel-probe-{renderer}-") as tmp:
        work = Path(tmp) / "work"
        try:
            _, env = prepare_work(job, work, tex_dir)
        except ToolError as exc:
            return None, None, str(exc)
        started = time.monotonic()
        try:
            done = runner(confine(manim_argv(job, work, "-n", PROBE_ANIMATIONS), work,
                                  x11=renderer == "opengl"),
                          cwd=work, env=env, timeout=PROBE_TIMEOUT, check=False)
        except ToolError as exc:
            return None, None, str(exc).splitlines()[0]
        seconds = time.monotonic() - started
        videos = [p for p in (work / "media").rglob("*.mp4") if "partial_movie_files" not in p.parts]
        if done.returncode != 0 or not videos:
            return None, None, (done.stderr.strip().splitlines() or ["no video"])[-1]
        info = probe_video(videos[0])
        frames = extract_frames(videos[0], [max(0.0, info.duration - 0.05)])
        return seconds, frames[-1][1] if frames else None, ""


def frame_difference(a: Any, b: Any) -> float:
    """Mean absolute difference of two frames, 0 (same) to 1, at a small common size."""
    from PIL import ImageChops, ImageStat

    small_a = a.convert("L").resize((96, 54))
    small_b = b.convert("L").resize((96, 54))
    return float(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean[0]) / 255.0


def probe(source: str, scene_class: str, *, tex_dir: Path, runner: Runner = run) -> Choice:
    """Measure both renderers on the scene's first animations and pick one."""
    from builder.media import ink

    if shutil.which("Xvfb") is None:
        return Choice("cairo", "auto: no Xvfb for OpenGL here")
    cairo_s, cairo_frame, cairo_err = _probe_one(source, scene_class, "cairo", tex_dir, runner)
    gl_s, gl_frame, gl_err = _probe_one(source, scene_class, "opengl", tex_dir, runner)
    measured: dict[str, Any] = {"cairo_s": cairo_s, "opengl_s": gl_s}
    if gl_s is None:
        return Choice("cairo", f"auto: OpenGL failed the probe ({gl_err})", measured)
    if cairo_s is None or cairo_frame is None:
        return Choice("cairo", f"auto: Cairo failed the probe ({cairo_err}); kept Cairo so the "
                      "render reports the real error", measured)
    if gl_frame is None or ink(gl_frame) < 0.002:
        return Choice("cairo", "auto: OpenGL drew a blank frame", measured)
    diff = frame_difference(cairo_frame, gl_frame)
    measured["frame_difference"] = round(diff, 4)
    if diff > MATCH_LIMIT:
        return Choice("cairo", f"auto: OpenGL's frame differs from Cairo's ({diff:.2f})", measured)
    if gl_s <= WIN_FACTOR * cairo_s:
        return Choice("opengl", f"auto: OpenGL {gl_s:.1f} s against Cairo {cairo_s:.1f} s on the "
                      "first animations, same picture", measured)
    return Choice("cairo", f"auto: Cairo {cairo_s:.1f} s, OpenGL {gl_s:.1f} s: not worth it", measured)
