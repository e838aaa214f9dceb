"""Notes stage: the study notes as LaTeX and PDF, with the video's poster, storyboard and chapters.

Cached by a key of everything the PDF shows, so a new render that looks the same on paper does
not recompile the notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import NotesError
from builder.keys import explain_change
from builder.notes_pdf import build_notes, cached_notes, notes_key, notes_key_parts, pandoc_version
from builder.record import NotesFacts
from builder.scenes import SceneEntry
from builder.spec import Concept
from builder.stages import BuildContext, StageFailure
from builder.stages.render import Rendered


@dataclass(frozen=True)
class Notes:
    """The notes stage's result: what the record keeps, and what was redone."""

    facts: NotesFacts
    redone: tuple[str, ...] = ()


def compile_notes(ctx: BuildContext, concept: Concept, entry: SceneEntry, rendered: Rendered,
                  generator: str) -> Notes | StageFailure:
    """The concept's notes PDF (cached by key); a LaTeX failure names the notes' line."""
    output, facts = rendered.output, rendered.facts
    page_url = f"{ctx.page_url_base}concepts/{concept.slug}/" if ctx.page_url_base else None
    frames = [(output.folder / frame.file, frame.time) for frame in output.storyboard()]
    chapters = [(c.title, c.start, c.end) for c in facts.chapters]
    anchor_times = {a.latex: a.time for a in facts.anchors}
    parts = notes_key_parts(concept, entry.notes, render_key=output.key,
                            pandoc=pandoc_version(ctx.runner), page_url=page_url, titles=ctx.titles,
                            chapters=chapters, anchor_times=anchor_times)
    key = notes_key(parts)
    notes = cached_notes(ctx.settings.notes_dir, key)
    if notes is not None:
        return Notes(NotesFacts(key, notes.pages, parts))
    previous = ctx.previous.get(concept.slug)
    reason = explain_change(previous.notes.parts if previous and previous.notes else None, parts)
    try:
        notes = build_notes(concept, entry.notes, parts=parts, notes_dir=ctx.settings.notes_dir,
                            poster=output.poster, storyboard=frames, titles=ctx.titles,
                            page_url=page_url, generator=generator, runner=ctx.runner,
                            chapters=chapters, anchor_times=anchor_times)
    except NotesError as exc:
        ctx.progress.item("notes", concept.slug, "failed", str(exc).splitlines()[0])
        return StageFailure("notes", str(exc))
    ctx.progress.item("notes", concept.slug, "done", reason)
    return Notes(NotesFacts(key, notes.pages, parts), (f"notes: {reason}",))
