"""What the site shows about each concept: the spec, the stored scene and the build's record.

Everything here comes from `builder.record` (typed, validated) and the scene store; nothing reads
the build's JSON files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from builder.notes_pdf import NotesOutput, cached_notes
from builder.record import (
    META_FILE,
    Attempt,
    BuildRecord,
    ConceptRecord,
    SceneFacts,
    Tokens,
    load_build_record,
)
from builder.scenes import SceneEntry, read_entry
from builder.settings import Settings
from builder.spec import Concept, load_concepts
from builder.video.chapters import Chapter
from builder.video.render import RenderOutput, cached_render


@dataclass(frozen=True)
class Variant:
    """Another model's take on a concept (`models:` in the spec), shown in a tab beside the main one."""

    model: str
    folder: str
    status: str
    video: Path | None
    poster: Path | None
    scene_path: Path | None
    facts: SceneFacts = field(default_factory=SceneFacts)
    error: str | None = None


@dataclass(frozen=True)
class GalleryItem:
    """One concept as the site sees it: its record, its stored scene, the video and notes shown."""

    concept: Concept
    record: ConceptRecord
    entry: SceneEntry | None = None
    #: The video shown: this build's, or the last good one of a failed concept.
    output: RenderOutput | None = None
    notes_output: NotesOutput | None = None
    stale_video: bool = False        # showing the last good video of a failed concept
    date: str = ""                   # ISO 8601: when the scene was generated (or first stored)
    webm: Path | None = None         # the VP9 WebM beside the MP4 (`formats: [mp4, webm]`)
    chapters_vtt: Path | None = None  # WebVTT chapters of a multi-scene or sectioned video
    variants: tuple[Variant, ...] = ()
    storyboard: tuple[tuple[Path, float], ...] = ()   # (frame image, seconds into the video)
    storyboard_chapters: tuple[int, ...] = ()   # chapter index per storyboard frame (with chapters)
    #: When each anchor (by its LaTeX) is first on screen; None: never shown. An anchor missing
    #: from the map has no record (no video, or a build from before anchors were timed).
    anchor_times: dict[str, float | None] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The concept's slug."""
        return self.concept.slug

    @property
    def status(self) -> str:
        """built | cached | failed | pending."""
        return self.record.status

    @property
    def provenance(self) -> str:
        """template, model or hand-written."""
        return (self.entry.provenance if self.entry else "") or self.record.provenance

    @property
    def facts(self) -> SceneFacts:
        """meta.json's facts: model, provider, tokens, attempts, versions."""
        return self.entry.facts if self.entry else SceneFacts()

    @property
    def generator(self) -> str:
        """Who wrote the scene: the model's name, the template, or a person."""
        return self.record.generator or self.facts.generator or self.facts.model

    @property
    def scene_class(self) -> str:
        """The Scene class rendered."""
        return self.facts.scene_class or self.concept.scene_class

    @property
    def source(self) -> str:
        """scene.py as stored."""
        return self.entry.source if self.entry else ""

    @property
    def notes(self) -> str:
        """notes.md as stored."""
        return self.entry.notes if self.entry else ""

    @property
    def reasoning(self) -> str:
        """The model's reasoning kept beside the scene."""
        return self.entry.reasoning if self.entry else ""

    @property
    def scene_path(self) -> Path | None:
        """scene.py's path."""
        return self.entry.scene_path if self.entry else None

    @property
    def hand_edited(self) -> bool:
        """A person edited the generated scene."""
        return bool(self.entry and self.entry.hand_edited)

    @property
    def error(self) -> str | None:
        """Why the concept failed."""
        return self.record.error

    @property
    def error_stage(self) -> str | None:
        """The stage it failed in."""
        return self.record.error_stage

    @property
    def video(self) -> Path | None:
        """The MP4 shown."""
        return self.output.video if self.output else None

    @property
    def poster(self) -> Path | None:
        """The poster of the video shown."""
        return self.output.poster if self.output else None

    @property
    def preview(self) -> Path | None:
        """The animated WebP of the gallery card."""
        return self.output.preview if self.output and self.output.preview.is_file() else None

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        """The chapters of the video shown, in order (none: one part)."""
        found = self.output.info.chapters if self.output else ()
        return found if len(found) > 1 else ()   # one chapter is no navigation

    @property
    def pdf(self) -> Path | None:
        """The notes PDF."""
        return self.notes_output.pdf if self.notes_output else None

    @property
    def tex(self) -> Path | None:
        """The notes' LaTeX source."""
        return self.notes_output.tex if self.notes_output else None

    @property
    def notes_pages(self) -> int:
        """Pages of the notes PDF."""
        return self.notes_output.pages if self.notes_output else 0

    @property
    def duration(self) -> float:
        """Length of the video shown, in seconds (0 without one)."""
        return self.output.duration if self.output else 0.0

    @property
    def attempts(self) -> int | None:
        """How many generation or repair attempts the scene took, when recorded."""
        found = self.attempt_log
        return len(found) if found else None

    @property
    def attempt_log(self) -> tuple[Attempt, ...]:
        """The recorded attempts, with what the checks said of each."""
        facts = self.facts
        if self.record.status == "failed" and facts.failure_attempts:
            return facts.failure_attempts
        return facts.attempts

    @property
    def tokens(self) -> Tokens:
        """Token counts of the model calls (prompt, completion, reasoning)."""
        return self.facts.tokens


def collect(settings: Settings) -> tuple[list[GalleryItem], BuildRecord]:
    """Gallery items in title order, and the build's record."""
    record = load_build_record(settings.report_path)
    items = [_item(c, settings, record.concepts.get(c.slug)) for c in load_concepts(settings.concepts_dir)]
    items.sort(key=lambda item: item.concept.title.lower())
    return items, record


def _date(facts: SceneFacts, *paths: Path) -> str:
    if facts.date:
        return facts.date
    for path in paths:
        if path.is_file():
            stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            return stamp.isoformat(timespec="seconds")
    return ""


def _item(concept: Concept, settings: Settings, record: ConceptRecord | None) -> GalleryItem:
    record = record or ConceptRecord(slug=concept.slug, title=concept.title)
    entry = read_entry(settings.scenes_dir, concept.slug)
    output = cached_render(settings.render_dir, record.render_key) if record.render_key else None
    stale = False
    if output is None and record.last_good_render_key:
        output = cached_render(settings.render_dir, record.last_good_render_key)
        stale = output is not None
    notes = cached_notes(settings.notes_dir, record.notes.key) \
        if record.notes and record.status != "failed" else None
    storyboard: tuple[tuple[Path, float], ...] = ()
    frame_chapters: tuple[int, ...] = ()
    if output is not None:
        storyboard, frame_chapters = _storyboard(output)
    webm = None
    if record.render and record.render.webm_key and not stale:
        path = settings.cache_dir / "webm" / record.render.webm_key / "video.webm"
        webm = path if path.is_file() else None
    facts = entry.facts if entry else SceneFacts()
    return GalleryItem(
        concept=concept, record=record, entry=entry, output=output, notes_output=notes,
        stale_video=stale,
        date=_date(facts, *([entry.folder / META_FILE] if entry else []), concept.path),
        webm=webm, chapters_vtt=output.chapters_vtt if output else None,
        variants=tuple(_variants(concept, settings, record)),
        storyboard=storyboard, storyboard_chapters=frame_chapters,
        anchor_times=_anchor_times(concept, record) if output is not None and not stale else {},
    )


def chapter_at(chapters: tuple[Chapter, ...], seconds: float) -> int:
    """Index of the chapter playing at `seconds` (the first before the start, the last after the end)."""
    index = 0
    for number, chapter in enumerate(chapters):
        # A frame exactly on a boundary belongs to the chapter that starts there.
        if seconds + 1e-6 >= chapter.start:
            index = number
    return index


def _storyboard(output: RenderOutput) -> tuple[tuple[tuple[Path, float], ...], tuple[int, ...]]:
    """The storyboard frames that exist, with their times, and each one's chapter (with chapters)."""
    chapters = output.info.chapters if len(output.info.chapters) > 1 else ()
    board: list[tuple[Path, float]] = []
    where: list[int] = []
    for frame in output.storyboard():
        path = output.folder / frame.file
        if not path.is_file():
            continue
        board.append((path, frame.time))
        index = frame.chapter
        # Joined videos record the chapter; `next_section` renders do not: place those by time.
        if index is None or not 0 <= index < len(chapters):
            index = chapter_at(chapters, frame.time)
        where.append(index)
    return tuple(board), tuple(where) if chapters else ()


def _anchor_times(concept: Concept, record: ConceptRecord) -> dict[str, float | None]:
    """When each of the spec's anchors is first on screen, from the record."""
    if record.render is None:
        return {}
    wanted = {anchor.latex for anchor in concept.anchors}
    # An anchor the spec no longer has is left out; a negative time is no time.
    return {a.latex: a.time if a.time is None or a.time >= 0 else None
            for a in record.render.anchors if a.latex in wanted}


def _variants(concept: Concept, settings: Settings, record: ConceptRecord) -> list[Variant]:
    out = []
    folder_root = settings.scenes_dir / concept.slug / "variants"
    for variant in record.variants:
        if variant.folder == "?":
            continue
        render = cached_render(settings.render_dir, variant.render_key) if variant.render_key else None
        entry = read_entry(folder_root, variant.folder)
        out.append(Variant(model=variant.model, folder=variant.folder, status=variant.status,
                           video=render.video if render else None,
                           poster=render.poster if render else None,
                           scene_path=entry.scene_path if entry else None,
                           facts=entry.facts if entry else SceneFacts(), error=variant.error))
    return out
