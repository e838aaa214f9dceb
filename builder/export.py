"""`mathreel export`: a GIF of a concept's video, or of one chapter, for slides and READMEs."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from builder.build import load_report
from builder.errors import MathreelError
from builder.fsutil import staging_dir
from builder.keys import make_key
from builder.settings import Settings
from builder.video.render import cached_render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exported:
    """A written GIF: where, how many frames, and whether it came from the cache."""

    path: Path
    frames: int
    cached: bool


def export_gif(settings: Settings, slug: str, out: Path | None = None, *, start: float | None = None,
               end: float | None = None, chapter: int | None = None, width: int = 480,
               fps: int = 10) -> Exported:
    """Write a GIF of a built concept's video (a window of it, or chapter N, 1-based).

    The GIF is cached under `.cache/export/<key>/` (the render, the window, size and rate), then
    copied to `out` (default: `<slug>.gif`, or `<slug>-chapter-N.gif`, in the current folder).
    """
    from builder.video.media import write_gif

    record = load_report(settings).concepts.get(slug)
    if record is None or not record.render_key:
        raise MathreelError(f"{slug} has no rendered video yet: run `mathreel build --only {slug}`")
    render = cached_render(settings.render_dir, record.render_key)
    if render is None:
        raise MathreelError(f"the video of {slug} is not in the cache: run `mathreel build --only {slug}`")
    if chapter is not None:
        chapters = render.chapters()
        if not chapters:
            raise MathreelError(f"{slug} has no chapters: export a window with --from/--to instead")
        if not 1 <= chapter <= len(chapters):
            raise MathreelError(f"{slug} has chapters 1 to {len(chapters)}; --chapter {chapter} "
                                "is not one of them")
        start, end = chapters[chapter - 1].start, chapters[chapter - 1].end
    first = max(0.0, start or 0.0)
    last = min(render.duration, end) if end is not None else render.duration
    if last <= first:
        raise MathreelError(f"--from {first:g} --to {last:g}: the window is empty (the video of "
                            f"{slug} lasts {render.duration:.1f} s)")
    if not 16 <= width <= 3840 or not 1 <= fps <= 50:
        raise MathreelError("--width must be 16 to 3840 pixels and --fps 1 to 50")
    key = make_key("gif", {"render": render.key, "from": round(first, 3), "to": round(last, 3),
                           "width": width, "fps": fps})
    cached_gif = settings.cache_dir / "export" / key / "clip.gif"
    was_cached = cached_gif.is_file()
    if not was_cached:
        with staging_dir(cached_gif.parent) as stage:
            write_gif(render.video, stage / "clip.gif", start=first, end=last, width=width, fps=fps)
    from PIL import Image

    with Image.open(cached_gif) as image:
        frames = int(getattr(image, "n_frames", 1))
    name = f"{slug}-chapter-{chapter}.gif" if chapter is not None else f"{slug}.gif"
    target = out or Path.cwd() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached_gif, target)
    return Exported(target, frames, was_cached)
