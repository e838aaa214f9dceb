"""The scene store: `scenes/<slug>/` holds scene.py, notes.md and meta.json (committed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.fsutil import atomic_write_text
from builder.keys import sha256_text
from builder.record import SceneFacts, read_meta, write_meta

log = logging.getLogger(__name__)

SCENE_FILE = "scene.py"
NOTES_FILE = "notes.md"
REASONING_FILE = "reasoning.md"

PROVENANCES = ("template", "model", "hand-written")


@dataclass(frozen=True)
class SceneEntry:
    """What `scenes/<slug>/` holds now, and whether a person edited it by hand."""

    slug: str
    folder: Path
    source: str
    notes: str
    meta: dict[str, Any]

    @property
    def scene_path(self) -> Path:
        """Path of scene.py."""
        return self.folder / SCENE_FILE

    @property
    def provenance(self) -> str:
        """template, model or hand-written (as recorded in meta.json)."""
        value = self.meta.get("provenance")
        return value if isinstance(value, str) and value in PROVENANCES else "hand-written"

    @property
    def trusted(self) -> bool:
        """A person wrote it (hand-written or the anchor template): it may run without bwrap.

        A model scene stays untrusted after a hand edit: most of its code is still the model's.
        """
        return self.provenance in ("template", "hand-written")

    @property
    def scene_sha256(self) -> str:
        """Hash of scene.py as it is on disk."""
        return sha256_text(self.source)

    @property
    def hand_edited(self) -> bool:
        """True when scene.py or notes.md differ from what the generator wrote."""
        if self.provenance == "hand-written":
            return False
        recorded = self.meta.get("scene_sha256")
        notes_recorded = self.meta.get("notes_sha256")
        return (recorded is not None and recorded != self.scene_sha256) or (
            notes_recorded is not None and notes_recorded != sha256_text(self.notes))

    @property
    def scene_class(self) -> str | None:
        """The class to render, as recorded in meta.json."""
        value = self.meta.get("scene_class")
        return value if isinstance(value, str) else None

    @property
    def facts(self) -> SceneFacts:
        """The typed view of meta.json: generator, tokens, attempts, date."""
        return SceneFacts.from_meta(self.meta)

    @property
    def reasoning(self) -> str:
        """The model's reasoning kept beside the scene, if any."""
        path = self.folder / REASONING_FILE
        return path.read_text(encoding="utf-8") if path.is_file() else ""


def read_entry(scenes_dir: Path, slug: str) -> SceneEntry | None:
    """The stored scene of a concept, or None when there is no scene.py yet."""
    folder = scenes_dir / slug
    scene_path = folder / SCENE_FILE
    if not scene_path.is_file():
        return None
    notes_path = folder / NOTES_FILE
    notes = notes_path.read_text(encoding="utf-8") if notes_path.is_file() else ""
    meta = read_meta(folder)
    return SceneEntry(slug=slug, folder=folder, source=scene_path.read_text(encoding="utf-8"),
                      notes=notes, meta=meta)


def write_entry(scenes_dir: Path, slug: str, *, source: str, notes: str, meta: dict[str, Any],
                reasoning: str | None = None) -> SceneEntry:
    """Store a generated scene; meta.json is written last, so it only vouches for finished files."""
    folder = scenes_dir / slug
    full_meta = dict(meta)
    full_meta["scene_sha256"] = sha256_text(source)
    full_meta["notes_sha256"] = sha256_text(notes)
    atomic_write_text(folder / SCENE_FILE, source)
    atomic_write_text(folder / NOTES_FILE, notes)
    reasoning_path = folder / REASONING_FILE
    if reasoning:
        atomic_write_text(reasoning_path, reasoning)
    elif reasoning_path.exists():
        reasoning_path.unlink()
    write_meta(folder, full_meta)
    return SceneEntry(slug=slug, folder=folder, source=source, notes=notes, meta=full_meta)


def update_meta(entry: SceneEntry, **changes: Any) -> SceneEntry:
    """Record more facts in meta.json (attempts, render info) without touching the scene."""
    meta = {**entry.meta, **changes}
    write_meta(entry.folder, meta)
    return SceneEntry(slug=entry.slug, folder=entry.folder, source=entry.source,
                      notes=entry.notes, meta=meta)
