"""Render bench/RESULTS.md from bench/results/*.json, and nothing else.

    .venv/bin/python -m bench.report          # re-render (no measuring)
    .venv/bin/python -m bench.report --check  # exit 1 if RESULTS.md is not what the JSON renders

The output is a pure function of the JSON files: sections in registry order, figures in the
order the benchmark stored them, fixed float formatting. Rendering twice gives the same bytes,
so tests/test_bench_results.py can refuse a hand edit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.registry import BENCHMARKS

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"

HEADER = """# Benchmark results

Written by `python -m bench.report` from `bench/results/*.json`; do not edit by hand (a test
compares this file with the JSON). `make bench` measures everything and re-renders;
`make bench-quick` measures the quick subset; `python -m bench --only NAME` one benchmark.

Each figure gives its median over the runs, the spread (min..max of the runs), the baseline
it is compared with, and its goal: **MET** or **MISSED**, judged on the median. A ratio whose
spread over repeated runs covers 1.0 is marked *within noise*: the runs do not tell the two
sides apart. A spread "across files" is one run per file: variety, not noise.
"""

NOT_MEASURED = "Not measured yet (run `make bench`)."


def load_results(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every result file in `folder`, by benchmark name."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[str(data.get("name", path.stem))] = data
    return out


def fmt_value(value: float | None, unit: str) -> str:
    """A number with its unit, in the one fixed format per unit."""
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "s":
        return f"{value:.2f} s"
    if unit in ("", "count"):
        return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"
    return f"{value:.2f} {unit}"


def fmt_cell(value: Any) -> str:
    """A table cell: floats to two decimals, booleans as yes/no, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def spread(fig: dict[str, Any]) -> str:
    """min..max of the runs, or 'single run'; samples of different things say so."""
    across = str(fig.get("across", "runs"))
    if int(fig.get("runs") or 0) < 2:
        return "single run" if across == "runs" else f"single {across.removesuffix('s')}"
    unit = str(fig.get("unit", ""))
    text = f"{fmt_value(fig.get('min'), unit)}..{fmt_value(fig.get('max'), unit)}"
    return text if across == "runs" else f"{text} across {across}"


def within_noise(fig: dict[str, Any]) -> bool:
    """A ratio measured more than once whose runs fall on both sides of 1.0.

    Samples across different things (files) vary by design: their spread is not noise.
    """
    if fig.get("unit") != "x" or int(fig.get("runs") or 0) < 2 or fig.get("across", "runs") != "runs":
        return False
    low, high = fig.get("min"), fig.get("max")
    return low is not None and high is not None and float(low) <= 1.0 <= float(high)


def verdict(fig: dict[str, Any]) -> str:
    """MET / MISSED (or 'no goal'), with 'within noise' where the spread covers 1.0."""
    word = "no goal" if "goal" not in fig else "MET" if fig.get("met") else "**MISSED**"
    return word + (", within noise" if within_noise(fig) else "")


def goal_text(fig: dict[str, Any]) -> str:
    """The goal as `<= 0.15x`."""
    goal = fig.get("goal")
    if not goal:
        return "-"
    return f"{goal['op']} {fmt_value(float(goal['value']), str(fig.get('unit', '')))}"


#: What was learned from a miss measured before its benchmark recorded notes (the benchmark
#: records its own from its next run on; a note in the result file always wins).
LEARNED_BEFORE_NOTES = {
    ("cold-render", "mathreel build / serial naive loop"):
        "two cores can at best halve a serial loop; mathreel also makes posters, previews, "
        "storyboards and a notes PDF per concept, which the loop does not",
    ("incremental", "rebuild after one anchor changed / (one render + site build)"):
        "besides the one render and the site, the rebuild pays the no-op over the other concepts "
        "(specs, keys, pages) and a new notes PDF for the changed concept",
}


def _figures(result: dict[str, Any]) -> list[str]:
    figures = list(result.get("figures") or [])
    if not figures:
        return []
    lines = ["| figure | median | spread | runs | baseline | goal | result |",
             "|---|---|---|---|---|---|---|"]
    for fig in figures:
        unit = str(fig.get("unit", ""))
        lines.append("| " + " | ".join([
            fmt_cell(fig.get("label")), fmt_value(fig.get("median"), unit), spread(fig),
            str(fig.get("runs", 0)), fmt_cell(fig.get("baseline")), goal_text(fig), verdict(fig),
        ]) + " |")
    sides = [(fig, name, part) for fig in figures for name, part in sorted((fig.get("parts") or {}).items())]
    if sides:
        lines += ["", "Raw figures behind the ratios (seconds, or KiB where the side says so):", "",
                  "| figure | side | median | spread | runs |", "|---|---|---|---|---|"]
        for fig, name, part in sides:
            unit = "KiB" if name.endswith(" KiB") else "s"
            lines.append(f"| {fmt_cell(fig.get('label'))} | {fmt_cell(name)} | "
                         f"{fmt_value(part.get('median'), unit)} | {spread({**part, 'unit': unit})} | "
                         f"{part.get('runs', 0)} |")
    commands = [(fig, fig["command"]) for fig in figures if fig.get("command")]
    if commands:
        lines += [""] + [f"- {fmt_cell(fig.get('label'))}: `{cmd}`" for fig, cmd in commands]
    learned = [fig for fig in figures if fig.get("note") or ("goal" in fig and not fig.get("met"))]
    if learned:
        lines += ["", "What we learned:", ""]
        for fig in learned:
            mark = "MISSED: " if "goal" in fig and not fig.get("met") else ""
            note = fig.get("note") or LEARNED_BEFORE_NOTES.get((str(result.get("name")), str(fig.get("label"))))
            lines.append(f"- {mark}{fmt_cell(fig.get('label'))}: {note or 'no note recorded yet.'}")
    return lines


def _tables(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for table in result.get("tables") or []:
        columns = [str(c) for c in table.get("columns") or []]
        lines += ["", f"### {table.get('title', '')}", ""]
        if table.get("caption"):
            lines += [str(table["caption"]), ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in table.get("rows") or []:
            cells = [row.get(c) for c in columns] if isinstance(row, dict) else list(row)
            lines.append("| " + " | ".join(fmt_cell(c) for c in cells) + " |")
    return lines


def render_section(index: int, title: str, what: str, result: dict[str, Any] | None) -> str:
    """One `## N. Title` section: the measured figures, or 'not measured yet'."""
    lines = [f"## {index}. {title}", "", what, ""]
    if result is None:
        lines.append(NOT_MEASURED)
        return "\n".join(lines) + "\n"
    m = result.get("machine") or {}
    quick = " (quick subset)" if result.get("quick") else ""
    at = f" at commit {result['commit']}" if result.get("commit") else ""
    cache = {True: ", bytecode cache on", False: ", bytecode cache off"}.get(m.get("bytecode_cache"), "")
    lines.append(f"Measured {result.get('date', '?')}{at} on {m.get('cores', '?')} cores "
                 f"({m.get('cpu', '?')}), Python {m.get('python', '?')}{cache}{quick}: "
                 f"`{result.get('command', '?')}`. Scope: {result.get('scope', '-')}.")
    body = _figures(result)
    if body:
        lines += ["", *body]
    lines += _tables(result)
    for note in result.get("notes") or []:
        lines += ["", str(note)]
    return "\n".join(lines) + "\n"


def render_summary(results: dict[str, dict[str, Any]]) -> str:
    """One row per figure that has a goal, across every benchmark."""
    lines = ["## Summary", "", "| benchmark | figure | median | goal | result |", "|---|---|---|---|---|"]
    for bench in BENCHMARKS:
        result = results.get(bench.name)
        if result is None:
            lines.append(f"| {bench.title} | - | - | - | not measured yet |")
            continue
        for fig in result.get("figures") or []:
            if "goal" in fig:
                lines.append(f"| {bench.title} | {fmt_cell(fig.get('label'))} | "
                             f"{fmt_value(fig.get('median'), str(fig.get('unit', '')))} | "
                             f"{goal_text(fig)} | {verdict(fig)} |")
    return "\n".join(lines) + "\n"


def render(results: dict[str, dict[str, Any]]) -> str:
    """The whole RESULTS.md for these results (unknown names are ignored)."""
    parts = [HEADER, render_summary(results)]
    for index, bench in enumerate(BENCHMARKS, start=1):
        parts.append(render_section(index, bench.title, bench.what, results.get(bench.name)))
    return "\n".join(parts)


def write(folder: Path = RESULTS_DIR, target: Path = RESULTS_MD) -> Path:
    """Render the JSON in `folder` into `target` (only rewritten when its bytes change)."""
    text = render(load_results(folder))
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.report [--check]`."""
    parser = argparse.ArgumentParser(description="Render bench/RESULTS.md from bench/results/*.json.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if RESULTS.md differs from the rendered JSON")
    args = parser.parse_args(argv)
    if args.check:
        same = RESULTS_MD.exists() and RESULTS_MD.read_text(encoding="utf-8") == render(load_results())
        if not same:
            print("bench/RESULTS.md is not what bench/results/*.json renders: run "
                  "`python -m bench.report`", file=sys.stderr)
        return 0 if same else 1
    print(write())
    return 0


if __name__ == "__main__":
    sys.exit(main())
