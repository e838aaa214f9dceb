"""Real model answers through the whole build: published as written, and how fast the first time.

The answers are the "publish" files of tests/corpus/real/ (model-style scenes: submodule
imports, several scenes in one file, ManimGL leftovers the API lint rewrites, heavy 3D
surfaces under a moving camera, long 2D scenes). Each is one concept, with the title and
anchors tests/corpus/real/expected.json gives it, and the test model server of
tests/modelserver.py (a real OpenAI-compatible HTTP server on 127.0.0.1, reached through
MATHREEL_BASE_URL, MATHREEL_MODEL and MATHREEL_API_KEY) answers every request for it with that
same file, repair requests included: the model cannot repair anything, so a concept is
published from the model's own code or not at all.

real-answers   `mathreel build --no-site -q l --only SLUG` per answer; counted as published
               from the model's own code when the concept's status is built, its meta.json
               says provenance model and one attempt. Per file: outcome and stage timings.
first-build    per answer, a fresh project and `mathreel build --only SLUG -q l` (answer
               served, checks, render, notes, site) against a plain Cairo
               `python -m manim render -ql --disable_caching FILE Scene` of the same scene(s),
               both cold; 2D and 3D reported apart, with the renderer mathreel chose.

Both are in the full set only (they render every answer). A smoke run on one file prints
its result instead of saving it:

    .venv/bin/python -m bench.bench_answers real-answers --file vector_addition_submodules.py
    .venv/bin/python -m bench.bench_answers first-build --file vector_addition_submodules.py

The projects are made under bench/output/answers/, a folder like any user's gallery;
BENCH_ANSWERS_DIR moves them (a build's work folders then lie there too).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    ENV,
    MANIM_CFG,
    OUTPUT,
    PY,
    REPO,
    Result,
    api_mirror_note,
    command_line,
    figure,
    make_gallery,
    new_result,
    wall,
)

REAL = REPO / "tests" / "corpus" / "real"
MATHREEL = str(Path(PY).parent / "mathreel")
#: Where the benchmark's projects are made: a gallery where a user keeps one (bench/output/),
#: unless BENCH_ANSWERS_DIR names another folder.
WORK = Path(os.environ.get("BENCH_ANSWERS_DIR") or OUTPUT / "answers")
#: Longest one build or one plain render may take (the heavy 3D answers under Cairo).
TIMEOUT_S = 1800


@dataclass(frozen=True)
class Answer:
    """One publish file of the corpus, as a concept."""

    file: str
    title: str
    anchors: tuple[tuple[str, str], ...]  #: (label, latex)
    three_d: bool
    scenes: tuple[str, ...]

    @property
    def path(self) -> Path:
        return REAL / self.file

    @property
    def slug(self) -> str:
        return Path(self.file).stem.replace("_", "-")


def publish_answers(only: tuple[str, ...] = ()) -> list[Answer]:
    """The publish files of expected.json (only those named in `only`, when given)."""
    data = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))
    out = [Answer(e["file"], e["title"], tuple((a["label"], a["latex"]) for a in e["anchors"]),
                  bool(e["three_d"]), tuple(e["scenes"]))
           for e in data["files"] if e["expected"]["outcome"] == "publish"]
    if only:
        unknown = set(only) - {a.file for a in out}
        if unknown:
            raise SystemExit(f"not a publish file of {REAL / 'expected.json'}: {', '.join(sorted(unknown))}")
        out = [a for a in out if a.file in only]
    return out


def concept_yaml(answer: Answer) -> str:
    """The concept spec: its title and anchors from expected.json (JSON strings are YAML)."""
    anchors = "".join(f"  - label: {json.dumps(label)}\n    latex: {json.dumps(latex)}\n"
                      for label, latex in answer.anchors)
    return (f"title: {json.dumps(answer.title)}\n"
            "summary: A model-style answer of tests/corpus/real, for the answer benchmarks.\n"
            "level: undergraduate\n"
            f"prompt: {json.dumps('Animate ' + answer.title + ' and show the anchors.')}\n"
            f"anchors:\n{anchors}"
            f"scene:\n  three_d: {'true' if answer.three_d else 'false'}\n")


def model_answer(answer: Answer) -> str:
    """What the scripted model says: the file as its scene, and notes that use every anchor."""
    notes = [f"# {answer.title}", "", "Study notes written with the scene.", ""]
    for label, latex in answer.anchors:
        notes += [f"**{label}.**", "", "$$", latex, "$$", ""]
    return (f"```python\n{answer.path.read_text(encoding='utf-8')}```\n\n"
            "````markdown\n" + "\n".join(notes) + "````\n")


@contextmanager
def model_server() -> Iterator[Any]:
    """The test model server of tests/modelserver.py, started for the block."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from modelserver import running_model_server

    with running_model_server() as server:
        yield server


def serve(server: Any, answer: Answer) -> None:
    """Script the same answer for every request from now on (so no repair can change it)."""
    from modelserver import ok

    server.reset()
    server.default = ok(model_answer(answer), chunk_size=4096)


def model_env(base_url: str) -> dict[str, str]:
    """The build's environment: the repo's bench environment, pointed at the test server."""
    return {**ENV, "MATHREEL_BASE_URL": base_url, "MATHREEL_MODEL": "test-model",
            "MATHREEL_API_KEY": "bench-not-a-real-key"}


def project(dest: Path, answers: list[Answer]) -> Path:
    """A fresh online gallery with one concept per answer and no scene yet."""
    root = make_gallery(dest, 0, offline=False)
    for answer in answers:
        (root / "concepts" / f"{answer.slug}.yaml").write_text(concept_yaml(answer), encoding="utf-8")
    return root


def timed_build(argv: list[str], root: Path, env: dict[str, str]) -> tuple[float, int, dict[str, float], str]:
    """Run a build; (wall seconds, exit status, seconds from its start to each `== stage`, stderr tail)."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    tail: list[str] = []
    proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        tail = [*tail[-39:], line]
        if line.startswith("== "):
            marks.setdefault(line[3:].split()[0], round(time.perf_counter() - started, 3))
    rc = proc.wait(timeout=TIMEOUT_S)
    return time.perf_counter() - started, rc, marks, "".join(tail)


def concept_facts(root: Path, slug: str) -> dict[str, Any]:
    """What the build recorded for one concept: status, provenance, attempts, timings, renderer."""
    from builder.record import load_build_record, read_meta

    item = load_build_record(root / ".cache" / "build" / "report.json").concepts.get(slug)
    meta = read_meta(root / "scenes" / slug)
    attempts = meta.get("attempts") or []
    first = attempts[0] if attempts else {}
    render = item.render if item else None
    return {
        "status": item.status if item else None,
        "error": ((item.error if item else None) or "").splitlines()[:1],
        "provenance": meta.get("provenance"), "attempts": len(attempts),
        "rewrites": len(meta.get("rewrites") or []),
        "model s": first.get("model_seconds"), "check s": first.get("check_seconds"),
        "render s": render.seconds if render else None,
        "video s": render.duration if render else None,
        "renderer": render.renderer.renderer if render else None,
        "renderer why": render.renderer.why if render else None,
    }


def own_code(facts: dict[str, Any]) -> bool:
    """Published from the model's own code: built, provenance model, a single attempt."""
    return facts["status"] == "built" and facts["provenance"] == "model" and facts["attempts"] == 1


# -- (a) real answers --------------------------------------------------------------------------------


def real_answers(*, quick: bool, only: tuple[str, ...] = ()) -> Result:
    """Every publish answer built once, served unchanged for every request; share published as is."""
    answers = publish_answers(only)
    build = [MATHREEL, "build", "--no-site", "-q", "l"]
    result = new_result("real-answers", command="", quick=quick,
                        scope=f"{len(answers)} publish answers of tests/corpus/real/, one concept each, "
                              "one build each; the model server repeats the same answer to every request")
    result["notes"].append(api_mirror_note())
    rows: list[dict[str, Any]] = []
    with model_server() as server:
        root = project(WORK / "real", answers)
        env = model_env(server.base_url)
        for answer in answers:
            serve(server, answer)
            seconds, rc, marks, tail = timed_build([*build, "--only", answer.slug], root, env)
            facts = concept_facts(root, answer.slug)
            rows.append({"file": answer.file, "3D": answer.three_d, "scenes": len(answer.scenes),
                         "published as written": own_code(facts), "status": facts["status"],
                         "attempts": facts["attempts"], "rewrites": facts["rewrites"],
                         "requests": server.request_count, "build s": round(seconds, 2),
                         "generate stage s": marks.get("render"), "model s": facts["model s"],
                         "check s": facts["check s"], "render s": facts["render s"],
                         "renderer": facts["renderer"], "exit": rc,
                         "error": (facts["error"] or [""])[0] or ("" if rc == 0 else tail.strip()[-300:])})
    published = [100.0 * bool(r["published as written"]) for r in rows]
    result["figures"].append(figure(
        "published from the model's own code", [statistics.fmean(published)], unit="%",
        baseline="every publish answer (no model repair possible)", goal=(">=", 100.0),
        command=command_line([*build, "--only", "SLUG"]),
        note="" if all(published) else "answers not published as written: " + ", ".join(
            r["file"] for r in rows if not r["published as written"])))
    result["figures"].append(figure(
        "build seconds per answer (generate, checks, render, notes)", [float(r["build s"]) for r in rows],
        unit="s", baseline="-", across="files"))
    result["tables"].append({"title": "Per answer", "columns": list(rows[0]), "rows": rows})
    result["notes"].append(
        "`generate stage s` is the time from the build's start to its render stage (the answer "
        "served, the static checks and rewrites, the LaTeX preflight, the preflight run); `model s` "
        "and `check s` are meta.json's first attempt; `render s` is the build report's render time. "
        "Published as written: status built, provenance model, one attempt (rewrites allowed).")
    return result


# -- (b) first build ---------------------------------------------------------------------------------


def plain_render(answer: Answer, published: Path | None = None) -> float:
    """A cold plain Cairo render of the answer's scene(s) at -ql, in its own fresh folder.

    `published` is the scene as mathreel stored it (the model's code after the builder's
    automatic rewrites): plain Manim cannot run ManimGL leftovers, so both sides render the
    same code.
    """
    source = published if published is not None and published.is_file() else answer.path
    scene_class = answer.scenes[0]
    meta = source.parent / "meta.json"
    if published is not None and meta.is_file():
        scene_class = str(json.loads(meta.read_text()).get("scene_class") or scene_class)
    with tempfile.TemporaryDirectory(prefix="bench-answer-manim-") as tmp:
        (Path(tmp) / "manim.cfg").write_text(MANIM_CFG)
        which = ["-a"] if len(answer.scenes) > 1 else [scene_class]
        seconds, _ = wall([PY, "-m", "manim", "render", "-ql", "--disable_caching", "--progress_bar", "none",
                           "--media_dir", str(Path(tmp) / "media"), str(source), *which],
                          Path(tmp), timeout=TIMEOUT_S)
    return seconds


def first_build(*, quick: bool, only: tuple[str, ...] = ()) -> Result:
    """Each answer's first build (fresh project, site included) against a plain -ql render."""
    answers = publish_answers(only)
    build = [MATHREEL, "build", "-q", "l"]
    result = new_result("first-build", command="", quick=quick,
                        scope=f"{len(answers)} publish answers of tests/corpus/real/ "
                              f"({sum(a.three_d for a in answers)} 3D), one cold run per side each")
    result["notes"].append(api_mirror_note())
    rows: list[dict[str, Any]] = []
    with model_server() as server:
        env = model_env(server.base_url)
        for answer in answers:
            serve(server, answer)
            root = project(WORK / "first" / answer.slug, [answer])
            ours, rc, marks, tail = timed_build([*build, "--only", answer.slug], root, env)
            facts = concept_facts(root, answer.slug)
            plain = plain_render(answer, root / "scenes" / answer.slug / "scene.py")
            rows.append({"file": answer.file, "3D": answer.three_d, "scenes": len(answer.scenes),
                         "mathreel build s": round(ours, 2), "manim -ql s": round(plain, 2),
                         "ratio": round(ours / plain, 4), "generate stage s": marks.get("render"),
                         "render s": facts["render s"], "site stage from s": marks.get("site"),
                         "renderer": facts["renderer"], "renderer why": facts["renderer why"],
                         "published as written": own_code(facts), "exit": rc,
                         "error": (facts["error"] or [""])[0] or ("" if rc == 0 else tail.strip()[-300:])})
            if rc == 0:
                shutil.rmtree(root, ignore_errors=True)  # a failed one stays, to be looked at
    command = command_line([*build, "--only", "SLUG"])
    baseline = "cold `python -m manim render -ql --disable_caching FILE Scene` (Cairo; `-a` for several scenes)"
    # A build that did not publish the answer as written timed something else (a repair, the
    # anchor template standing in): its row stays in the table, out of the figures.
    timed = [r for r in rows if r["published as written"]]
    for label, three_d, goal in (("2D answers", False, 1.2), ("3D answers", True, 0.7)):
        part = [r for r in timed if r["3D"] is three_d]
        if not part:
            continue
        ratios = [float(r["ratio"]) for r in part]
        renderers = sorted({str(r["renderer"]) for r in part})
        result["figures"].append(figure(
            f"{label} ({len(part)}): first build / plain render, median", ratios, unit="x",
            baseline=baseline, goal=("<=", goal), command=command, across="files",
            parts={"mathreel build": [float(r["mathreel build s"]) for r in part],
                   "manim -ql": [float(r["manim -ql s"]) for r in part]},
            note=f"renderer(s) mathreel chose: {', '.join(renderers)}"
                 + ("" if statistics.median(ratios) <= goal else
                    "; on the way to the page the build also pays the answer's safety check (the "
                    "host imports Manim for it; the render child loads Manim meanwhile and starts "
                    "drawing once it passes, beside the API and LaTeX checks and the preflight "
                    "run, which share the two cores with it), the poster, preview and storyboard, "
                    "the notes PDF and the site")))
    if len(timed) < len(rows):
        result["notes"].append("Not in the figures (not published as written; see `error`): "
                               + ", ".join(r["file"] for r in rows if not r["published as written"]) + ".")
    if 0 < sum(r["3D"] for r in timed) < 4:
        result["notes"].append("Fewer than four 3D answers were measured: the 3D goal needs four.")
    result["tables"].append({"title": "Per answer", "columns": list(rows[0]), "rows": rows})
    result["notes"].append(
        "The build is `mathreel build --only SLUG -q l` in a fresh project with only that concept: "
        "the scripted answer, the checks, the render (renderer as mathreel chooses it, recorded "
        "from .cache/build/report.json), the notes PDF and the site. `site stage from s` is when "
        "the site stage began, seconds from the build's start.")
    return result


# -- smoke runs --------------------------------------------------------------------------------------

BENCHES: dict[str, Callable[..., Result]] = {"real-answers": real_answers, "first-build": first_build}


def main(argv: list[str] | None = None) -> int:
    """A smoke run on the named files: the result is printed, never saved to bench/results/."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_answers", description=main.__doc__)
    parser.add_argument("bench", choices=sorted(BENCHES))
    parser.add_argument("--file", action="append", required=True, metavar="NAME",
                        help="a publish file of tests/corpus/real (repeatable)")
    args = parser.parse_args(argv)
    result = BENCHES[args.bench](quick=False, only=tuple(args.file))
    result["smoke"] = True
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
