"""Collect what the site shows about each concept from the specs, the scene store and the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.fsutil import read_json
from builder.notes import cached_notes
from builder.render import cached_render
from builder.scenes import read_entry
from builder.settings import Settings
from builder.spec import Concept, load_concepts


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

    @property
    def slug(self) -> str:
        """The concept's slug."""
        return self.concept.slug


def collect(settings: Settings) -> tuple[list[GalleryItem], dict[str, Any]]:
    """Gallery items in title order, and the raw build report."""
    report = read_json(settings.report_path) or {}
    reports: dict[str, Any] = report.get("concepts") or {}
    items = [_item(c, settings, reports.get(c.slug) or {}) for c in load_concepts(settings.concepts_dir)]
    items.sort(key=lambda item: item.concept.title.lower())
    return items, report


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
    return GalleryItem(
        concept=concept,
        status=status,
        provenance=(entry.provenance if entry else "") or rep.get("provenance", ""),
        generator=str(rep.get("generator") or (entry.meta.get("generator") if entry else "") or ""),
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
        render=dict(rep.get("render") or {}),
        meta=dict(entry.meta) if entry else {},
        hand_edited=bool(entry.hand_edited) if entry else False,
        stale_video=stale,
    )
