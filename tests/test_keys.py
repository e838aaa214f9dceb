"""Cache keys are pinned: a key change must be deliberate (bump keys.SCHEMA).

Each key is computed by the code from a fixed input, then from that input changed in one place
at a time; the inputs and which of them matter are listed here, not read back from the code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.anchor_template import template_key_parts
from builder.keys import canonical_json, explain_change, make_key
from builder.spec import Concept, validate_text
from builder.video import render

SCENE = '''from manim import *


class GeometricSeriesScene(Scene):
    def construct(self):
        self.play(Create(Square()))
'''

#: The fixed input of a render: what render_job takes, plus the installed Manim version.
RENDER = {"slug": "geometric-series", "source": SCENE, "scene_class": "GeometricSeriesScene",
          "quality": "l", "renderer": "cairo", "manim": "0.22.0"}

#: Its key. A change here must come with a reason (and with keys.SCHEMA when stored data changed).
RENDER_KEY = "5447006b28f5ad1de22138e53cfa996f9334034b1b65c99d5e5d57b3b82f2fbd"

#: Changes that alter the video, so each must give a new key.
RENDER_CHANGES = [
    ("source", SCENE.replace("Square()", "Circle()")),
    ("source", SCENE + "        self.wait(1)\n"),
    ("source", SCENE.replace("\n", "\r\n")),
    ("scene_class", "OtherScene"),
    ("quality", "m"),
    ("quality", "h"),
    ("renderer", "opengl"),
    ("manim", "0.23.0"),
]


def _render_key(monkeypatch: pytest.MonkeyPatch, **inputs: str) -> str:
    monkeypatch.setattr(render, "manim_version", lambda: inputs["manim"])
    job = render.render_job(inputs["slug"], inputs["source"], inputs["scene_class"], inputs["quality"],
                            inputs["renderer"])
    return job.key


def test_canonical_json_ignores_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'


def test_pinned_key() -> None:
    key = make_key("render", {"scene_sha256": "0" * 64, "quality": "l", "manim": "0.22.0"})
    assert key == "90b0dfa24edaa6c7126f2f07e3f0879edba4aabdf68e60a8f53d74a4123dc52b"


def test_pinned_render_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _render_key(monkeypatch, **RENDER) == RENDER_KEY
    assert _render_key(monkeypatch, **RENDER) == RENDER_KEY, "the same input, the same key"


@pytest.mark.parametrize(("name", "value"), RENDER_CHANGES,
                         ids=[f"{name}-{i}" for i, (name, _) in enumerate(RENDER_CHANGES)])
def test_render_key_changes_with_each_input(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    assert value != RENDER[name]
    assert _render_key(monkeypatch, **{**RENDER, name: value}) != RENDER_KEY


def test_render_key_ignores_the_concept_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same scene under another slug is the same video: one render serves both."""
    assert _render_key(monkeypatch, **{**RENDER, "slug": "another-concept"}) == RENDER_KEY


def test_explain_change_names_the_parts() -> None:
    assert explain_change(None, {"a": 1}) == "new"
    assert explain_change({"quality": "l", "manim": "1"}, {"quality": "m", "manim": "1"}) == "quality changed"
    assert explain_change({"a": 1}, {"a": 1}) == "not in the cache"  # e.g. .cache/render was removed


# --------------------------------------------------------------------------- the anchor template


FIRST = "  - label: The sum\n    latex: '\\sum_{n=0}^{\\infty} r^n = \\frac{1}{1-r}'\n"
SECOND = "  - label: Partial sums\n    latex: 'S_N = \\frac{1 - r^{N+1}}{1 - r}'\n"
SPEC = ("title: Geometric series\n"
        "summary: Halves that add up to a whole.\n"
        "tags: [series]\n"
        "level: intro\n"
        "prompt: Fill a unit square with halves.\n"
        f"anchors:\n{FIRST}{SECOND}"
        "prerequisites: [limits]\n"
        "scene:\n"
        "  duration: 6\n")

#: Edits of the spec that change the template's scene or notes: each must give a new key.
SPEC_CHANGES = [
    ("title", "title: Geometric series", "title: Geometric sums"),
    ("summary", "summary: Halves that add up to a whole.", "summary: Halves."),
    ("prompt", "prompt: Fill a unit square with halves.", "prompt: Fill a unit square with thirds."),
    ("anchor label", "label: The sum", "label: The total"),
    ("anchor latex", r"r^n = \frac{1}{1-r}", r"r^n = (1-r)^{-1}"),
    ("anchor order", FIRST + SECOND, SECOND + FIRST),
    ("prerequisites", "prerequisites: [limits]", "prerequisites: [limits, sequences]"),
    ("duration", "duration: 6", "duration: 8"),
]

#: Edits that change neither the template's scene nor its notes: the key must stay.
SPEC_SAME = [
    ("tags", "tags: [series]", "tags: [series, analysis]"),
    ("level", "level: intro", "level: graduate"),
    ("render quality", "duration: 6", "duration: 6\n  quality: h"),
]


def _concept(text: str, name: str = "geometric-series.yaml", folder: str = "/somewhere/deep") -> Concept:
    concept, problems = validate_text(Path(folder) / name, text)
    assert concept is not None, problems
    return concept


def _template_key(concept: Concept) -> str:
    return make_key("generate", template_key_parts(concept))


@pytest.mark.parametrize(("what", "old", "new"), SPEC_CHANGES, ids=[c[0] for c in SPEC_CHANGES])
def test_template_key_changes_with_each_input(what: str, old: str, new: str) -> None:
    assert old in SPEC
    assert _template_key(_concept(SPEC.replace(old, new))) != _template_key(_concept(SPEC))


def test_template_key_changes_with_the_slug() -> None:
    """The slug names the scene class the template writes."""
    assert _template_key(_concept(SPEC, name="other-slug.yaml")) != _template_key(_concept(SPEC))


@pytest.mark.parametrize(("what", "old", "new"), SPEC_SAME, ids=[c[0] for c in SPEC_SAME])
def test_template_key_ignores_what_the_template_does_not_use(what: str, old: str, new: str) -> None:
    assert old in SPEC
    assert _template_key(_concept(SPEC.replace(old, new))) == _template_key(_concept(SPEC))


def test_template_key_has_no_paths_or_times() -> None:
    here = _concept(SPEC, folder="/somewhere/deep/concepts")
    there = _concept(SPEC, folder="/elsewhere/concepts")
    assert "/somewhere" not in canonical_json(template_key_parts(here))
    assert _template_key(here) == _template_key(there)
