"""Cache keys are pinned: a key change must be deliberate (bump keys.SCHEMA)."""

from __future__ import annotations

from pathlib import Path

from builder.keys import canonical_json, explain_change, make_key
from builder.render import render_key_parts
from builder.spec import validate_text
from builder.template import template_key_parts


def test_canonical_json_ignores_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'


def test_pinned_key() -> None:
    key = make_key("render", {"scene_sha256": "0" * 64, "quality": "l", "manim": "0.22.0"})
    assert key == "90b0dfa24edaa6c7126f2f07e3f0879edba4aabdf68e60a8f53d74a4123dc52b"


def test_render_key_changes_with_each_input() -> None:
    base = render_key_parts("code", "AScene", "l")
    keys = {make_key("render", base)}
    for change in ({"scene_sha256": "x"}, {"scene_class": "B"}, {"quality": "m"}, {"manim": "0.23"}):
        keys.add(make_key("render", {**base, **change}))
    assert len(keys) == 5


def test_explain_change_names_the_parts() -> None:
    assert explain_change(None, {"a": 1}) == "new"
    assert explain_change({"quality": "l", "manim": "1"}, {"quality": "m", "manim": "1"}) == "quality changed"


def test_template_key_has_no_paths_or_times() -> None:
    text = "title: T\nprompt: p\nanchors:\n  - {label: L, latex: 'x'}\n"
    concept, _ = validate_text(Path("/somewhere/deep/t.yaml"), text)
    assert concept is not None
    parts = template_key_parts(concept)
    assert "/somewhere" not in canonical_json(parts)
