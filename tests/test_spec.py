"""Spec validation: every bad input gets a message naming the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import SpecError
from builder.spec import load_concepts, scene_class_name, slugify, spec_template, validate_text

GOOD = """\
title: Fourier series
summary: Waves add up.
tags: [analysis]
level: undergraduate
prompt: Build a square wave from sines.
anchors:
  - label: Series
    latex: 'f(x) = \\sum_n b_n \\sin nx'
scene:
  duration: 30
"""

# (file name, YAML text, expected words in the message, expected line or None)
CASES = [
    ("a.yaml", "title: [unclosed\nprompt: x\n", "YAML syntax error", 2),
    ("a.yaml", "- just\n- a list\n", "top level must be a mapping", 1),
    ("a.yaml", "", "the file is empty", None),
    ("a.yaml", GOOD.replace("summary:", "sumary:"), "did you mean 'summary'", 2),
    ("a.yaml", GOOD.replace("title: Fourier series\n", ""), "missing required key 'title'", 1),
    ("a.yaml", GOOD.replace("prompt: Build a square wave from sines.\n", ""), "missing required key 'prompt'", 1),
    ("a.yaml", GOOD.split("anchors:")[0] + "anchors: []\nscene:\n  duration: 30\n", "'anchors' is empty", 6),
    ("a.yaml", GOOD.replace("latex: 'f(x) = \\sum_n b_n \\sin nx'", "latex: 42"), "must be text, not the value '42'", 8),
    ("a.yaml", GOOD.replace("latex: 'f(x) = \\sum_n b_n \\sin nx'", "latex: '$x^2$'"), "wrapped in $ signs", 8),
    ("a.yaml", GOOD.replace("latex: 'f(x) = \\sum_n b_n \\sin nx'", "latex: '\\frac{1}{'"), "unbalanced braces", 8),
    ("a.yaml", GOOD.replace("latex: 'f(x) = \\sum_n b_n \\sin nx'", "latex: '\\input{/etc/passwd}'"), "\\input, which is not allowed", 8),
    ("a.yaml", GOOD.replace("latex: 'f(x) = \\sum_n b_n \\sin nx'", 'latex: "\\frac{a}{b}"'), "control characters", 8),
    ("a.yaml", GOOD.replace("level: undergraduate", "level: expert"), "unknown level 'expert'", 4),
    ("a.yaml", GOOD.replace("level: undergraduate", "level: gradute"), "did you mean 'graduate'", 4),
    ("a.yaml", GOOD.replace("tags: [analysis]", "tags: analysis"), "'tags' must be a list", 3),
    ("a.yaml", GOOD.replace("  duration: 30", "  duration: 3"), "from 5 to 600", 10),
    ("a.yaml", GOOD.replace("  duration: 30", "  quality: x"), "scene.quality 'x' is not one of", 10),
    ("a.yaml", GOOD.replace("  duration: 30", "  durration: 30"), "did you mean 'duration'", 10),
    ("a.yaml", GOOD.replace("    latex:", "    latx:"), "unknown key anchors[1].'latx'", 8),
    ("a.yaml", GOOD + "title: again\n", "given twice", 11),
    ("a.yaml", "title: &t x\nprompt: *t\nanchors: []\n", "aliases", 2),
    ("Bad Name.yaml", GOOD, "not a valid slug", None),
    ("..yaml", GOOD, "not a valid slug", None),
    ("a.yaml", GOOD.replace("anchors:\n", "anchors:\n  - just text\n"), "must be a mapping with label and latex", 7),
    ("a.yaml", GOOD.replace("scene:\n  duration: 30", "scene:\n  three_d: maybe"), "three_d must be true or false", 10),
    ("a.yaml", GOOD.replace("scene:\n  duration: 30", "scene:\n  chapters: some"), "chapters must be true or false", 10),
    ("a.yaml", GOOD.replace("scene:\n  duration: 30", "scene:\n  formats: [mp4, avi]"), "formats must be a list of mp4, webm", 10),
    ("a.yaml", GOOD.replace("scene:\n  duration: 30", "scene:\n  formats: webm"), "formats must be a list", 10),
]


@pytest.mark.parametrize(("name", "text", "expected", "line"), CASES,
                         ids=[f"{i:02d}-{c[2][:30]}" for i, c in enumerate(CASES)])
def test_bad_spec_reports_file_line_and_fix(name: str, text: str, expected: str, line: int | None) -> None:
    concept, problems = validate_text(Path(name), text)
    assert concept is None
    messages = [str(p) for p in problems]
    match = [p for p in problems if expected in p.message]
    assert match, f"no problem mentions {expected!r}: {messages}"
    assert match[0].path == name
    assert match[0].fix, "every problem says how to fix it"
    if line is not None:
        assert match[0].line == line, messages


def test_good_spec_parses_into_a_frozen_concept() -> None:
    concept, problems = validate_text(Path("fourier-series.yaml"), GOOD)
    assert problems == []
    assert concept is not None
    assert concept.slug == "fourier-series"
    assert concept.scene_class == "FourierSeriesScene"
    assert concept.anchors[0].latex == r"f(x) = \sum_n b_n \sin nx"
    assert concept.scene.duration == 30
    with pytest.raises(AttributeError):
        concept.title = "x"  # type: ignore[misc]


def test_all_errors_from_all_files_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD.replace("sumary", "x").replace("summary:", "sumary:"))
    (tmp_path / "two.yaml").write_text("- not a mapping\n")
    (tmp_path / "three.yaml").write_bytes(b"\x00\x01binary")
    (tmp_path / "four.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    (tmp_path / "five.yaml").write_text(GOOD.replace("tags: [analysis]", "prerequisites: [nope]"))
    with pytest.raises(SpecError) as info:
        load_concepts(tmp_path)
    text = str(info.value)
    for name in ("one.yaml", "two.yaml", "three.yaml", "four.yaml", "five.yaml"):
        assert name in text
    assert "not valid UTF-8" in text
    assert "binary" in text
    assert "prerequisite 'nope' is not a concept" in text
    assert "Nothing was generated" in text


def test_duplicate_slugs_across_extensions(tmp_path: Path) -> None:
    (tmp_path / "same.yaml").write_text(GOOD)
    (tmp_path / "same.yml").write_text(GOOD)
    with pytest.raises(SpecError, match="duplicate slug 'same'"):
        load_concepts(tmp_path)


def test_oversized_spec_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(GOOD + "# " + "x" * 300_000 + "\n")
    with pytest.raises(SpecError, match=r"over the .* byte limit"):
        load_concepts(tmp_path)


def test_new_template_is_a_valid_spec() -> None:
    text = spec_template('Fourier "series"', "fourier-series")
    concept, problems = validate_text(Path("fourier-series.yaml"), text)
    assert problems == [], problems
    assert concept is not None and concept.title == 'Fourier "series"'


@pytest.mark.parametrize(("title", "slug"), [
    ("Fourier series", "fourier-series"),
    ("Gale–Shapley: stable matching!", "gale-shapley-stable-matching"),
    ("Schrödinger's equation", "schrodinger-s-equation"),
])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_scene_class_name() -> None:
    assert scene_class_name("bias-variance") == "BiasVarianceScene"
    assert scene_class_name("3d-surfaces") == "S3dSurfacesScene"


def test_chapters_and_formats_are_read() -> None:
    from builder.spec import validate_text

    text = GOOD.replace("scene:\n  duration: 30", "scene:\n  chapters: false\n  formats: [webm, mp4]")
    concept, problems = validate_text(Path("a.yaml"), text)
    assert not problems and concept is not None
    assert concept.scene.chapters is False
    assert concept.scene.formats == ("mp4", "webm")  # MP4 first: the player's first source
    default, _ = validate_text(Path("a.yaml"), GOOD)
    assert default is not None and default.scene.chapters is True and default.scene.formats is None
