"""Issue 4 benchmark: time from a broken scene to its diagnosis, against a plain render.

    .venv/bin/python bench/bench_checks.py

For every scene of tests/corpus/broken/: the check ladder (static steps, the LaTeX
preflight, and the dry run when the static steps pass) against `manim -qm` of the
same file, which is how a user finds out without mathreel. Medians, one run.
"""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, machine, write_section
from builder.checks import check_scene, dry_run
from builder.render import scrubbed_env
from builder.runner import run

CORPUS = REPO / "tests" / "corpus" / "broken"


def scene_class(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "BrokenScene"
    names = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    return names[-1] if names else "BrokenScene"


def diagnose(source: str, cls: str, work: Path) -> float:
    started = time.perf_counter()
    result = check_scene(source, scene_class=cls, runner=run, workdir=work / "check")
    if result.ok:
        dry_run(result.source, scene_class=cls, runner=run, workdir=work / "dry",
                env=scrubbed_env(work / "home"))
    return time.perf_counter() - started


def plain_render(path: Path, cls: str, work: Path) -> float:
    (work / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "manim", "render", "-qm", "--progress_bar", "none",
                    "--media_dir", str(work / "media"), str(path), cls], cwd=work,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    return time.perf_counter() - started


def main() -> None:
    files = sorted(CORPUS.glob("*.py"))
    check_scene("from manim import *\n", scene_class="X", latex=False)  # warm the in-process import
    ratios, diags, renders = [], [], []
    for path in files:
        source = path.read_text()
        cls = scene_class(source)
        with tempfile.TemporaryDirectory() as tmp:
            d = diagnose(source, cls, Path(tmp))
        with tempfile.TemporaryDirectory() as tmp:
            r = plain_render(path, cls, Path(tmp))
        diags.append(d)
        renders.append(r)
        ratios.append(d / r)
    body = (f"Measured on {machine()}, {len(files)} broken scenes from tests/corpus/broken/.\n\n"
            "| | median s | total s |\n|---|---|---|\n"
            f"| diagnosis (checks, LaTeX preflight, dry run when needed) | {statistics.median(diags):.2f} | {sum(diags):.1f} |\n"
            f"| plain `manim -qm` of the same file | {statistics.median(renders):.2f} | {sum(renders):.1f} |\n\n"
            f"**Median per-scene ratio: {statistics.median(ratios):.1%}** of the plain render "
            f"(goal: under 15%); ratio of medians {statistics.median(diags) / statistics.median(renders):.1%}; "
            f"ratio of totals {sum(diags) / sum(renders):.1%} (the few scenes that need a dry run "
            "dominate the total: a dry run is a Manim process of its own).\n\n"
            "The plain render of a broken scene stops at the error, so this is the time to *learn* of "
            "the error either way. Scenes whose error only shows at run time pay for a dry run "
            "(Manim's import and the scene's construct without frames).")
    write_section("Check ladder: time to diagnosis", body)
    print(body)


if __name__ == "__main__":
    main()
