"""Render stage: one Manim subprocess per scene, outputs published under `.cache/render/<key>/`."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from builder.errors import RenderError, ToolError, ToolTimeout
from builder.fsutil import atomic_write_bytes, read_json, staging_dir, write_json
from builder.keys import make_key, sha256_text
from builder.runner import Limits, Runner, run
from builder.sandbox import confine, prepare_workdir
from builder.settings import QUALITY_FLAGS

log = logging.getLogger(__name__)

VIDEO = "video.mp4"
POSTER = "poster.png"
PREVIEW = "preview.webp"
STORYBOARD = "storyboard"
RENDER_JSON = "render.json"

#: Environment variables a render keeps; everything else (API keys above all) is dropped.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@cache
def manim_version() -> str:
    """The installed Manim Community version (read from metadata: no import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("manim")
    except PackageNotFoundError:
        return "not-installed"


@dataclass(frozen=True)
class RenderJob:
    """One scene to render and the key of its output."""

    slug: str
    source: str
    scene_class: str
    quality: str
    key: str
    key_parts: dict[str, Any]
    renderer: str = "cairo"


@dataclass(frozen=True)
class RenderOutput:
    """A published render: the folder under `.cache/render/` and what is in it."""

    key: str
    folder: Path
    seconds: float
    duration: float
    size: int
    quality: str

    @property
    def video(self) -> Path:
        """The MP4."""
        return self.folder / VIDEO

    @property
    def poster(self) -> Path:
        """The poster PNG."""
        return self.folder / POSTER

    def layout(self) -> list[dict[str, Any]]:
        """Layout warnings of the render: off-frame or overlapping text, with times and boxes."""
        info = read_json(self.folder / RENDER_JSON) or {}
        warnings = info.get("layout")
        return list(warnings) if isinstance(warnings, list) else []

    @property
    def preview(self) -> Path:
        """The short animated WebP for the gallery card."""
        return self.folder / PREVIEW

    def storyboard(self) -> list[dict[str, Any]]:
        """Storyboard frames with their times: [{"file": relative path, "time": seconds}]."""
        info = read_json(self.folder / RENDER_JSON) or {}
        board = info.get("storyboard")
        return list(board) if isinstance(board, list) else []


def render_key_parts(source: str, scene_class: str, quality: str,
                     renderer: str = "cairo") -> dict[str, Any]:
    """Inputs that change a render: the scene, its class, Manim's version, quality, format, renderer."""
    return {
        "scene_sha256": sha256_text(source),
        "scene_class": scene_class,
        "manim": manim_version(),
        "quality": quality,
        "format": "mp4",
        "renderer": renderer,
    }


def render_job(slug: str, source: str, scene_class: str, quality: str,
               renderer: str = "cairo") -> RenderJob:
    """Describe a render and compute its key."""
    parts = render_key_parts(source, scene_class, quality, renderer)
    return RenderJob(slug=slug, source=source, scene_class=scene_class, quality=quality,
                     key=make_key("render", parts), key_parts=parts, renderer=renderer)


LAYOUT_HOOK = "layout_hook.py"
LAYOUT_JSON = "layout.json"


def manim_argv(job: RenderJob, work: Path, *extra: str) -> list[str]:
    """The Manim command line of a job (run inside `work`, through the layout probe)."""
    argv = [sys.executable, LAYOUT_HOOK, "render", f"-q{job.quality}", "--progress_bar", "none",
            "--disable_caching", "--media_dir", str(work / "media")]
    if job.renderer == "opengl":
        argv += ["--renderer=opengl", "--format", "mp4"]
    return [*argv, *extra, "scene.py", job.scene_class]


def prepare_work(job: RenderJob, work: Path, tex_dir: Path) -> tuple[Path, dict[str, str]]:
    """Lay out a render's work folder (scene, manim.cfg, TeX cache); return (private tex, env)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "scene.py").write_text(job.source, encoding="utf-8")
    hook = resources.files("builder").joinpath(f"templates/{LAYOUT_HOOK}").read_text("utf-8")
    (work / LAYOUT_HOOK).write_text(hook, encoding="utf-8")
    private_tex = work / "Tex"
    _seed_tex(tex_dir, private_tex)
    (work / "manim.cfg").write_text(
        "[CLI]\nnotify_outdated_version = False\n"
        f"tex_dir = {private_tex}\n", encoding="utf-8")
    env = scrubbed_env(work / "home")
    if job.renderer == "opengl":
        from builder.xserver import display

        env["DISPLAY"] = display()
    prepare_workdir(work)
    return private_tex, env


def cached_render(render_dir: Path, key: str) -> RenderOutput | None:
    """The published render for a key, or None (a damaged entry counts as missing)."""
    folder = render_dir / key
    info = read_json(folder / RENDER_JSON)
    if info is None:
        return None
    if not all((folder / name).is_file() for name in (VIDEO, POSTER, PREVIEW)):
        log.warning("render cache entry %s is incomplete; it will be rendered again", key[:12])
        return None
    try:
        return RenderOutput(key=key, folder=folder, seconds=float(info["seconds"]),
                            duration=float(info["duration"]), size=int(info["size"]),
                            quality=str(info["quality"]))
    except (KeyError, TypeError, ValueError):
        log.warning("render cache entry %s has a damaged render.json; it will be rendered again", key[:12])
        return None


def scrubbed_env(home: Path) -> dict[str, str]:
    """The environment of a render: a short allowlist, never API keys or tokens."""
    env = {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"), COLUMNS="200",
               PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", MPLBACKEND="Agg")
    return env


#: Resource limits of code that runs a scene (render or dry run).
SCENE_LIMITS = Limits(cpu_seconds=900, address_space_bytes=16 * 2**30,
                      file_size_bytes=4 * 2**30, processes=512)


_USER_LINE = re.compile(r"(\S*)scene\.py:(\d+) in (\w+)")


def summarize_failure(output: str) -> str:
    """The lines of Manim's output that say what went wrong, for people and for the model."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    keep: list[str] = []
    for match in _USER_LINE.finditer(output):
        if "site-packages" in match.group(1) or "manim" in match.group(1):
            continue  # Manim's own manim/scene/scene.py, not the user's file
        keep.append(f"scene.py line {match.group(2)} (in {match.group(3)})")
    latex = [line.strip() for line in lines if "LaTeX compilation error" in line or line.lstrip().startswith("!")]
    keep += latex[:4]
    if lines:
        keep.append(lines[-1].strip("│ ").strip())
    seen: list[str] = []
    for line in keep:
        if line and line not in seen:
            seen.append(line)
    return "\n".join(seen)


def _seed_tex(shared: Path, private: Path) -> None:
    """Give a render copies of the shared TeX cache (copies: a scene must not write through)."""
    private.mkdir(parents=True, exist_ok=True)
    if not shared.is_dir():
        return
    for svg in shared.glob("*.svg"):
        with contextlib.suppress(OSError):
            shutil.copyfile(svg, private / svg.name)


def _publish_tex(private: Path, shared: Path) -> None:
    """Copy newly compiled formulas into the shared cache, each by an atomic rename."""
    shared.mkdir(parents=True, exist_ok=True)
    for svg in private.glob("*.svg"):
        target = shared / svg.name
        if not target.exists():
            atomic_write_bytes(target, svg.read_bytes())


def render_scene(job: RenderJob, *, render_dir: Path, tex_dir: Path, timeout: float,
                 runner: Runner = run) -> RenderOutput:
    """Render one scene with Manim in its own process and publish its outputs under its key."""
    final = render_dir / job.key
    with staging_dir(final) as stage:
        render_into(job, stage, tex_dir=tex_dir, timeout=timeout, runner=runner)
    output = cached_render(render_dir, job.key)
    if output is None:  # pragma: no cover - render_into always writes a complete entry
        raise RenderError(f"the render of {job.slug} left an incomplete cache entry")
    return output


def render_into(job: RenderJob, stage: Path, *, tex_dir: Path, timeout: float,
                runner: Runner = run) -> None:
    """Render into an empty folder: video, poster, preview, storyboard and render.json."""
    from builder.media import choose_poster, make_preview, make_storyboard, probe

    work = stage / "work"
    try:
        private_tex, env = prepare_work(job, work, tex_dir)
    except ToolError as exc:
        raise RenderError(f"cannot render {job.slug} with {job.renderer}: {exc}") from exc
    started = time.monotonic()
    try:
        done = runner(confine(manim_argv(job, work), work, x11=job.renderer == "opengl"),
                      cwd=work, env=env, timeout=timeout,
                      limits=replace(SCENE_LIMITS, cpu_seconds=int(timeout * 2) + 60),
                      check=False)
    except ToolTimeout as exc:
        raise RenderError(f"the render of {job.slug} ran past {timeout:.0f} s and was stopped; "
                          f"shorten the scene or raise `render_timeout` in mkdocs.yml") from exc
    except ToolError as exc:
        raise RenderError(f"could not start Manim for {job.slug}: {exc}") from exc
    seconds = time.monotonic() - started
    output = done.stdout + "\n" + done.stderr
    if done.returncode != 0:
        raise RenderError(f"Manim failed on {job.slug}:\n{summarize_failure(output)}")
    if f"{job.scene_class} is not in the script" in output:
        raise RenderError(f"scene.py of {job.slug} has no class {job.scene_class}; "
                          f"name the Scene subclass {job.scene_class}")
    videos = [p for p in (work / "media" / "videos").rglob("*.mp4")
              if "partial_movie_files" not in p.parts] if (work / "media").is_dir() else []
    if not videos:
        raise RenderError(f"Manim rendered nothing for {job.slug}: scene.py has no Scene "
                          f"subclass {job.scene_class}, or it plays no animation")
    video = stage / VIDEO
    shutil.move(str(videos[0]), video)
    try:
        info = probe(video)
        choose_poster(video, info.duration).save(stage / POSTER)  # type: ignore[attr-defined]
        preview_size = make_preview(video, info.duration, stage / PREVIEW)
        storyboard = make_storyboard(video, info.duration, stage / STORYBOARD)
    except Exception as exc:  # PyAV raises many types for a broken file
        raise RenderError(f"the video of {job.slug} cannot be decoded: {exc}") from exc
    if job.renderer == "opengl":
        from PIL import Image

        from builder.media import ink

        with Image.open(stage / POSTER) as poster:
            if ink(poster) < 0.002:
                raise RenderError(f"the OpenGL render of {job.slug} is blank (no mobject drawn)")
    layout = read_layout(work / LAYOUT_JSON)
    _publish_tex(private_tex, tex_dir)
    shutil.rmtree(work)
    size = video.stat().st_size
    write_json(stage / RENDER_JSON, {
        "key": job.key, "key_parts": job.key_parts, "slug": job.slug,
        "seconds": round(seconds, 3), "duration": round(info.duration, 3), "size": size,
        "quality": job.quality, "resolution": QUALITY_FLAGS[job.quality],
        "width": info.width, "height": info.height, "codec": info.codec,
        "preview_size": preview_size, "storyboard": storyboard, "renderer": job.renderer,
        "layout": layout,
    })


def read_layout(path: Path) -> list[dict[str, Any]]:
    """Layout warnings the probe wrote (off-frame or overlapping text), bounded in number."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [w for w in data if isinstance(w, dict)][:50]


def collect_outputs(folder: Path) -> dict[str, bytes]:
    """Every file of a finished render, by relative path (to ship it back from a worker)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def publish_outputs(job: RenderJob, files: dict[str, bytes], render_dir: Path) -> RenderOutput:
    """Write a render made elsewhere into the local cache, atomically, under its key."""
    final = render_dir / job.key
    with staging_dir(final) as stage:
        for name, data in files.items():
            target = (stage / name).resolve()
            if not target.is_relative_to(stage.resolve()):
                raise RenderError(f"a worker sent an output outside the cache entry: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    output = cached_render(render_dir, job.key)
    if output is None:
        raise RenderError(f"the worker's render of {job.slug} was incomplete")
    return output
