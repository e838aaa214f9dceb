"""`mathreel status`: the state of every concept, read from the scene store, cache and report."""

from __future__ import annotations

from pathlib import Path

from builder.build import load_report
from builder.notes import cached_notes
from builder.render import cached_render
from builder.scenes import read_entry
from builder.settings import load_settings
from builder.spec import load_concepts


def status_rows(config_file: Path) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of (slug, scene, render, notes, status, detail)."""
    settings, _ = load_settings(config_file)
    report = load_report(settings)["concepts"]
    rows = []
    for concept in load_concepts(settings.concepts_dir):
        entry = read_entry(settings.scenes_dir, concept.slug)
        rep = report.get(concept.slug) or {}
        if entry is None:
            scene = "missing"
        else:
            scene = entry.provenance + (" (edited)" if entry.hand_edited else "")
        render_key = rep.get("render_key")
        render = "yes" if render_key and cached_render(settings.render_dir, render_key) else "no"
        notes_key = rep.get("notes_key")
        notes = "yes" if notes_key and cached_notes(settings.notes_dir, notes_key) else "no"
        status = rep.get("status", "not built")
        error = (rep.get("error") or "").strip().splitlines()
        attempts = (entry.meta.get("attempts") if entry else None) or []
        detail = error[0] if error else (f"{len(attempts)} attempt(s)" if attempts else "")
        rows.append((concept.slug, scene, render, notes, status, detail))
    return rows
