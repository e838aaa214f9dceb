"""Model-style answers (tests/corpus/real/) through the check ladder, judged by expected.json.

The corpus holds scenes written the way language models write them: imports from Manim's
submodules (and `from manim.opengl import *`), several scenes in one file, ManimGL leftovers
the API lint rewrites, heavy 3D surfaces, long 2D scenes, and run-time errors placed late.
The fast tests run the static steps only (no LaTeX, no run): every "publish" and
"runtime-error" file must pass them after the automatic rewrites, and every "static-error"
file must fail at its declared step. One integration test runs `mathreel check` (with its
preflight run) on the run-time-error files and asserts the line it names.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builder.checks import check_scene, format_diagnostics
from builder.checks.contract import scene_classes
from builder.spec import scene_class_name

CORPUS = Path(__file__).parent / "corpus" / "real"
MATHREEL = Path(sys.executable).parent / "mathreel"


@dataclass(frozen=True)
class Answer:
    """One corpus file and what expected.json says about it."""

    path: Path
    title: str
    anchors: tuple[str, ...]
    styles: tuple[str, ...]
    three_d: bool
    scenes: tuple[str, ...]
    expected: dict[str, Any]

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def outcome(self) -> str:
        return str(self.expected["outcome"])

    @property
    def slug(self) -> str:
        """The concept slug a build would give it (the file name, dashed)."""
        return self.path.stem.replace("_", "-")


def load_answers() -> list[Answer]:
    """Every entry of expected.json, in file order."""
    data = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    return [Answer(CORPUS / e["file"], e["title"], tuple(a["latex"] for a in e["anchors"]),
                   tuple(e["styles"]), bool(e["three_d"]), tuple(e["scenes"]), e["expected"])
            for e in data["files"]]


ANSWERS = load_answers()
PUBLISH = [a for a in ANSWERS if a.outcome == "publish"]
RUNTIME = [a for a in ANSWERS if a.outcome == "runtime-error"]
STATIC = [a for a in ANSWERS if a.outcome == "static-error"]


def ids(answers: list[Answer]) -> list[str]:
    return [a.path.stem for a in answers]


def build_class(answer: Answer) -> str:
    """The class the build expects: the concept's (a single scene is renamed to it)."""
    return scene_class_name(answer.slug)


# -- the corpus itself ------------------------------------------------------------------------------


def test_expected_json_lists_every_file() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.py")}
    assert on_disk == {a.path.name for a in ANSWERS}


def test_corpus_covers_the_styles_models_write() -> None:
    count = {style: sum(style in a.styles for a in ANSWERS) for style in (
        "submodule-imports", "opengl-star", "multi-scene", "manimgl-leftovers", "heavy-3d",
        "runtime-error", "long-2d")}
    assert len(ANSWERS) >= 15
    assert count["submodule-imports"] >= 4 and count["opengl-star"] >= 1, count
    assert count["multi-scene"] >= 2 and count["manimgl-leftovers"] >= 3, count
    assert count["heavy-3d"] >= 4 and count["runtime-error"] >= 3 and count["long-2d"] >= 2, count
    multi = [a for a in ANSWERS if "multi-scene" in a.styles]
    assert any(a.three_d for a in multi) and any(not a.three_d for a in multi)


@pytest.mark.parametrize("answer", ANSWERS, ids=ids(ANSWERS))
def test_declared_scenes_and_anchors_match_the_file(answer: Answer) -> None:
    source = answer.source
    assert tuple(s.name for s in scene_classes(source)) == answer.scenes
    assert 40 <= len(source.splitlines()) <= 150
    for latex in answer.anchors:
        # anchors go to the model verbatim, so a faithful answer carries them verbatim
        assert latex in source, f"anchor {latex!r} is not written in {answer.path.name}"


# -- static ladder ----------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", PUBLISH + RUNTIME, ids=ids(PUBLISH + RUNTIME))
def test_answer_passes_the_static_ladder_after_fixes(answer: Answer) -> None:
    result = check_scene(answer.source, scene_class=build_class(answer), latex=False, fix=True,
                         anchors=answer.anchors)
    assert result.ok, format_diagnostics(result.diagnostics)
    if answer.expected.get("rewrites"):
        # the leftovers are the point of these files: the rewrites must have happened
        assert result.rewrites, f"{answer.path.name} was expected to need automatic rewrites"
    again = check_scene(result.source, scene_class=build_class(answer), latex=False, fix=False)
    assert again.ok, format_diagnostics(again.diagnostics)


@pytest.mark.parametrize("answer", STATIC, ids=ids(STATIC))
def test_static_error_is_caught_at_its_step(answer: Answer) -> None:
    result = check_scene(answer.source, scene_class=build_class(answer), latex=False, fix=True)
    assert not result.ok
    want = answer.expected
    hits = [d for d in result.errors
            if (d.step, d.kind, d.line) == (want["step"], want["kind"], want["line"])]
    assert hits, f"expected {want}, got:\n{format_diagnostics(result.diagnostics)}"


# -- run-time errors, for real ----------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("answer", RUNTIME, ids=lambda a: a.path.stem)
def test_mathreel_check_names_the_failing_line_of_runtime_errors(answer: Answer, tmp_path: Path) -> None:
    assert MATHREEL.exists(), f"{MATHREEL} is missing: run `make` (pip install -e .) first"
    started = time.perf_counter()
    done = subprocess.run([str(MATHREEL), "check", str(answer.path)], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    print(f"mathreel check {answer.path.name}: exit {done.returncode} in {time.perf_counter() - started:.1f} s")
    want = answer.expected
    pattern = (rf"{re.escape(answer.path.name)}:{want['line']}: \[dryrun/runtime-error\] "
               rf"{re.escape(want['exception'])}\b")
    assert done.returncode == 1 and re.search(pattern, done.stdout), (
        f"exit {done.returncode}, expected line {want['line']} ({want['exception']}):\n"
        f"{done.stdout}{done.stderr[-2000:]}")


@pytest.mark.integration
@pytest.mark.parametrize("name", ["saddle_surface_camera.py", "fourier_story_six_scenes.py"])
def test_correct_answers_run_clean_in_the_preflight(name: str, tmp_path: Path) -> None:
    """Correct answers run to the end of construct in the sandbox, guard on: a 3D surface under a
    moving camera (deep copies of linked mobjects: a guard shortcut once broke them with a
    RecursionError) and the six-scene story (each chapter in turn)."""
    from builder.checks import check_scene
    from builder.checks.dryrun import preflight_scenes
    from builder.runner import run
    from builder.video.render import scrubbed_env

    (answer,) = [a for a in PUBLISH if a.path.name == name]
    fixed = check_scene(answer.path.read_text(encoding="utf-8"), scene_class=answer.scenes[0],
                        latex=False, fix=True).source
    runs = preflight_scenes(fixed, scene_class=answer.scenes[0], runner=run, workdir=tmp_path / "work",
                            env=scrubbed_env(tmp_path / "home"), budget=240)
    assert [d.message for d in runs.errors] == []
    assert runs.finished, "construct did not finish"
