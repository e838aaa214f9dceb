"""Render stage: one Manim subprocess per scene, outputs published under `.cache/render/<key>/`."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from builder.errors import RenderError, ToolError, ToolTimeout
from builder.faults import checkpoint
from builder.fsutil import (
    UntrustedFile,
    atomic_write_bytes,
    atomic_write_text,
    list_untrusted,
    read_untrusted,
    staging_dir,
)
from builder.keys import make_key, sha256_text
from builder.record import Frame, RenderInfo, read_render_info, write_render_info
from builder.runner import Limits, Runner, run
from builder.sandbox import SANDBOXED, SCENE_LIMITS, ManimRun, Policy, SandboxUnavailable, run_manim
from builder.settings import QUALITY_FLAGS
from builder.video.chapters import Chapter, chapters_vtt, read_sections

log = logging.getLogger(__name__)

VIDEO = "video.mp4"
CHAPTERS_VTT = "chapters.vtt"
POSTER = "poster.png"
PREVIEW = "preview.webp"
STORYBOARD = "storyboard"

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
    #: A person wrote the scene (hand-written, anchor template): it may run without bubblewrap.
    trusted: bool = False
    #: The user's sandbox setting (not part of the key: it does not change the video).
    policy: Policy = SANDBOXED


@dataclass(frozen=True)
class RenderOutput:
    """A published render: the folder under `.cache/render/` and its render.json, read once."""

    key: str
    folder: Path
    info: RenderInfo

    @property
    def seconds(self) -> float:
        """How long the render took."""
        return self.info.seconds

    @property
    def duration(self) -> float:
        """The video's length in seconds."""
        return self.info.duration

    @property
    def size(self) -> int:
        """The MP4's size in bytes."""
        return self.info.size

    @property
    def quality(self) -> str:
        """The quality letter it was rendered at."""
        return self.info.quality

    @property
    def sandbox(self) -> str:
        """How the render was confined (bubblewrap, or why not), as recorded when it ran."""
        return self.info.sandbox

    @property
    def video(self) -> Path:
        """The MP4."""
        return self.folder / VIDEO

    @property
    def poster(self) -> Path:
        """The poster PNG."""
        return self.folder / POSTER

    @property
    def preview(self) -> Path:
        """The short animated WebP for the gallery card."""
        return self.folder / PREVIEW

    @property
    def chapters_vtt(self) -> Path | None:
        """The WebVTT chapters of a chaptered video."""
        path = self.folder / CHAPTERS_VTT
        return path if path.is_file() else None

    def layout(self) -> list[dict[str, Any]]:
        """Layout warnings of the render: off-frame or overlapping text, with times and boxes."""
        return list(self.info.layout)

    def storyboard(self) -> tuple[Frame, ...]:
        """Storyboard frames with their times."""
        return self.info.storyboard

    def tex_seen(self) -> dict[str, float]:
        """Formulas on screen, with the time each first appeared."""
        return dict(self.info.tex_seen)

    def chapters(self) -> list[Chapter]:
        """The video's chapters (one per scene of a multi-scene file, or per section)."""
        return list(self.info.chapters)


def render_key_parts(source: str, scene_class: str, quality: str,
                     renderer: str = "cairo", *, code: str | None = None) -> dict[str, Any]:
    """Inputs that change a render: the scene, its class, Manim's version, quality, format, renderer.

    `code` is the part of the file a chapter depends on (see chapters.chapter_code): hashed in
    place of the whole file, so editing one chapter leaves the others' keys alone.
    """
    parts: dict[str, Any] = {
        "scene_sha256": sha256_text(source if code is None else code),
        "scene_class": scene_class,
        "manim": manim_version(),
        "quality": quality,
        "format": "mp4",
        "renderer": renderer,
    }
    if uses_sections(source):
        parts["sections"] = True  # `next_section` chapters are part of the output
    if "mathreel_style" in source:
        parts["style_sha256"] = style_hash()  # the palette and helpers the scene draws with
    return parts


@cache
def style_hash() -> str:
    """Hash of the reviewed scene style module (builder/templates/mathreel_style.py)."""
    from importlib import resources

    return sha256_text(resources.files("builder").joinpath("templates/mathreel_style.py")
                       .read_text("utf-8"))


def uses_sections(source: str) -> bool:
    """Does the scene mark chapters with `next_section`? (then Manim saves its section index)"""
    return "next_section(" in source


def render_job(slug: str, source: str, scene_class: str, quality: str,
               renderer: str = "cairo", *, trusted: bool = False,
               policy: Policy = SANDBOXED, code: str | None = None) -> RenderJob:
    """Describe a render and compute its key."""
    parts = render_key_parts(source, scene_class, quality, renderer, code=code)
    return RenderJob(slug=slug, source=source, scene_class=scene_class, quality=quality,
                     key=make_key("render", parts), key_parts=parts, renderer=renderer,
                     trusted=trusted, policy=policy)


LAYOUT_JSON = "layout.json"

#: What the host accepts from a work folder: sizes past these are refused, not read.
MAX_VIDEO_BYTES = 2 * 2**30
MAX_SVG_BYTES = 4 * 2**20
MAX_LAYOUT_BYTES = 2**20
_TEX_NAME = re.compile(r"^[0-9a-f]{16}\.svg$")


@dataclass(frozen=True)
class QualityPlan:
    """The quality to render at, given the preflight's estimate and the time budget."""

    quality: str
    note: str | None = None      # rendered lower than asked: why (shown on the page)
    refusal: str | None = None   # too slow at every quality: what was measured, what to try

#: Share of `render_timeout` an estimate may fill: estimates are rough, renders vary.
BUDGET_SHARE = 0.8
_FPS = {"l": 15, "m": 30, "h": 60, "k": 60}


def plan_quality(estimate: dict[str, float], quality: str, budget: float, *,
                 video_seconds: float | None = None) -> QualityPlan:
    """Render as asked, lower (with a note), or not at all, so a slow scene is never a hang."""
    order = "lmhk"
    if not estimate or quality not in estimate:
        return QualityPlan(quality)
    limit = budget * BUDGET_SHARE
    if estimate[quality] <= limit:
        return QualityPlan(quality)

    def rate(q: str) -> str:
        if not video_seconds:
            return ""
        return f"{video_seconds * _FPS[q] / max(estimate[q], 1e-6):.1f} frames/s estimated, "

    asked = (f"at quality {quality} the render would take about {estimate[quality] / 60:.1f} min "
             f"({rate(quality)}budget {budget:.0f} s, `render_timeout`)")
    for lower in reversed(order[:order.index(quality)]):
        if lower in estimate and estimate[lower] <= limit:
            return QualityPlan(lower, note=f"rendered at quality {lower} instead of {quality}: {asked}")
    return QualityPlan(quality, refusal=(
        f"too slow at this quality: {asked}; try `quality: l`, `renderer: opengl` for 3D, a shorter "
        "scene, or raise `render_timeout` in mkdocs.yml"))


def manim_args(job: RenderJob, work: Path, *extra: str) -> list[str]:
    """Manim's command line for a job (what follows `manim`), run inside `work`."""
    return [*manim_flags(job.quality, job.renderer, *extra), "scene.py", job.scene_class]


def manim_flags(quality: str, renderer: str, *extra: str) -> list[str]:
    """A render's command line before the file and the scene (a warm render learns the scene
    at its hand-over)."""
    # Paths relative to the work folder: TeX in paranoid mode refuses absolute paths and any
    # path through a dot folder (`.cache/`), so the child never names one.
    argv = ["render", f"-q{quality}", "--progress_bar", "none",
            "--disable_caching", "--media_dir", "media"]
    if renderer == "opengl":
        argv += ["--renderer=opengl", "--format", "mp4"]
    return [*argv, *extra]


def render_extra(source: str) -> tuple[str, ...]:
    """Manim flags a scene's source asks for: its section index when it marks chapters."""
    return ("--save_sections",) if uses_sections(source) else ()


def prepare_work(job: RenderJob, work: Path, tex_dir: Path) -> tuple[Path, dict[str, str]]:
    """Lay out a render's work folder (scene, manim.cfg, TeX cache); return (private tex, env)."""
    private_tex, env = prepare_folder(work, job.renderer)
    write_scene(work, job.source, job.scene_class)
    return private_tex, env


def prepare_folder(work: Path, renderer: str) -> tuple[Path, dict[str, str]]:
    """A render's work folder before its scene (manim.cfg, private TeX folder); (that folder, env)."""
    work.mkdir(parents=True, exist_ok=True)
    private_tex = work / "Tex"
    private_tex.mkdir(parents=True, exist_ok=True)
    (work / "manim.cfg").write_text(
        "[CLI]\nnotify_outdated_version = False\ntex_dir = Tex\n", encoding="utf-8")
    env = scrubbed_env(work / "home")
    if renderer == "opengl":
        from builder.video.xserver import display

        env["DISPLAY"] = display()
    return private_tex, env


def write_scene(work: Path, source: str, scene_class: str) -> None:
    """The scene into its work folder, with the formulas to compile first."""
    (work / "scene.py").write_text(source, encoding="utf-8")
    # The formulas known from the source are compiled in one batch before construct runs, as in
    # the preflight (those already in the TeX cache are left out): a render that starts beside
    # the preflight, or of a scene never preflighted, finds few of them compiled.
    from builder.checks.dryrun import write_tex_batch

    write_tex_batch(work, source, scene_class)


def cached_render(render_dir: Path, key: str) -> RenderOutput | None:
    """The published render for a key, or None (a damaged entry counts as missing)."""
    folder = render_dir / key
    info = read_render_info(folder)
    if info is None:
        return None
    if not all((folder / name).is_file() for name in (VIDEO, POSTER, PREVIEW)):
        log.warning("render cache entry %s is incomplete; it will be rendered again", key[:12])
        return None
    return RenderOutput(key=key, folder=folder, info=info)


def scrubbed_env(home: Path) -> dict[str, str]:
    """The environment of a render: a short allowlist, never API keys or tokens."""
    env = {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"), COLUMNS="200",
               PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", MPLBACKEND="Agg",
               # TeX run by the scene: no files outside its folder, no shell escape.
               openin_any="p", openout_any="p", shell_escape="f")
    return env


def summarize_failure(output: str) -> str:
    """The lines of Manim's output that say what went wrong, for people and for the model."""
    from builder.checks.dryrun import scene_frames

    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    keep = [f"scene.py line {line} (in {function})" for line, function in scene_frames(output)]
    latex = [line.strip() for line in lines if "LaTeX compilation error" in line or line.lstrip().startswith("!")]
    keep += latex[:4]
    if lines:
        keep.append(lines[-1].strip("│ ").strip())
    seen: list[str] = []
    for line in keep:
        if line and line not in seen:
            seen.append(line)
    return "\n".join(seen)


def tex_cache_for(tex_dir: Path, source: str, *, trusted: bool) -> Path:
    """The part of the gallery's TeX cache a run reads and publishes into.

    A model-written scene's run only ever shares formulas with runs of the same source (its
    preflight, its chapters, its renders at each quality): the host cannot tell a formula's SVG
    from a forgery a scene left under the formula's name, so what one answer publishes must not
    reach another concept's video. Trusted scenes (samples, templates, hand-written) share one
    folder. (Formulas a gallery's cache kept in its top folder before this split are not read:
    model-written scenes published there too.)
    """
    return tex_dir / "trusted" if trusted else tex_dir / "scenes" / sha256_text(source)[:16]


def publish_tex(work: Path, private: Path, shared: Path) -> int:
    """Publish newly compiled formulas into the shared cache; returns how many were refused.

    The work folder is the scene's: only regular files named like Manim's TeX hashes, within
    a size limit and looking like SVG, cross over, each by an atomic rename.
    """
    shared.mkdir(parents=True, exist_ok=True)
    refused = 0
    if not private.is_dir() or private.is_symlink():
        return 0
    for name in sorted(os.listdir(private)):
        if not _TEX_NAME.match(name) or (shared / name).exists():
            continue
        try:
            data = read_untrusted(work, f"{private.relative_to(work)}/{name}", max_bytes=MAX_SVG_BYTES)
        except UntrustedFile as exc:
            log.warning("TeX cache: refused %s from a render's work folder: %s", name, exc)
            refused += 1
            continue
        if b"<svg" not in data[:512]:
            refused += 1
            continue
        atomic_write_bytes(shared / name, data)
    return refused


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
    work = stage / "work"
    try:
        private_tex, env = prepare_work(job, work, tex_dir)
    except ToolError as exc:
        raise RenderError(f"cannot render {job.slug} with {job.renderer}: {exc}") from exc
    shared_tex = tex_cache_for(tex_dir, job.source, trusted=job.trusted)
    started = time.monotonic()
    try:
        ran = run_manim(manim_args(job, work, *render_extra(job.source)), work, runner=runner, env=env,
                        timeout=timeout, limits=render_limits(timeout), x11=job.renderer == "opengl",
                        trusted=job.trusted, policy=job.policy, tex_cache=shared_tex)
    except (ToolError, SandboxUnavailable) as exc:
        raise render_failure(job, exc, timeout) from exc
    finish_render(job, stage, ran, time.monotonic() - started, private_tex, shared_tex)


def render_limits(timeout: float) -> Limits:
    """A render child's limits: the scene's, with CPU time for `timeout` seconds on two cores."""
    return replace(SCENE_LIMITS, cpu_seconds=int(timeout * 2) + 60)


def render_failure(job: RenderJob, exc: ToolError | SandboxUnavailable, timeout: float) -> RenderError:
    """What a render that could not run to its end tells the user."""
    if isinstance(exc, ToolTimeout):
        return RenderError(f"the render of {job.slug} ran past {timeout:.0f} s and was stopped; "
                           f"shorten the scene or raise `render_timeout` in mkdocs.yml")
    if isinstance(exc, SandboxUnavailable):
        return RenderError(f"{job.slug}: {exc}")
    return RenderError(f"could not start Manim for {job.slug}: {exc}")


def finish_render(job: RenderJob, stage: Path, ran: ManimRun, seconds: float, private_tex: Path,
                  shared_tex: Path) -> None:
    """After the child: take its video (trusting nothing else it left), make the poster, preview
    and storyboard, publish its new formulas, write render.json; the work folder goes."""
    from builder.video.media import pick_poster, probe, read_stills, write_preview, write_storyboard

    work = stage / "work"
    done = ran.completed
    output = done.stdout + "\n" + done.stderr
    if done.returncode != 0:
        raise RenderError(f"Manim failed on {job.slug}:\n{summarize_failure(output)}")
    if f"{job.scene_class} is not in the script" in output:
        raise RenderError(f"scene.py of {job.slug} has no class {job.scene_class}; "
                          f"name the Scene subclass {job.scene_class}")
    video = stage / VIDEO
    take_video(job, work, video)
    checkpoint("render")  # test kill point: Manim done, nothing published
    try:
        info = probe(video)
        # One decode pass for the poster, preview and storyboard, then the preview's WebP in a
        # thread beside their PNGs: for a 20 s video at -ql, 0.20 s against 0.25 s one after
        # the other and 0.35 s decoding once for each (measured here).
        stills = read_stills(video, info.duration)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview") as pool:
            preview = pool.submit(write_preview, video, stills.preview, stage / PREVIEW)
            pick_poster(video, stills.poster).save(stage / POSTER)  # type: ignore[attr-defined]
            storyboard = write_storyboard(stills.storyboard, stage / STORYBOARD)
            preview_size = preview.result()
    except Exception as exc:  # PyAV raises many types for a broken file
        raise RenderError(f"the video of {job.slug} cannot be decoded: {exc}") from exc
    if job.renderer == "opengl":
        from PIL import Image

        from builder.video.media import ink

        with Image.open(stage / POSTER) as poster:
            if ink(poster) < 0.002:
                raise RenderError(f"the OpenGL render of {job.slug} is blank (no mobject drawn)")
    layout = read_layout(work, LAYOUT_JSON)
    seen = read_seen(work)
    chapters = _section_chapters(job, work) if uses_sections(job.source) else []
    publish_tex(work, private_tex, shared_tex)
    shutil.rmtree(work)
    if len(chapters) > 1:
        atomic_write_text(stage / CHAPTERS_VTT, chapters_vtt(chapters))
    size = video.stat().st_size
    write_render_info(stage, RenderInfo(
        key=job.key, key_parts=job.key_parts, seconds=seconds, duration=info.duration, size=size,
        quality=job.quality, resolution=QUALITY_FLAGS[job.quality], width=info.width,
        height=info.height, codec=info.codec, renderer=job.renderer, sandbox=ran.confinement,
        storyboard=tuple(Frame(name, at) for name, at in storyboard),
        layout=tuple(layout), chapters=tuple(chapters) if len(chapters) > 1 else (),
        tex_seen=seen), slug=job.slug, preview_size=preview_size)


SEEN_JSON = "seen.json"


def read_seen(work: Path) -> dict[str, float]:
    """Formulas the render showed, with the time each first appeared (from the untrusted folder)."""
    import json

    try:
        data = json.loads(read_untrusted(work, SEEN_JSON, max_bytes=MAX_LAYOUT_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(tex)[:2000]: round(float(t), 3) for tex, t in list(data.items())[:200]
            if isinstance(t, int | float) and not isinstance(t, bool) and t >= 0}


def _section_chapters(job: RenderJob, work: Path) -> list[Chapter]:
    """Chapters from Manim's section index (`next_section`), read from the untrusted folder."""
    media = work / "media"
    if not media.is_dir() or media.is_symlink():
        return []
    wanted = f"/sections/{job.scene_class}.json"
    found = [rel for rel in list_untrusted(media) if rel.startswith("videos/") and rel.endswith(wanted)]
    if not found:
        return []
    try:
        data = read_untrusted(media, found[0], max_bytes=MAX_LAYOUT_BYTES)
    except UntrustedFile as exc:
        log.warning("%s: section index refused: %s", job.slug, exc)
        return []
    return read_sections(data, scene_class=job.scene_class)


def take_video(job: RenderJob, work: Path, video: Path) -> None:
    """Copy the rendered MP4 out of the (untrusted) work folder: a regular file only, within
    limits; raises RenderError when there is none."""
    media = work / "media"
    found = [rel for rel in list_untrusted(media) if rel.startswith("videos/")
             and rel.endswith(f"/{job.scene_class}.mp4") and "partial_movie_files" not in rel
             and "/sections/" not in rel] if media.is_dir() and not media.is_symlink() else []
    if not found:
        raise RenderError(f"Manim rendered nothing for {job.slug}: scene.py has no Scene "
                          f"subclass {job.scene_class}, or it plays no animation")
    try:
        data = read_untrusted(media, found[0], max_bytes=MAX_VIDEO_BYTES)
    except UntrustedFile as exc:
        raise RenderError(f"the render of {job.slug} left an unusable video: {exc}") from exc
    atomic_write_bytes(video, data)


def chapters_key(parts: list[RenderOutput], titles: list[str]) -> str:
    """The key of a joined video: its parts' keys and the chapter titles, in order."""
    return make_key("chapters", {"parts": [p.key for p in parts], "titles": titles})


def join_chapters(slug: str, parts: list[RenderOutput], scenes: list[tuple[str, str]], *,
                  render_dir: Path) -> RenderOutput:
    """Publish one video made of the chapters' renders (packets copied, not re-encoded).

    `scenes` is (class, title) per part. The entry looks like a render's (video, poster, preview,
    storyboard grouped by chapter, render.json) plus chapters.vtt; joining is cheap, so a change
    to one chapter re-renders that chapter and joins again.
    """
    from builder.video.chapters import join_videos, scene_chapters
    from builder.video.media import probe

    key = chapters_key(parts, [title for _, title in scenes])
    cached = cached_render(render_dir, key)
    if cached is not None:
        return cached
    final = render_dir / key
    started = time.monotonic()
    with staging_dir(final) as stage:
        video = stage / VIDEO
        try:
            bounds = join_videos([p.video for p in parts], video)
            info = probe(video)
            # From the parts' own poster and preview: decoding the joined video again would
            # cost more than the join itself.
            _best_poster(parts, stage / POSTER)
            preview_size = _joined_preview(parts, stage / PREVIEW)
        except Exception as exc:  # PyAV raises many types for a broken file
            raise RenderError(f"the chapters of {slug} could not be joined: {exc}") from exc
        chapters = scene_chapters(scenes, bounds)
        atomic_write_text(stage / CHAPTERS_VTT, chapters_vtt(chapters))
        storyboard: list[Frame] = []
        layout: list[dict[str, Any]] = []
        seen: dict[str, float] = {}
        per_chapter = max(2, 12 // len(parts))
        for index, (part, chapter) in enumerate(zip(parts, chapters, strict=True)):
            frames = part.storyboard()
            step = max(1, len(frames) // per_chapter)
            for frame in frames[::step][:per_chapter]:
                name = f"storyboard/chapter-{index + 1:02d}-{Path(frame.file).name}"
                (stage / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(part.folder / frame.file, stage / name)
                storyboard.append(Frame(name, round(chapter.start + frame.time, 2), index))
            layout += [{**w, "time": round(chapter.start + float(w.get("time", 0.0)), 2),
                        "chapter": index} for w in part.layout()]
            for tex, at in part.tex_seen().items():
                seen[tex] = min(seen.get(tex, at + chapter.start), round(at + chapter.start, 3))
        first = parts[0].info
        write_render_info(stage, RenderInfo(
            key=key, key_parts={"parts": [p.key for p in parts]}, seconds=sum(p.seconds for p in parts),
            join_seconds=time.monotonic() - started, duration=info.duration,
            size=video.stat().st_size, quality=first.quality, resolution=first.resolution,
            width=info.width, height=info.height, codec=info.codec, storyboard=tuple(storyboard),
            renderer=first.renderer, layout=tuple(layout), sandbox=first.sandbox,
            chapters=tuple(chapters), tex_seen=seen), slug=slug, preview_size=preview_size)
    output = cached_render(render_dir, key)
    if output is None:  # pragma: no cover - the entry was just published complete
        raise RenderError(f"the joined video of {slug} left an incomplete cache entry")
    return output


def _best_poster(parts: list[RenderOutput], dest: Path) -> None:
    """The chapter poster that shows the most (the parts' posters were chosen the same way)."""
    from PIL import Image

    from builder.video.media import ink

    best: tuple[float, Path] | None = None
    for part in parts:
        with Image.open(part.poster) as image:
            amount = ink(image)
        if best is None or amount > best[0]:
            best = (amount, part.poster)
    assert best is not None
    shutil.copyfile(best[1], dest)


def _joined_preview(parts: list[RenderOutput], dest: Path, *, frames: int = 24, fps: int = 8) -> int:
    """An animated WebP skimming every chapter, from frames of the parts' previews."""
    from PIL import Image, ImageSequence

    pool: list[Any] = []
    for part in parts:
        with Image.open(part.preview) as image:
            pool += [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    if not pool:
        raise ValueError("the chapters have no preview frames")
    step = len(pool) / frames
    chosen = [pool[min(len(pool) - 1, int(i * step))] for i in range(min(frames, len(pool)))]
    chosen[0].save(dest, format="WEBP", save_all=True, append_images=chosen[1:],
                   duration=round(1000 / fps), loop=0, quality=55, method=4)
    return dest.stat().st_size


def read_layout(work: Path, name: str = LAYOUT_JSON) -> list[dict[str, Any]]:
    """Layout warnings the probe wrote (off-frame or overlapping text), checked and bounded.

    The file comes from the scene's work folder: a link, a FIFO, a huge file or malformed
    JSON gives no warnings rather than anything the host would trust.
    """
    import json

    try:
        data = json.loads(read_untrusted(work, name, max_bytes=MAX_LAYOUT_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    out: list[dict[str, Any]] = []
    for item in data[:50]:
        if not isinstance(item, dict):
            continue
        names = item.get("names")
        boxes = item.get("boxes")
        time_ = item.get("time")
        out.append({
            "kind": str(item.get("kind", "layout"))[:20],
            "names": [str(n)[:80] for n in names[:4]] if isinstance(names, list) else [],
            "boxes": [[float(v) for v in b[:4] if isinstance(v, int | float)]
                      for b in boxes[:4] if isinstance(b, list)] if isinstance(boxes, list) else [],
            "time": float(time_) if isinstance(time_, int | float) else 0.0,
            "count": int(item["count"]) if isinstance(item.get("count"), int) else 1,
        })
    return out


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
