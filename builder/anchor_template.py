"""The anchor template: a deterministic scene and notes built from a concept spec alone."""

from __future__ import annotations

from importlib import resources
from string import Template
from typing import Any

from builder.keys import sha256_text
from builder.spec import Concept

GENERATOR = "anchor-template"


def _template_text() -> str:
    return resources.files("builder").joinpath("templates/anchor_scene.py.tmpl").read_text("utf-8")


def template_hash() -> str:
    """Hash of the scene template and of this module's notes layout: part of the cache key."""
    return sha256_text(_template_text() + NOTES_LAYOUT_VERSION)


def template_key_parts(concept: Concept) -> dict[str, Any]:
    """Exactly the inputs that change the template's output."""
    return {
        "generator": GENERATOR,
        "template": template_hash(),
        "title": concept.title,
        "summary": concept.summary,
        "prompt": concept.prompt,
        "anchors": [[a.label, a.latex] for a in concept.anchors],
        "prerequisites": list(concept.prerequisites),
        "duration": concept.scene.duration,
        "scene_class": concept.scene_class,
    }


def _py_str(text: str) -> str:
    """A Python literal for text; raw when it holds backslashes and that is safe."""
    if "\\" in text and '"""' not in text and not text.endswith("\\") and "\n" not in text and '"' not in text:
        return f'r"{text}"'
    return repr(text)


def template_scene(concept: Concept) -> str:
    """The scene source: title card, each anchor with its label, transitions, a summary."""
    anchors = "\n".join(f"    ({_py_str(a.label)}, {_py_str(a.latex)})," for a in concept.anchors)
    return Template(_template_text()).substitute(
        title=concept.title.replace('"', "'"),
        slug=concept.slug,
        title_repr=repr(concept.title),
        summary_repr=repr(concept.summary),
        anchors_block=anchors,
        duration=repr(float(concept.scene.duration)),
        scene_class=concept.scene_class,
    )


NOTES_LAYOUT_VERSION = "notes-v2"


def template_notes(concept: Concept, titles: dict[str, str]) -> str:
    """Study notes from the spec: overview, the prompt, each anchor as display math."""
    parts: list[str] = []
    if concept.summary:
        parts += ["## Overview", "", concept.summary, ""]
    parts += ["## What the animation shows", "", concept.prompt.strip(), ""]
    parts += ["## The equations, in the order the animation shows them", ""]
    count = len(concept.anchors)
    for index, anchor in enumerate(concept.anchors, start=1):
        parts += [f"**Step {index} of {count}: {anchor.label}.**", "", "$$", anchor.latex, "$$", ""]
    if concept.prerequisites:
        parts += ["## Before you start", ""]
        parts += [f"- {titles.get(slug, slug)}" for slug in concept.prerequisites]
        parts.append("")
    parts += [
        "---",
        "",
        "*These notes were assembled from the concept spec by mathreel's anchor template. "
        "Configure a model and run `mathreel generate "
        f"{concept.slug} --regenerate` for full study notes.*",
        "",
    ]
    return "\n".join(parts)
