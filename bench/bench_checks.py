"""Time from a broken scene to its diagnosis: a cold `mathreel check` against a plain render.

For every scene of tests/corpus/broken/, both sides are cold subprocesses in fresh folders
(no warm import, no TeX cache of formulas): `mathreel check FILE` (the static checks, the LaTeX preflight
and the cheap preflight run of the scene) against `python -m manim render -ql FILE Scene`,
which is how a user finds out without mathreel: it runs until it fails (or, for the silent
mistakes, renders to the end). Reported: the median of the per-file ratios and the ratio of
the totals, for the whole corpus and for the files whose error only shows at run time.

The run-time-error answers of tests/corpus/real/ (model-style scenes that fail late, after a
long stretch of valid animation, as tests/corpus/real/expected.json declares) are measured the
same way and reported as a third set of their own.

What a check keeps per installation is in place before the clock starts, as on a user's
machine after the first check: the API mirror the static checks read instead of importing
Manim (builder/checks/world.py, recorded once per installation), and the TeX formats. The
time to record the mirror is reported beside the figures.

    .venv/bin/python -m bench --only diagnosis                       # measured, saved
    .venv/bin/python -m bench.bench_checks --file heat_rod_manimcolor_tuple.py   # smoke: printed only
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import MANIM_CFG, PY, REPO, Result, api_mirror_note, figure, new_result, wall

CORPUS = REPO / "tests" / "corpus" / "broken"
REAL = REPO / "tests" / "corpus" / "real"
MATHREEL = str(Path(PY).parent / "mathreel")
#: The quick subset: one file per kind of failure, the run-time one included.
QUICK = ("syntax_missing_colon.py", "api_show_creation.py", "latex_undefined_command.py",
         "dryrun_zero_division.py")
#: The quick subset of the model-style answers: the one whose plain render fails soonest.
QUICK_REAL = ("eigenvectors_arrow_kwarg.py",)


def expected_step(source: str) -> str:
    """The step the corpus file says its error belongs to (`# expect: step=...`)."""
    found = re.search(r"^# expect: step=(\S+)", source, re.M)
    return found.group(1) if found else "?"


def scene_class(source: str) -> str:
    """The last `class X(...)` of the file: what `mathreel check FILE` expects by default."""
    names = re.findall(r"^class (\w+)\s*[(:]", source, re.M)
    return names[-1] if names else "BrokenScene"


def real_runtime_errors() -> dict[str, str]:
    """The run-time-error answers of tests/corpus/real/: file name -> the scene that fails."""
    data = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))
    # `mathreel check FILE` expects the file's last scene; a plain render must name the same one
    return {e["file"]: e["scenes"][-1] for e in data["files"]
            if e["expected"]["outcome"] == "runtime-error"}


def measure(path: Path, *, step: str | None = None, scene: str | None = None,
            corpus: str = "broken") -> dict[str, object]:
    """Both sides for one file, each in its own fresh folder."""
    source = path.read_text()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        ours, ours_rc = wall([MATHREEL, "check", str(path)], Path(tmp), check=False, timeout=900)
    with tempfile.TemporaryDirectory(prefix="bench-manim-") as tmp:
        (Path(tmp) / "manim.cfg").write_text(MANIM_CFG)
        plain, plain_rc = wall([PY, "-m", "manim", "render", "-ql", "--progress_bar", "none",
                                "--media_dir", str(Path(tmp) / "media"), str(path),
                                scene or scene_class(source)],
                               Path(tmp), check=False, timeout=900)
    return {"file": path.name, "corpus": corpus, "step": step or expected_step(source),
            "mathreel check s": round(ours, 3),
            "exit": ours_rc, "manim -ql s": round(plain, 3), "manim exit": plain_rc,
            "ratio": round(ours / plain, 4)}


def _figures(rows: list[dict[str, object]], what: str) -> list[dict[str, object]]:
    ours = [float(r["mathreel check s"]) for r in rows]  # type: ignore[arg-type]
    plain = [float(r["manim -ql s"]) for r in rows]  # type: ignore[arg-type]
    ratios = [float(r["ratio"]) for r in rows]  # type: ignore[arg-type]
    baseline = "cold `python -m manim render -ql FILE Scene`, run until it fails"
    note = ("files the static steps reject cost Python, the builder's imports and the API mirror "
            "(about 0.1 s); a LaTeX error costs a latex run, and a file whose problems are all "
            "fixable also gets the preflight of its fixed scene (a child that imports Manim), as "
            "does a run-time error: on files a plain render rejects within a second, those cannot be small")
    return [
        figure(f"{what}: median of per-file ratios", ratios, unit="x", baseline=baseline,
               goal=("<=", 0.15), command="mathreel check FILE", across="files",
               note=note if statistics.median(ratios) > 0.15 else ""),
        # The ratio of totals is one number from one set of runs, not a sample of ratios.
        figure(f"{what}: ratio of totals", [sum(ours) / sum(plain)], unit="x", baseline=baseline,
               goal=("<=", 0.15), command="mathreel check FILE",
               parts={"mathreel check (sum over files)": [sum(ours)],
                      "manim render -ql (sum over files)": [sum(plain)]},
               note="the files whose error shows only at run time dominate the total: the check "
                    "runs the scene too" if sum(ours) / sum(plain) > 0.15 else ""),
    ]


def diagnosis(*, quick: bool, only: tuple[str, ...] = ()) -> Result:
    """Every broken file and every run-time-error answer (or the quick five), both sides cold.

    `only` (file names) limits the run to those files, for a smoke run of the benchmark.
    """
    real_errors = real_runtime_errors()
    files = [CORPUS / name for name in QUICK] if quick else sorted(CORPUS.glob("*.py"))
    real = [REAL / name for name in (QUICK_REAL if quick else sorted(real_errors))]
    if only:
        files = [f for f in sorted(CORPUS.glob("*.py")) if f.name in only]
        real = [REAL / name for name in sorted(real_errors) if name in only]
    total = len(list(CORPUS.glob("*.py")))
    result = new_result("diagnosis", command="", quick=quick,
                        scope=f"{len(files)} of the {total} broken files of tests/corpus/broken/ and "
                              f"{len(real)} of the {len(real_errors)} run-time-error answers of "
                              "tests/corpus/real/, one run each")
    result["notes"].append(api_mirror_note())
    rows = [measure(path) for path in files]
    rows += [measure(path, step="dryrun", scene=real_errors[path.name], corpus="real") for path in real]
    runtime = [r for r in rows if r["step"] == "dryrun"]
    # the same with the files a static step finds first: every error a plain render meets only
    # at run time, however mathreel finds it (the subset's membership before the lint found some)
    seen_early = found_early()
    at_run_time = [r for r in rows if r["step"] == "dryrun" or r["file"] in seen_early]
    answers = [r for r in rows if r["corpus"] == "real"]
    result["figures"] += _figures(rows, f"all files ({len(rows)})")
    if runtime:
        result["figures"] += _figures(runtime, f"run-time errors only ({len(runtime)} "
                                               f"file{'s' * (len(runtime) != 1)})")
    if len(at_run_time) > len(runtime):
        result["figures"] += _figures(at_run_time, f"errors a plain render meets at run time, however found "
                                                   f"({len(at_run_time)} files)")
    if answers:
        result["figures"] += _figures(answers, f"model-style answers failing late ({len(answers)} "
                                               f"file{'s' * (len(answers) != 1)}, tests/corpus/real)")
    result["tables"].append({"title": "Per file", "columns": list(rows[0]), "rows": rows})
    result["notes"].append(
        "`exit` is mathreel check's exit status (1: it found something); `manim exit` 0 means the "
        "plain render did not fail at all (a silent mistake such as a non-raw `\\frac`, or an old "
        "name Manim still accepts), so the user learns of it only by watching the video.")
    result["notes"].append(
        "The tests/corpus/real rows are model-style answers whose error comes late, after a long "
        "stretch of valid animation (a 6-element ManimColor, `None - float` from a layout call on a "
        "helper's missing return, an unknown keyword hidden in a style dict): a plain render draws "
        "every frame before it; the check's preflight skips animations to their end states.")
    early = sorted(r["file"] for r in rows if r["file"] in seen_early)
    if early:
        result["notes"].append(
            f"The run-time-error subset is what only running finds (`step=dryrun`). {len(early)} files "
            f"whose error a plain render meets only at run time are found by a static step first "
            f"(`preflight=` in their header: {', '.join(early)}), so they count with the static "
            "files. Until the API lint learned to name a method a class lacks, a call missing an "
            "argument and a formula part past the end, they were run-time-error files (dryrun_*.py), "
            "and their check cost about what a plain render does, mostly Manim's import.")
    return result


def found_early() -> frozenset[str]:
    """Broken files a static step finds though their error shows at run time (`preflight=` header)."""
    return frozenset(p.name for p in CORPUS.glob("*.py")
                     if re.search(r"^# expect: .*\bpreflight=\S+", p.read_text(), re.M))


def main(argv: list[str] | None = None) -> int:
    """A smoke run on the named files: the result is printed, never saved to bench/results/."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_checks", description=main.__doc__)
    parser.add_argument("--file", action="append", required=True, metavar="NAME",
                        help="a file name of tests/corpus/broken or tests/corpus/real (repeatable)")
    args = parser.parse_args(argv)
    result = diagnosis(quick=False, only=tuple(args.file))
    result["smoke"] = True
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
