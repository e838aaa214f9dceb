"""Helpers shared by the benchmarks: machine facts, timing, synthetic galleries, result files.

Every benchmark returns a `Result` (plain JSON data); `save_result` writes it to
`bench/results/<name>.json`, and `bench/report.py` renders RESULTS.md from those files only.
"""

from __future__ import annotations

import compileall
import datetime as _dt
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
RESULTS_DIR = BENCH / "results"
RESULTS_MD = BENCH / "RESULTS.md"
OUTPUT = BENCH / "output"
PY = sys.executable
#: Renders and builds never see API keys; MkDocs' end-of-life notice is noise in timings.
#: Python's bytecode cache stays on, as on a user's machine (this workspace's shell turns it off):
#: otherwise every mathreel process compiles the builder from source, about 0.1 s, while Manim's
#: side is installed compiled.
ENV = {**{k: v for k, v in os.environ.items()
          if not k.endswith("_API_KEY") and k != "PYTHONDONTWRITEBYTECODE"}, "NO_MKDOCS_2_WARNING": "1"}
#: Manim asks PyPI for its newest version after every CLI render unless told not to.
MANIM_CFG = "[CLI]\nnotify_outdated_version = False\n"

Result = dict[str, Any]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or 'unknown CPU')."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine() -> dict[str, Any]:
    """Where the figures were measured: cores, CPU, Python, and whether its bytecode cache was on."""
    return {"cores": os.cpu_count() or 1, "cpu": cpu_model(), "python": sys.version.split()[0],
            "bytecode_cache": "PYTHONDONTWRITEBYTECODE" not in ENV}


def summarize(samples: list[float]) -> dict[str, Any]:
    """Median and spread (min..max) of raw samples; everything rounded so JSON stays stable."""
    values = [float(s) for s in samples]
    return {"samples": [round(v, 4) for v in values], "runs": len(values),
            "median": round(statistics.median(values), 4) if values else None,
            "min": round(min(values), 4) if values else None,
            "max": round(max(values), 4) if values else None}


def figure(label: str, samples: list[float], *, unit: str, baseline: str,
           goal: tuple[str, float] | None = None, note: str = "", command: str = "",
           parts: dict[str, list[float]] | None = None, across: str = "runs") -> dict[str, Any]:
    """One reported figure: raw samples and their summary, what it is compared with, the goal.

    `unit` is "x" (a ratio of ours to the baseline), "s" or "%"; `goal` is ("<=", value) or
    (">=", value), judged on the median. `parts` keeps the raw samples behind a ratio (ours and
    the baseline's seconds), so a reader can recompute it. `note` is what we learned, shown
    next to a miss; `command` is what was measured, as a user would type it. `across` says
    what the samples are: repeated runs of one thing ("runs"), or one run each of different
    things ("files"), whose spread is variety, not noise.
    """
    out: dict[str, Any] = {"label": label, "unit": unit, "baseline": baseline, "across": across,
                           **summarize(samples)}
    if goal is not None:
        op, value = goal
        median = out["median"]
        met = median is not None and (median <= value if op == "<=" else median >= value)
        out["goal"] = {"op": op, "value": value}
        out["met"] = bool(met)
    if parts:
        out["parts"] = {name: summarize(values) for name, values in sorted(parts.items())}
    if note:
        out["note"] = note
    if command:
        out["command"] = command
    return out


def new_result(name: str, *, command: str, scope: str, quick: bool) -> Result:
    """The common head of a result file: what ran, where, when.

    With the bytecode cache on, the builder is compiled first (as `pip install` compiles a
    package), so that no timed process pays for it.
    """
    if "PYTHONDONTWRITEBYTECODE" not in ENV:
        compileall.compile_dir(str(REPO / "builder"), quiet=1)
    return {"name": name, "command": command, "scope": scope, "quick": quick,
            "date": _dt.date.today().isoformat(), "machine": machine(), "commit": commit(),
            "figures": [], "tables": [], "notes": []}


def commit() -> str:
    """The commit of the code measured (`-dirty` when builder/ or bench/ has uncommitted changes)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    sha = git("rev-parse", "--short=7", "HEAD")
    dirty = git("status", "--porcelain", "--", "builder", "bench/common.py", "bench/bench_*.py")
    return f"{sha}-dirty" if sha and dirty else sha


def save_result(result: Result) -> Path:
    """Write bench/results/<name>.json (sorted keys, so diffs show only what changed)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{result['name']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def command_line(argv: list[str]) -> str:
    """A command as a user would type it (the venv's python shown as `python`)."""
    shown = ["python" if a == PY else a for a in argv]
    return shlex.join(shown)


_MEASURE = ("import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, stdin=subprocess.DEVNULL, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a command; return (wall seconds, its own peak RSS in KiB).

    The command runs under a fresh Python parent, so the peak is this command's alone.
    """
    started = time.perf_counter()
    done = subprocess.run([PY, "-c", _MEASURE, *argv], cwd=cwd, env=env or ENV, check=True,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, int(done.stdout.strip().splitlines()[-1])


def wall(argv: list[str], cwd: Path, env: dict[str, str] | None = None, *,
         check: bool = True, timeout: float = 1800) -> tuple[float, int]:
    """Run a command with its output discarded; return (wall seconds, exit status).

    The wait blocks in waitpid and a timer enforces the timeout: `subprocess.run(timeout=...)`
    polls the child with sleeps of up to 50 ms, which adds up to 50 ms to every measurement
    (half of a 0.1 s command)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env or ENV, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        returncode = proc.wait()
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    if seconds >= timeout:
        raise subprocess.TimeoutExpired(argv, timeout)
    if check and returncode != 0:
        raise RuntimeError(f"{command_line(argv)} exited {returncode} in {cwd}")
    return seconds, returncode


def gallery_config(*, offline: bool = True, extra: str = "") -> str:
    """The repo's mkdocs.yml, offline, with extra lines added under the mathreel plugin."""
    config = (REPO / "mkdocs.yml").read_text()
    if offline:
        config = config.replace("offline: false", "offline: true")
    if extra:
        marker = "  - mathreel:\n"
        lines = "".join(f"      {line}\n" for line in extra.strip().splitlines())
        config = config.replace(marker, marker + lines, 1)
    return config


def make_gallery(dest: Path, count: int, *, concepts_from: Path | None = None,
                 offline: bool = True, extra: str = "") -> Path:
    """A gallery project with the repo's config and `count` synthetic template concepts."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / "mkdocs.yml").write_text(gallery_config(offline=offline, extra=extra))
    shutil.copytree(REPO / "docs", dest / "docs")
    shutil.copytree(REPO / "site_overrides", dest / "site_overrides")
    concepts = dest / "concepts"
    concepts.mkdir()
    if concepts_from is not None:
        for spec in concepts_from.glob("*.yaml"):
            shutil.copy(spec, concepts)
        if (concepts_from.parent / "scenes").is_dir():
            shutil.copytree(concepts_from.parent / "scenes", dest / "scenes")
        return dest
    tags = ["algebra", "analysis", "geometry", "probability", "physics", "topology"]
    levels = ["intro", "undergraduate", "graduate", "research"]
    for i in range(count):
        (concepts / f"concept-{i:04d}.yaml").write_text(
            f"title: Synthetic concept {i}\n"
            f"summary: Concept number {i} of a synthetic gallery, for benchmarks.\n"
            f"level: {levels[i % 4]}\ntags: [{tags[i % 6]}, {tags[(i * 7) % 6]}]\n"
            "prompt: Show the identity and its parts.\n"
            "anchors:\n"
            f"  - label: Identity {i}\n    latex: 'x_{{{i}}}^2 + y^2 = r^2'\n"
            "scene:\n  duration: 5\n")
    return dest


#: The commit the house issue (#16) started from: the no-op and scale benchmarks measure the
#: working tree against it side by side. Set MATHREEL_BENCH_BASELINE to compare with another.
BASELINE_REV = os.environ.get("MATHREEL_BENCH_BASELINE", "5ac0243")


def baseline_tree(rev: str = BASELINE_REV) -> Path:
    """A checkout of `rev` under bench/output/ (a detached git worktree, made once)."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    path = OUTPUT / f"baseline-{sha[:12]}"
    if not (path / "builder").is_dir():
        OUTPUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=True)
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(path), sha], cwd=REPO,
                       check=True, capture_output=True)
    return path


def env_for_tree(tree: Path) -> dict[str, str]:
    """The environment that runs `python -m builder` (and the plugin, the macros) from `tree`."""
    return {**ENV, "PYTHONPATH": str(tree)}


def api_mirror_note() -> str:
    """Record the API mirror the static checks read instead of importing Manim, as a user's
    machine has it after its first check (builder/checks/world.py: once per installation and
    version of the checks), so no timed run pays for it; and say what recording it costs,
    measured here in a fresh process."""
    code = ("import time; from builder.checks import world; path = world.mirror_path(); "
            "t = time.monotonic(); world.live().namespace; imported = time.monotonic() - t; "
            "t = time.monotonic(); world.record(path); print(f'{imported:.2f} {time.monotonic() - t:.2f}')")
    out = subprocess.run([PY, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    imported, recorded = out.stdout.split()[-2:]
    return (f"The API mirror was in place before the clock started: recording it (once per installation) "
            f"took {recorded} s here, after the {imported} s import of Manim it needs; the static "
            "checks read it instead of importing Manim (a preflight or render child still imports Manim).")
