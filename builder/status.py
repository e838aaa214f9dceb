"""`mathreel status`: the state of every concept, read from the scene store, cache and report."""

from __future__ import annotations

from pathlib import Path

from builder.build import load_report
from builder.notes_pdf import cached_notes
from builder.scenes import read_entry
from builder.settings import load_settings
from builder.spec import load_concepts
from builder.video.render import cached_render


def status_rows(config_file: Path) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of (slug, scene, render, notes, status, detail)."""
    settings, _ = load_settings(config_file)
    records = load_report(settings).concepts
    rows = []
    for concept in load_concepts(settings.concepts_dir):
        entry = read_entry(settings.scenes_dir, concept.slug)
        record = records.get(concept.slug)
        if entry is None:
            scene = "missing"
        else:
            scene = entry.provenance + (" (edited)" if entry.hand_edited else "")
        render_key = record.render_key if record else None
        render = "yes" if render_key and cached_render(settings.render_dir, render_key) else "no"
        notes_key = record.notes.key if record and record.notes else None
        notes = "yes" if notes_key and cached_notes(settings.notes_dir, notes_key) else "no"
        status = record.status if record else "not built"
        error = ((record.error if record else None) or "").strip().splitlines()
        attempts = entry.facts.attempts if entry else ()
        detail = error[0] if error else (f"{len(attempts)} attempt(s)" if attempts else "")
        rows.append((concept.slug, scene, render, notes, status, detail))
    return rows
