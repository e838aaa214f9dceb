"""The precompiled LaTeX format of Manim's preamble: the same formulas, from a shorter latex run.

Real latex, dvisvgm and Manim, through the real sandbox seam (the preflight of a scene whose
formulas Manim compiles one by one: f-strings, which the batch leaves to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from svgshape import drawing

import builder.sandbox
from builder.checks.dryrun import Preflight, preflight
from builder.runner import CountingRunner
from builder.runner import run as real_run
from builder.video import texformat
from builder.video.render import scrubbed_env

SOURCE = """\
from manim import *


class Demo(Scene):
    def construct(self):
        for n in (2, 3):
            self.add(MathTex(rf"\\alpha^{{{n}}} + \\frac{{1}}{{{n}}}"))
"""


def _preflight(tmp_path: Path, name: str) -> tuple[Preflight, dict[str, Path]]:
    result = preflight(SOURCE, scene_class="Demo", runner=CountingRunner(real_run), workdir=tmp_path / name,
                       env=scrubbed_env(tmp_path / f"{name}-home"))
    assert result.diagnostics == () and result.finished, result.diagnostics
    assert result.facts.tex_compiled == 2  # both one by one: the format's case
    return result, {p.name: p for p in (tmp_path / name / "Tex").glob("*.svg")}


def _format_from(folder: Path, dumped: str, sidecar: str) -> Path:
    """A format dumped from the preamble `dumped`, labelled as the preamble `sidecar`."""
    folder.mkdir(parents=True, exist_ok=True)
    fmt = texformat.dump_format(folder, "manim-test", dumped)
    fmt.with_suffix(texformat.PREAMBLE_SUFFIX).write_text(sidecar, encoding="utf-8")
    return fmt


@pytest.fixture
def own_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tex_format() building into this test's own cache folder (and forgetting it after)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    texformat.tex_format.cache_clear()
    yield tmp_path / "cache"
    texformat.tex_format.cache_clear()


@pytest.mark.integration
def test_formulas_compiled_with_the_format_are_the_ones_compiled_without(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_formats: Path) -> None:
    fmt = texformat.tex_format()
    assert fmt is not None and fmt.is_relative_to(own_formats)
    assert texformat.tex_format() == fmt  # built once
    _, with_format = _preflight(tmp_path, "with")
    monkeypatch.setattr(builder.sandbox, "tex_format", lambda: None)
    _, without = _preflight(tmp_path, "without")
    assert sorted(with_format) == sorted(without) and len(without) == 2
    for name, path in without.items():
        assert drawing(with_format[name]) == drawing(path), name


@pytest.mark.integration
def test_a_format_is_built_again_when_the_system_format_changes(own_formats: Path) -> None:
    fmt = texformat.tex_format()
    assert fmt is not None
    record = fmt.with_suffix(texformat.SYSTEM_SUFFIX)
    path, stamp = record.read_text(encoding="utf-8").split("\n")
    assert Path(path).name == "latex.fmt" and stamp.isdigit()
    built = fmt.stat().st_ino
    texformat.tex_format.cache_clear()
    assert texformat.tex_format() == fmt and fmt.stat().st_ino == built  # reused as it is
    # fmtutil rebuilt the system's format (a TeX package changed): ours is dumped again
    record.write_text(f"{path}\n1", encoding="utf-8")
    texformat.tex_format.cache_clear()
    assert texformat.tex_format() == fmt and fmt.stat().st_ino != built
    assert record.read_text(encoding="utf-8") == f"{path}\n{stamp}"


@pytest.mark.integration
def test_the_format_is_what_latex_loads_and_a_broken_one_is_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preamble = texformat._manim_preamble()
    monkeypatch.setattr(builder.sandbox, "tex_format", lambda: None)
    _, clean = _preflight(tmp_path, "clean")

    # A format whose dumped state typesets \alpha as \beta, under Manim's preamble's label: the
    # formulas come out changed, so latex loaded it (only the host ever writes one).
    poisoned = _format_from(tmp_path / "poisoned", preamble + "\\let\\alpha\\beta\n", preamble)
    monkeypatch.setattr(builder.sandbox, "tex_format", lambda: poisoned)
    _, changed = _preflight(tmp_path, "changed")
    assert sorted(changed) == sorted(clean)
    assert all(drawing(changed[name]) != drawing(path) for name, path in clean.items())

    # A format latex cannot load (another TeX's, or a torn file): each formula is compiled
    # again without it, and comes out as it always does.
    broken = tmp_path / "broken" / "manim-test.fmt"
    broken.parent.mkdir()
    broken.write_bytes(b"not a format")
    broken.with_suffix(".preamble").write_text(preamble, encoding="utf-8")
    monkeypatch.setattr(builder.sandbox, "tex_format", lambda: broken)
    _, again = _preflight(tmp_path, "again")
    for name, path in clean.items():
        assert drawing(again[name]) == drawing(path), name

    # A formula with another preamble never loads the format.
    other = _format_from(tmp_path / "other", preamble + "\\let\\alpha\\beta\n", preamble + "% another\n")
    monkeypatch.setattr(builder.sandbox, "tex_format", lambda: other)
    _, unchanged = _preflight(tmp_path, "unchanged")
    for name, path in clean.items():
        assert drawing(unchanged[name]) == drawing(path), name
