"""Helpers shared by the benchmark scripts: synthetic galleries, timing, RESULTS.md sections."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
OUTPUT = Path(__file__).resolve().parent / "output"


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


_MEASURE = ("import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, stdin=subprocess.DEVNULL, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a command; return (wall seconds, its own peak RSS in KiB).

    The command runs under a fresh Python parent, so the peak is this command's alone.
    """
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, int(done.stdout.strip().splitlines()[-1])


def make_gallery(dest: Path, count: int, *, concepts_from: Path | None = None) -> Path:
    """A gallery project with the repo's config and `count` synthetic template concepts."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    config = (REPO / "mkdocs.yml").read_text().replace("offline: false", "offline: true")
    (dest / "mkdocs.yml").write_text(config)
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


def write_section(title: str, body: str) -> None:
    """Replace (or add) one `## title` section of bench/RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nEach section is written by the script it names; ratios are measured side by side in one run.\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)
