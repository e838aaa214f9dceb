"""bench/RESULTS.md is rendered from bench/results/*.json, never typed in.

Cheap: no benchmark runs here, only the renderer (bench/report.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
# bench/ is a package of the repository, not of the installed project: `pytest` run from
# anywhere (not only `python -m pytest` in the root) must find it.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import report  # noqa: E402
from bench.common import figure  # noqa: E402
from bench.registry import BENCHMARKS  # noqa: E402


def test_committed_results_md_is_what_the_json_renders() -> None:
    rendered = report.render(report.load_results(REPO / "bench" / "results"))
    committed = (REPO / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    assert committed == rendered, (
        "bench/RESULTS.md differs from what bench/results/*.json renders: it was edited by hand "
        "or the JSON changed without re-rendering. Run `python -m bench.report` (re-renders "
        "without measuring) and commit both.")


def _result(name: str, figures: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "command": f"python -m bench --only {name}", "scope": "synthetic",
            "quick": False, "date": "2025-01-02",
            "machine": {"cores": 2, "cpu": "Test CPU", "python": "3.11.7"},
            "figures": figures, "tables": [], "notes": [], **extra}


def _section(text: str, title: str) -> str:
    start = text.index(f". {title}\n")
    end = text.find("\n## ", start)
    return text[start: end if end > 0 else None]


def test_met_missed_and_within_noise_wording() -> None:
    met = figure("fast", [0.5, 0.6, 0.7], unit="x", baseline="slow thing", goal=("<=", 0.8))
    missed = figure("slow", [0.4, 0.41, 0.45], unit="x", baseline="plain render", goal=("<=", 0.15),
                    note="a cold process pays its imports")
    noisy = figure("no-op", [0.9, 1.1, 1.0, 0.95, 1.05], unit="x", baseline="mkdocs", goal=("<=", 1.3))
    text = report.render({"noop": _result("noop", [met, missed, noisy])})
    section = _section(text, "No-op rebuild")
    assert "| fast | 0.60x | 0.50x..0.70x | 3 | slow thing | <= 0.80x | MET |" in section
    assert "| slow | 0.41x | 0.40x..0.45x | 3 | plain render | <= 0.15x | **MISSED** |" in section
    assert "| no-op | 1.00x | 0.90x..1.10x | 5 | mkdocs | <= 1.30x | MET, within noise |" in section
    assert "- MISSED: slow: a cold process pays its imports" in section
    assert "Measured 2025-01-02 on 2 cores (Test CPU), Python 3.11.7" in section
    assert "`python -m bench --only noop`" in section
    # The summary lists every goal, and names what is not measured.
    assert "| No-op rebuild | slow | 0.41x | <= 0.15x | **MISSED** |" in text
    assert "| Cold render | - | - | - | not measured yet |" in text


def test_unmeasured_sections_say_so_and_single_runs_have_no_spread() -> None:
    single = figure("once", [2.0], unit="s", baseline="-", goal=(">=", 1.0))
    text = report.render({"scale": _result("scale", [single])})
    for bench in BENCHMARKS:
        section = _section(text, bench.title)
        if bench.name == "scale":
            assert "| once | 2.00 s | single run | 1 | - | >= 1.00 s | MET |" in section
        else:
            assert report.NOT_MEASURED in section


def test_ratio_whose_runs_sit_on_one_side_of_one_is_not_noise() -> None:
    fig = figure("r", [1.1, 1.2], unit="x", baseline="b")
    assert not report.within_noise(fig)
    assert report.verdict(fig) == "no goal"
    assert report.within_noise(figure("r", [0.99, 1.2], unit="x", baseline="b"))
    assert not report.within_noise(figure("r", [0.99], unit="x", baseline="b"))  # one run: no spread
    # One run per file: the spread is the files' variety, never "within noise".
    files = figure("per file", [0.2, 1.5, 3.0], unit="x", baseline="b", across="files")
    assert not report.within_noise(files)
    assert report.spread(files) == "0.20x..3.00x across files"


def test_rendering_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    tables = [{"title": "Rows", "columns": ["name", "value"],
               "rows": [{"name": "b|c", "value": 1.23456}, ["a", None]]}]
    data = _result("chapters", [figure("x", [1.0, 2.0], unit="%", baseline="y",
                                       parts={"ours": [1.0, 2.0], "theirs": [3.0, 4.0]})],
                   tables=tables, notes=["A note."])
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "chapters.json").write_text(json.dumps(data), encoding="utf-8")
    target = tmp_path / "RESULTS.md"
    report.write(tmp_path / "results", target)
    first = target.read_text(encoding="utf-8")
    report.write(tmp_path / "results", target)
    assert target.read_text(encoding="utf-8") == first
    section = _section(first, "Chapter join cost")
    assert "| b\\|c | 1.23 |" in section and "| a | - |" in section
    assert "| x | ours | 1.50 s | 1.00 s..2.00 s | 2 |" in section
    assert "A note." in section


@pytest.mark.parametrize(("op", "value", "met"), [("<=", 0.15, False), ("<=", 0.5, True),
                                                  (">=", 0.5, False), (">=", 0.2, True)])
def test_goal_is_judged_on_the_median(op: str, value: float, met: bool) -> None:
    assert figure("f", [0.1, 0.3, 0.9], unit="x", baseline="b", goal=(op, value))["met"] is met
