"""Collect what the site shows about each concept from the specs, the scene store and the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from builder.chapters import Chapter
from builder.fsutil import read_json
from builder.notes import cached_notes
from builder.render import CHAPTERS_VTT, RENDER_JSON, cached_render
from builder.scenes import META_FILE, read_entry
from builder.settings import Settings
from builder.spec import Concept, load_concepts

#: meta.json keys a generator may use for the moment it wrote the scene, best first.
DATE_KEYS = ("generated_at", "generated", "created_at", "created", "date")


@dataclass(frozen=True)
class Variant:
    """Another model's take on a concept (`models:` in the spec), shown in a tab beside the main one."""

    model: str
    folder: str
    status: str
    video: Path | None
    poster: Path | None
    scene_path: Path | None
    meta: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class GalleryItem:
    """One concept as the site sees it."""

    concept: Concept
    status: str                      # built | cached | failed | pending
    provenance: str
    generator: str
    source: str
    notes: str
    reasoning: str
    video: Path | None
    poster: Path | None
    pdf: Path | None
    tex: Path | None
    scene_path: Path | None
    error: str | None
    error_stage: str | None
    render: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hand_edited: bool = False
    stale_video: bool = False        # showing the last good video of a failed concept
    preview: Path | None = None      # the animated WebP of the gallery card
    storyboard: tuple[tuple[Path, float], ...] = ()   # (frame image, seconds into the video)
    render_info: dict[str, Any] = field(default_factory=dict)   # render.json of the video shown
    report: dict[str, Any] = field(default_factory=dict)        # this concept's build-report entry
    notes_pages: int = 0
    date: str = ""                   # ISO 8601: when the scene was generated (or first stored)
    webm: Path | None = None         # the VP9 WebM beside the MP4 (`formats: [mp4, webm]`)
    chapters_vtt: Path | None = None  # WebVTT chapters of a multi-scene or sectioned video
    variants: tuple[Variant, ...] = ()
    chapters: tuple[Chapter, ...] = ()   # the chapters of the video shown, in order (none: one part)
    storyboard_chapters: tuple[int, ...] = ()   # chapter index per storyboard frame (with chapters)
    #: When each anchor (by its LaTeX) is first on screen; None: never shown. An anchor missing
    #: from the map has no record (no video, or a build from before anchors were timed).
    anchor_times: dict[str, float | None] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The concept's slug."""
        return self.concept.slug

    @property
    def attempts(self) -> int | None:
        """How many generation or repair attempts the scene took, when recorded."""
        for source in (self.report, self.meta):
            value = source.get("attempts")
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                return value
            if isinstance(value, list):
                return len(value)
        return None

    @property
    def attempt_log(self) -> list[dict[str, Any]]:
        """Recorded attempts with what went wrong in each, when the generator kept them."""
        for source in (self.report, self.meta):
            value = source.get("attempts")
            if isinstance(value, list):
                return [a if isinstance(a, dict) else {"error": str(a)} for a in value]
        return []

    @property
    def tokens(self) -> dict[str, int]:
        """Token counts of the model calls (prompt, completion, reasoning, total); empty if none."""
        return token_counts(self.report, self.meta)


_TOKEN_NAMES = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "total_tokens")


def token_counts(*sources: dict[str, Any]) -> dict[str, int]:
    """Token counts from a report entry or meta.json, whichever shape the generator wrote.

    Accepts `tokens` as a number or a dict, `usage` as a dict, counts at the top level, or a
    list of `attempts` each carrying their own counts (summed).
    """
    for source in sources:
        found = _counts_in(source)
        if not found:
            attempts = source.get("attempts")
            if isinstance(attempts, list):
                for attempt in attempts:
                    if isinstance(attempt, dict):
                        for name, value in _counts_in(attempt).items():
                            found[name] = found.get(name, 0) + value
        if found:
            if "total_tokens" not in found:
                found["total_tokens"] = sum(found.get(n, 0) for n in _TOKEN_NAMES[:2])
            return found
    return {}


def _counts_in(data: dict[str, Any]) -> dict[str, int]:
    tokens = data.get("tokens")
    if isinstance(tokens, int) and not isinstance(tokens, bool):
        return {"total_tokens": tokens}
    for candidate in (tokens, data.get("usage"), data):
        if isinstance(candidate, dict):
            counts = {name: int(candidate[name]) for name in _TOKEN_NAMES
                      if isinstance(candidate.get(name), int | float)
                      and not isinstance(candidate.get(name), bool)}
            if not counts and isinstance(candidate.get("total"), int):
                counts = {"total_tokens": int(candidate["total"])}
            if counts:
                return counts
    return {}


def collect(settings: Settings) -> tuple[list[GalleryItem], dict[str, Any]]:
    """Gallery items in title order, and the raw build report."""
    report = read_json(settings.report_path) or {}
    reports: dict[str, Any] = report.get("concepts") or {}
    items = [_item(c, settings, reports.get(c.slug) or {}) for c in load_concepts(settings.concepts_dir)]
    items.sort(key=lambda item: item.concept.title.lower())
    return items, report


def _date(meta: dict[str, Any], *paths: Path) -> str:
    for key in DATE_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value[:4].isdigit():
            return value
    for path in paths:
        if path.is_file():
            stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            return stamp.isoformat(timespec="seconds")
    return ""


def _item(concept: Concept, settings: Settings, rep: dict[str, Any]) -> GalleryItem:
    entry = read_entry(settings.scenes_dir, concept.slug)
    render_key = rep.get("render_key")
    render = cached_render(settings.render_dir, render_key) if render_key else None
    stale = False
    if render is None and rep.get("last_good_render_key"):
        render = cached_render(settings.render_dir, rep["last_good_render_key"])
        stale = render is not None
    notes_key = rep.get("notes_key")
    notes = cached_notes(settings.notes_dir, notes_key) if notes_key and rep.get("status") != "failed" else None
    status = rep.get("status") or "pending"
    storyboard: tuple[tuple[Path, float], ...] = ()
    frame_chapters: tuple[int, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    render_info: dict[str, Any] = {}
    if render is not None:
        render_info = read_json(render.folder / RENDER_JSON) or {}
        chapters = _chapters(render_info)
        storyboard, frame_chapters = _storyboard(render.folder, render.storyboard(), chapters)
    meta = dict(entry.meta) if entry else {}
    render_facts = dict(rep.get("render") or {})
    if not render_facts and render is not None:  # a failed concept still shows its last good video
        render_facts = {"seconds": render.seconds, "duration": render.duration, "size": render.size,
                        "quality": render.quality}
    return GalleryItem(
        concept=concept,
        status=status,
        provenance=(entry.provenance if entry else "") or rep.get("provenance", ""),
        generator=str(rep.get("generator") or meta.get("generator") or meta.get("model") or ""),
        source=entry.source if entry else "",
        notes=entry.notes if entry else "",
        reasoning=entry.reasoning if entry else "",
        video=render.video if render else None,
        poster=render.poster if render else None,
        pdf=notes.pdf if notes else None,
        tex=notes.tex if notes else None,
        scene_path=entry.scene_path if entry else None,
        error=rep.get("error"),
        error_stage=rep.get("error_stage"),
        render=render_facts,
        meta=meta,
        hand_edited=bool(entry.hand_edited) if entry else False,
        stale_video=stale,
        preview=render.preview if render and render.preview.is_file() else None,
        storyboard=storyboard,
        render_info=render_info,
        report=dict(rep),
        notes_pages=notes.pages if notes else 0,
        date=_date(meta, settings.scenes_dir / concept.slug / META_FILE, concept.path),
        variants=tuple(_variants(concept, settings, rep)),
        webm=_webm(settings, render_facts),
        chapters_vtt=(render.folder / CHAPTERS_VTT
                      if render is not None and (render.folder / CHAPTERS_VTT).is_file() else None),
        chapters=chapters,
        storyboard_chapters=frame_chapters,
        anchor_times=_anchor_times(concept, render_facts) if render is not None and not stale else {},
    )


def _chapters(render_info: dict[str, Any]) -> tuple[Chapter, ...]:
    """The chapters render.json records for the video shown; none when any is malformed."""
    found = render_info.get("chapters")
    out: list[Chapter] = []
    for entry in found if isinstance(found, list) else []:
        try:
            chapter = Chapter(str(entry["title"]), float(entry["start"]), float(entry["end"]),
                              str(entry.get("scene_class", "")))
        except (KeyError, TypeError, ValueError):
            return ()
        if not 0 <= chapter.start < chapter.end:
            return ()
        out.append(chapter)
    # One chapter is no navigation: the page shows none.
    return tuple(out) if len(out) > 1 else ()


def chapter_at(chapters: tuple[Chapter, ...], seconds: float) -> int:
    """Index of the chapter playing at `seconds` (the first before the start, the last after the end)."""
    index = 0
    for number, chapter in enumerate(chapters):
        # A frame exactly on a boundary belongs to the chapter that starts there.
        if seconds + 1e-6 >= chapter.start:
            index = number
    return index


def _storyboard(folder: Path, frames: list[dict[str, Any]], chapters: tuple[Chapter, ...]
                ) -> tuple[tuple[tuple[Path, float], ...], tuple[int, ...]]:
    """The storyboard frames that exist, with their times, and each one's chapter (with chapters)."""
    board: list[tuple[Path, float]] = []
    where: list[int] = []
    for frame in frames:
        if not (isinstance(frame, dict) and _safe_relative(frame.get("file"))
                and (folder / str(frame["file"])).is_file()):
            continue
        time = float(frame.get("time", 0.0))
        board.append((folder / str(frame["file"]), time))
        index = frame.get("chapter")
        # Joined videos record the chapter; `next_section` renders do not: place those by time.
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(chapters):
            index = chapter_at(chapters, time)
        where.append(index)
    return tuple(board), tuple(where) if chapters else ()


def _anchor_times(concept: Concept, render_facts: dict[str, Any]) -> dict[str, float | None]:
    """When each of the spec's anchors is first on screen, from the build report."""
    recorded = render_facts.get("anchors")
    if not isinstance(recorded, list):
        return {}
    wanted = {anchor.latex for anchor in concept.anchors}
    out: dict[str, float | None] = {}
    for entry in recorded:
        if not isinstance(entry, dict) or entry.get("latex") not in wanted:
            continue  # the spec changed since: an anchor it no longer has
        time = entry.get("time")
        if time is None:
            out[str(entry["latex"])] = None
        elif isinstance(time, int | float) and not isinstance(time, bool) and time >= 0:
            out[str(entry["latex"])] = float(time)
    return out


def _webm(settings: Settings, render_facts: dict[str, Any]) -> Path | None:
    """The WebM of the video shown, when the build made one."""
    key = render_facts.get("webm_key")
    if not isinstance(key, str) or not key.isalnum():
        return None
    path = settings.cache_dir / "webm" / key / "video.webm"
    return path if path.is_file() else None


def _variants(concept: Concept, settings: Settings, rep: dict[str, Any]) -> list[Variant]:
    out = []
    folder_root = settings.scenes_dir / concept.slug / "variants"
    for record in rep.get("variants") or []:
        if not isinstance(record, dict) or not _safe_relative(record.get("folder")):
            continue
        folder = str(record["folder"])
        if "/" in folder:
            continue
        key = record.get("render_key")
        render = cached_render(settings.render_dir, key) if isinstance(key, str) else None
        entry = read_entry(folder_root, folder)
        out.append(Variant(model=str(record.get("model", folder)), folder=folder,
                           status=str(record.get("status", "")),
                           video=render.video if render else None,
                           poster=render.poster if render else None,
                           scene_path=entry.scene_path if entry else None,
                           meta=dict(entry.meta) if entry else {},
                           error=record.get("error")))
    return out


def _safe_relative(name: object) -> bool:
    """A storyboard file name from render.json stays inside the render folder."""
    if not isinstance(name, str) or not name:
        return False
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts
