"""Chapters and equation times in the study-note PDF: real pandoc and pdflatex, read back with
pdftotext. The storyboard is grouped under each chapter's title and time span; each key equation
says when the video first shows it, or that it never does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from builder.notes_pdf import (
    NotesOutput,
    build_notes,
    notes_key,
    notes_key_parts,
    pandoc_version,
    pick_frames,
    storyboard_tex,
    tex_text,
)
from builder.spec import Anchor, Concept

pytestmark = pytest.mark.integration

CONCEPT = Concept(slug="shapes", path=Path("concepts/shapes.yaml"), title="Shapes in parts", prompt="p",
                  anchors=(Anchor("Identity", "x = x"), Anchor("Never drawn", "y = 2")),
                  summary="A story in three chapters.", level="intro")
#: (title, start, end): the second title is what a hostile model could put in a docstring.
CHAPTERS = [("A circle", 0.0, 1.0), ("Squares & 100% {braces} \\input{/etc/passwd} 🎉", 1.0, 3.0),
            ("Triangle", 3.0, 4.5)]
TIMES = (0.0, 0.5, 1.0, 1.6, 2.2, 2.8, 3.0, 3.7)
ANCHOR_TIMES: dict[str, float | None] = {"x = x": 12.4, "y = 2": None}


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, float]]:
    from PIL import Image

    folder = tmp_path_factory.mktemp("frames")
    out = []
    for index, time in enumerate(TIMES, start=1):
        path = folder / f"frame-{index:02d}.png"
        Image.new("RGB", (160, 90), (20 * index, 40, 80)).save(path)
        out.append((path, time))
    return out


@pytest.fixture(scope="module")
def built(frames: list[tuple[Path, float]], tmp_path_factory: pytest.TempPathFactory) -> NotesOutput:
    for tool in ("pandoc", "pdflatex", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make test` (scripts/setup-system.sh installs it)")
    notes = "# Overview\n\nA circle, then squares, then a triangle: $x = x$.\n"
    parts = notes_key_parts(CONCEPT, notes, render_key="r" * 64, pandoc=pandoc_version(), page_url=None,
                            chapters=CHAPTERS, anchor_times=ANCHOR_TIMES)
    return build_notes(CONCEPT, notes, parts=parts, notes_dir=tmp_path_factory.mktemp("notes"),
                       storyboard=frames, chapters=CHAPTERS, anchor_times=ANCHOR_TIMES)


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_groups_the_storyboard_by_chapter_with_titles_and_times(built: NotesOutput) -> None:
    text = _text(built.pdf)
    storyboard = text[text.index("Storyboard"):]
    first = storyboard.index("1. A circle")
    second = storyboard.index("2. Squares & 100% {braces} \\input{/etc/passwd}")  # printed, not run
    third = storyboard.index("3. Triangle")
    assert first < second < third
    assert "0:00–0:01" in storyboard and "0:01–0:03" in storyboard and "0:03–0:04" in storyboard
    # Each chapter's frames sit under its heading, with their own times.
    assert storyboard.index("0:00.5") < second and second < storyboard.index("0:02.2") < third
    assert third < storyboard.index("0:03.7")


def test_pdf_gives_each_key_equation_its_time(built: NotesOutput) -> None:
    box = _text(built.pdf)
    box = box[box.index("Key equations"):box.index("Overview")]
    assert "Identity" in box and "at 0:12" in box
    assert "Never drawn" in box and "not shown in the video" in box
    tex = built.tex.read_text(encoding="utf-8")
    assert "\\input{/etc" not in tex and "\\textbackslash{}input\\{/etc/passwd\\}" in tex


def test_chapters_and_anchor_times_are_part_of_the_notes_key() -> None:
    def key(**changes: object) -> str:
        args: dict[str, object] = {"chapters": CHAPTERS, "anchor_times": ANCHOR_TIMES, **changes}
        return notes_key(notes_key_parts(CONCEPT, "n", render_key="r" * 64, pandoc="3", page_url=None,
                                         **args))  # type: ignore[arg-type]

    base = key()
    assert key() == base
    assert key(chapters=CHAPTERS[:2]) != base
    assert key(chapters=[("Renamed", 0.0, 1.0), *CHAPTERS[1:]]) != base
    assert key(anchor_times={"x = x": 3.0, "y = 2": None}) != base
    assert key(anchor_times={"x = x": 12.4}) != base  # a time no longer known


def test_storyboard_without_chapters_is_one_group_of_six(frames: list[tuple[Path, float]]) -> None:
    assert pick_frames(frames) == frames[:6]
    plain = storyboard_tex([(p.name, t) for p, t in frames[:6]])
    assert "\\subsection" not in plain and plain.count("\\mrframe{") == 6


def test_frames_are_picked_from_every_chapter(frames: list[tuple[Path, float]]) -> None:
    picked = [t for _, t in pick_frames(frames, CHAPTERS)]
    assert picked == [0.0, 0.5, 1.0, 1.6, 2.2, 3.0, 3.7]  # three at most per chapter, each chapter shown
    many = [(f"Part {i}", float(i), float(i + 1)) for i in range(20)]
    spread = [(Path(f"f{i}.png"), i + 0.5) for i in range(20)]
    assert len(pick_frames(spread, many)) == 12


def test_tex_text_keeps_what_pdflatex_sets_and_drops_what_it_cannot() -> None:
    assert tex_text("Café — naïve → π") == "Café — naïve → π"
    assert tex_text("Fun 🎉 日本 x\n y") == "Fun x y"
    assert tex_text("a_b & c") == "a\\_b \\& c"
