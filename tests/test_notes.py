"""Study-note PDFs with the real pandoc and pdflatex: title block, anchors box, numbered
equations, the storyboard with its times, prerequisites, the link back, and errors that
name the line of notes.md. TeX runs restricted: no shell escape, no reading outside."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from builder.errors import NotesError
from builder.notes_pdf import (
    NotesOutput,
    build_notes,
    format_time,
    needs_rerun,
    notes_key,
    notes_key_parts,
    pandoc_version,
)
from builder.runner import Completed, run
from builder.spec import Concept, validate_text

pytestmark = pytest.mark.integration

SPEC = r"""title: Geometric series & sums
summary: Halves that add up to a whole.
level: intro
tags: [series, analysis_1]
prompt: Fill a unit square with halves.
anchors:
  - label: The sum
    latex: '\sum_{n=0}^{\infty} r^n = \frac{1}{1-r}'
  - label: Partial sums
    latex: 'S_N = \frac{1 - r^{N+1}}{1 - r}'
prerequisites: [limits, sequences]
"""

NOTES = r"""# Overview

Each square is half of what is left, so the areas are $1/2, 1/4, 1/8, \dots$ and
π ≤ ∞ holds in prose too.

$$
S_N = \sum_{n=0}^{N} r^n
$$

Multiply by $r$ and subtract:

$$
S_N - r S_N = 1 - r^{N+1}
$$

## Two lines

$$
a = b \\
c = d
$$

$$\begin{align} x &= 1 \\ y &= 2 \end{align}$$

![a figure that must not be read](/etc/hostname)

| n | term |
|---|------|
| 0 | $1$  |

Back to [the overview](#overview).
"""

TIMES = (1.25, 3.5, 5.75, 8.0, 10.25, 62.5)
PAGE_URL = "https://example.org/gallery/concepts/geometric-series/"


@pytest.fixture(scope="module")
def tools() -> None:
    for tool in ("pandoc", "pdflatex", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make test` (scripts/setup-system.sh installs it)")


@pytest.fixture(scope="module")
def concept() -> Concept:
    found, problems = validate_text(Path("concepts/geometric-series.yaml"), SPEC)
    assert found is not None, problems
    return found


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, float]]:
    from PIL import Image, ImageDraw

    folder = tmp_path_factory.mktemp("storyboard")
    out = []
    for index, time in enumerate(TIMES, start=1):
        image = Image.new("RGB", (320, 180), (14, 17, 23))
        ImageDraw.Draw(image).rectangle((40, 40, 40 + 40 * index, 140), fill=(88, 196, 221))
        path = folder / f"frame-{index:02d}.png"
        image.save(path)
        out.append((path, time))
    return out


#: The tools the `built` fixture's compile ran, in order.
TOOLS_RUN: list[str] = []


def _recording(argv: Sequence[str], **kwargs: Any) -> Completed:
    TOOLS_RUN.append(argv[0])
    return run(argv, **kwargs)


def _build(concept: Concept, notes: str, notes_dir: Path, *, frames: Sequence[tuple[Path, float]] = (),
           page_url: str | None = PAGE_URL, titles: dict[str, str] | None = None,
           runner: Any = run) -> NotesOutput:
    parts = notes_key_parts(concept, notes, render_key="r" * 64, pandoc=pandoc_version(),
                            page_url=page_url, titles=titles)
    return build_notes(concept, notes, parts=parts, notes_dir=notes_dir, poster=None, storyboard=frames,
                       titles=titles, page_url=page_url, generator="anchor_template #1", runner=runner)


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def built(tools: None, concept: Concept, frames: list[tuple[Path, float]],
          tmp_path_factory: pytest.TempPathFactory) -> NotesOutput:
    titles = {"limits": "Limits of sequences", "sequences": "Sequences"}
    TOOLS_RUN.clear()
    return _build(concept, NOTES, tmp_path_factory.mktemp("notes"), frames=frames, titles=titles,
                  runner=_recording)


def test_notes_compile_in_one_pdflatex_run(built: NotesOutput) -> None:
    # pandoc labels every heading, so LaTeX asks for a second run; nothing reads those labels
    # (the internal link is a hyperlink to its heading's target), so there is none.
    assert TOOLS_RUN == ["pandoc", "pdflatex"]
    assert "\\hyperlink{overview}" in built.tex.read_text()
    assert "Back to the overview." in _text(built.pdf)


@pytest.mark.parametrize(("log_text", "tex", "again"), [
    ("Output written on notes.pdf (2 pages, 5 bytes).", "\\section{A}\\label{a}", False),
    ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
     "\\section{A}\\label{a} \\hyperlink{a}{back}", False),
    ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
     "\\section{A}\\label{a} see page \\pageref{a}", True),
    ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
     "\\tableofcontents \\section{A}", True),
    ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
     "\\hyperref[a]{the start}", True),
    ("Package rerunfilecheck Warning: File `notes.out' has changed.\n(rerunfilecheck) Rerun to get "
     "outlines right", "\\section{A}", True),
])
def test_a_second_run_only_when_the_document_reads_it_back(log_text: str, tex: str, again: bool) -> None:
    assert needs_rerun(log_text, tex) is again


def test_pdf_has_title_block_anchors_and_numbered_equations(built: NotesOutput) -> None:
    assert built.pdf.read_bytes()[:5] == b"%PDF-"
    assert built.pages >= 1
    text = _text(built.pdf)
    assert "Geometric series & sums" in text
    assert "Halves that add up to a whole." in text
    assert "intro" in text and "analysis_1" in text
    assert "Key equations" in text and "The sum" in text and "Partial sums" in text
    for number in ("(1)", "(2)", "(3)", "(4)", "(5)"):
        assert number in text, f"display equation {number} is numbered"
    assert "(6)" not in text, "the gathered lines share one number; align numbers its two lines"


def test_pdf_has_storyboard_with_times(built: NotesOutput) -> None:
    text = _text(built.pdf)
    assert "Storyboard" in text
    for time in TIMES:
        assert format_time(time) in text
    assert "1:02.5" in text, "minutes past the first"
    assert sorted(p.name for p in built.folder.glob("frame-*.png")) == [f"frame-0{i}.png" for i in range(1, 7)]


def test_pdf_has_prerequisites_and_link_back(built: NotesOutput) -> None:
    text = _text(built.pdf)
    assert "Prerequisites" in text
    assert "Limits of sequences" in text and "Sequences" in text
    assert PAGE_URL in text.replace("\n", "")
    tex = built.tex.read_text()
    assert f"\\href{{{PAGE_URL}}}" in tex
    assert "anchor\\_template \\#1" in tex, "variables are escaped for TeX"


def test_images_are_not_read(built: NotesOutput) -> None:
    tex = built.tex.read_text()
    assert "/etc/hostname" not in tex
    assert "[a figure that must not be read]" in _text(built.pdf)


def test_latex_error_names_the_notes_line(tools: None, concept: Concept, tmp_path: Path) -> None:
    notes = "## Intro\n\nSome words.\n\n$$\nx = \\frac{1}{2} \\notamacro y\n$$\n"
    with pytest.raises(NotesError) as caught:
        _build(concept, notes, tmp_path)
    message = str(caught.value)
    assert "notes.md line 6" in message
    assert "Undefined control sequence" in message
    assert "scenes/geometric-series/notes.md" in message
    assert not list(tmp_path.glob("*/notes.pdf")), "nothing is published for a failed compile"


def test_tex_is_restricted(tools: None, concept: Concept, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    notes = (f"Shell: $\\immediate\\write18{{touch {marker}}}$\n\n"
             "Read: $\\input{/etc/passwd}$\n")
    try:
        output = _build(concept, notes, tmp_path / "out", page_url=None)
    except NotesError as exc:
        assert "passwd" in str(exc) or "LaTeX" in str(exc)
    else:
        assert "root:" not in _text(output.pdf)
    assert not marker.exists(), "shell escape is off"


#: The inputs of a notes key, and changes that alter the PDF: each must give a new key. Written
#: out here (not read back from notes_key_parts), so an input the key forgets shows up.
KEY_INPUTS: dict[str, Any] = {"spec": SPEC, "notes": NOTES, "render_key": "a" * 64, "pandoc": "2.17",
                              "page_url": None, "titles": None}
KEY_CHANGES = [
    ("render_key", "b" * 64),
    ("pandoc", "3.1.3"),
    ("page_url", PAGE_URL),
    ("titles", {"limits": "Limits"}),
    ("notes", NOTES + " "),
    ("spec", SPEC.replace("title: Geometric series & sums", "title: Geometric sums")),
    ("spec", SPEC.replace("summary: Halves that add up to a whole.", "summary: Halves.")),
    ("spec", SPEC.replace("level: intro", "level: graduate")),
    ("spec", SPEC.replace("tags: [series, analysis_1]", "tags: [series]")),
    ("spec", SPEC.replace("label: The sum", "label: The total")),
    ("spec", SPEC.replace("prerequisites: [limits, sequences]", "prerequisites: [limits]")),
]


def _notes_key(inputs: dict[str, Any]) -> str:
    found, problems = validate_text(Path("concepts/geometric-series.yaml"), inputs["spec"])
    assert found is not None, problems
    return notes_key(notes_key_parts(found, inputs["notes"], render_key=inputs["render_key"],
                                     pandoc=inputs["pandoc"], page_url=inputs["page_url"],
                                     titles=inputs["titles"]))


@pytest.mark.parametrize(("name", "value"), KEY_CHANGES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(KEY_CHANGES)])
def test_key_changes_with_each_input(name: str, value: object) -> None:
    assert value != KEY_INPUTS[name]
    changed = {**KEY_INPUTS, name: value}
    assert _notes_key(changed) == _notes_key(dict(changed)), "the same input, the same key"
    assert _notes_key(changed) != _notes_key(KEY_INPUTS)


def test_key_has_the_template_and_no_paths(concept: Concept) -> None:
    parts = notes_key_parts(concept, NOTES, render_key="a" * 64, pandoc="2.17", page_url=None)
    assert "/" not in str(parts["template"]) and len(parts["template"]) == 64


def test_format_time() -> None:
    assert format_time(0) == "0:00.0"
    assert format_time(1.25) in ("0:01.2", "0:01.3")
    assert format_time(62.5) == "1:02.5"


# -- the notes format: the template's fixed preamble, dumped once per machine -------------------


@pytest.fixture
def formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """notes_format() building into this test's own cache folder (and forgetting it after)."""
    from builder.video import texformat

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    forget = texformat.notes_format.cache_clear  # the test may patch notes_format itself
    forget()
    yield texformat
    forget()


def _flags(argvs: list[Sequence[str]]) -> list[list[str]]:
    return [[a for a in argv if a.startswith("-fmt=")] for argv in argvs if argv[0] == "pdflatex"]


def test_notes_load_the_format_and_come_out_as_without_it(
        concept: Concept, frames: list[tuple[Path, float]], tmp_path: Path, formats: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.notes_pdf

    argvs: list[Sequence[str]] = []

    def recording(argv: Sequence[str], **kwargs: Any) -> Completed:
        argvs.append(list(argv))
        return run(argv, **kwargs)

    with_format = _build(concept, NOTES, tmp_path / "with", frames=frames, runner=recording)
    fmt = formats.notes_format(builder.notes_pdf.notes_preamble())
    assert fmt is not None and fmt.is_relative_to(tmp_path / "cache")
    assert _flags(argvs) == [[f"-fmt={fmt}"]]  # one run, with the format

    argvs.clear()
    monkeypatch.setattr(builder.notes_pdf, "_format_for", lambda tex: None)
    without = _build(concept, NOTES, tmp_path / "without", frames=frames, runner=recording)
    assert _flags(argvs) == [[]]
    assert _text(with_format.pdf) == _text(without.pdf)
    assert with_format.pages == without.pages


def test_a_format_that_fails_is_passed_over_and_another_preamble_never_loads_it(
        concept: Concept, tmp_path: Path, formats: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.notes_pdf

    preamble = builder.notes_pdf.notes_preamble()
    assert "\\usepackage" in preamble and "$" not in preamble  # no template variable is dumped

    # A format whose dumped state prints a word on every page: the notes show it, so the run
    # loaded the format (only the host ever writes one).
    (tmp_path / "poisoned").mkdir()
    poisoned = formats.dump_format(tmp_path / "poisoned", "notes-test",
                                   preamble + "\\AtBeginDocument{POISONEDSTATE}\n", "pdflatex")
    monkeypatch.setattr(formats, "notes_format", lambda text: poisoned)
    assert "POISONEDSTATE" in _text(_build(concept, NOTES, tmp_path / "a").pdf)

    # A format pdflatex cannot load (a torn file): the notes compile without it.
    broken = tmp_path / "broken.fmt"
    broken.write_bytes(b"not a format")
    monkeypatch.setattr(formats, "notes_format", lambda text: broken)
    assert "Back to the overview." in _text(_build(concept, NOTES, tmp_path / "b").pdf)

    # A notes.tex whose preamble is not the dumped one (another template) compiles without it.
    monkeypatch.setattr(formats, "notes_format", lambda text: poisoned)
    monkeypatch.setattr(builder.notes_pdf, "notes_preamble", lambda: preamble + "% another\n")
    assert "POISONEDSTATE" not in _text(_build(concept, NOTES, tmp_path / "c").pdf)
