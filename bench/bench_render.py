"""Issue 5 benchmarks 1 and 5: cold render against the naive loop; Dask against --jobs.

    .venv/bin/python bench/bench_render.py [--quality m] [--only cold|dask]

1. Cold render of the sample gallery (concepts/ and scenes/ of this repo) at quality m:
   mathreel's render stage (`mathreel build --no-site`, empty cache) against the loop a
   user would write: `manim -qm scene.py Scene` once per scene, one after another.
2. A Dask LocalCluster of 2 single-thread workers against `--jobs 2`, same scenes, cold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUTPUT, REPO, machine, make_gallery, timed, write_section

PY = sys.executable
ENV = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, "NO_MKDOCS_2_WARNING": "1"}


def naive_loop(scenes: Path, quality: str, work: Path) -> float:
    total = 0.0
    for folder in sorted(p for p in scenes.iterdir() if (p / "scene.py").is_file()):
        meta = json.loads((folder / "meta.json").read_text())
        run_dir = work / folder.name
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        shutil.copy(folder / "scene.py", run_dir / "scene.py")
        (run_dir / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n")
        seconds, _ = timed([PY, "-m", "manim", f"-q{quality}", "scene.py", meta["scene_class"]], run_dir, ENV)
        total += seconds
    return total


def cold_mathreel(root: Path, quality: str, *extra: str) -> float:
    shutil.rmtree(root / ".cache", ignore_errors=True)
    return timed([PY, "-m", "builder", "build", "--no-site", "--quiet", "-q", quality, *extra], root, ENV)[0]


def bench_cold(work: Path, quality: str) -> str:
    root = make_gallery(work / "cold", 0, concepts_from=REPO / "concepts")
    count = len(list((root / "concepts").glob("*.yaml")))
    ours = cold_mathreel(root, quality)
    naive = naive_loop(root / "scenes", quality, work / "naive")
    return (f"Sample gallery: {count} scenes at quality {quality}, cold (empty cache).\n\n"
            f"| | seconds |\n|---|---|\n| naive loop (`manim -q{quality}` per scene) | {naive:.1f} |\n"
            f"| `mathreel build --no-site` (render stage, posters, previews, notes PDFs) | {ours:.1f} |\n\n"
            f"**Ratio: {ours / naive:.2f}** of the naive loop (goal: at most 0.6 on 2 cores).")


def bench_dask(work: Path) -> str:
    from distributed import LocalCluster

    root = make_gallery(work / "dask", 6)
    local = cold_mathreel(root, "l", "--jobs", "2")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        started = time.perf_counter()
        dask = cold_mathreel(root, "l", "--scheduler", cluster.scheduler_address)
        _ = time.perf_counter() - started
    return (f"6 synthetic template scenes at quality l, cold.\n\n| | seconds |\n|---|---|\n"
            f"| `--jobs 2` | {local:.1f} |\n| `--scheduler` (LocalCluster, 2 workers x 1 thread) | {dask:.1f} |\n\n"
            f"**Overhead: {dask / local - 1:+.1%}** (goal: under 15%). The cluster was started "
            "before timing; each task ships the outputs' bytes back to the client.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", default="m")
    parser.add_argument("--only", choices=("cold", "dask"))
    args = parser.parse_args()
    work = OUTPUT / "render"
    work.mkdir(parents=True, exist_ok=True)
    header = f"Measured on {machine()}."
    if args.only in (None, "dask"):
        write_section("5. Dask against --jobs", header + "\n\n" + bench_dask(work))
    if args.only in (None, "cold"):
        write_section("1. Cold render", header + "\n\n" + bench_cold(work, args.quality))
    print(Path(__file__).resolve().parent / "RESULTS.md")


if __name__ == "__main__":
    main()
