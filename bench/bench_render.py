"""Cold render against naive loops, and Dask against --jobs.

- cold-render: the sample gallery (concepts/ and scenes/ of this repo) at quality m from an
  empty cache: `mathreel build --no-site` (renderer pinned to Cairo in its mkdocs.yml) against
  `manim -qm --disable_caching scene.py Scene` per scene, once one after another and once
  through a pool of <cores> processes (what `xargs -P <cores>` does). Both sides use Cairo and
  --disable_caching (mathreel always passes it). The samples import mathreel's style module
  (`from mathreel_style import ...`), which mathreel stages beside each scene: the naive side
  finds it through PYTHONPATH=builder/templates. After each cold build, the same build again
  from caches emptied but for the build record (as after a Manim upgrade): the same work, with
  the record to start the longest renders first.
- dask: a LocalCluster of <cores> single-thread workers against `--jobs <cores>`, six template
  scenes at quality l. Each run starts from empty caches: the project's .cache and the workers'
  TeX cache (`<tmp>/mathreel-worker`, pointed at a fresh TMPDIR per run); the order alternates.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    ENV,
    MANIM_CFG,
    OUTPUT,
    PY,
    REPO,
    Result,
    command_line,
    figure,
    make_gallery,
    new_result,
    wall,
)


def _naive_dirs(scenes: Path, work: Path) -> list[tuple[Path, str]]:
    """One fresh folder per scene with its scene.py and a manim.cfg; (folder, class)."""
    out = []
    for folder in sorted(p for p in scenes.iterdir() if (p / "scene.py").is_file()):
        meta = json.loads((folder / "meta.json").read_text())
        run_dir = work / folder.name
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        shutil.copy(folder / "scene.py", run_dir / "scene.py")
        (run_dir / "manim.cfg").write_text(MANIM_CFG)
        out.append((run_dir, str(meta["scene_class"])))
    return out


def naive_argv(quality: str, scene_class: str) -> list[str]:
    """The naive side's command: Cairo (Manim's default), no partial-movie cache."""
    return [PY, "-m", "manim", "render", f"-q{quality}", "--disable_caching", "--progress_bar", "none",
            "scene.py", scene_class]


#: Where the samples' `mathreel_style` lives: the naive side puts it on PYTHONPATH.
STYLE_DIR = REPO / "builder" / "templates"


def naive_env() -> dict[str, str]:
    """The naive side's environment: ENV with the style module's folder on PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(STYLE_DIR), ENV.get("PYTHONPATH", "")) if p)
    return {**ENV, "PYTHONPATH": path}


def naive_loop(scenes: Path, quality: str, work: Path, parallel: int) -> float:
    """Wall seconds of rendering every scene, `parallel` at a time (1: one after another)."""
    dirs = _naive_dirs(scenes, work)
    env = naive_env()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:  # threads only wait on subprocesses
        list(pool.map(lambda d: wall(naive_argv(quality, d[1]), d[0], env), dirs))
    return time.perf_counter() - started


def cold_mathreel(root: Path, argv: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a build from an empty project cache."""
    shutil.rmtree(root / ".cache", ignore_errors=True)
    return wall(argv, root, env)[0]


def rerender_mathreel(root: Path, argv: list[str]) -> float:
    """Wall seconds of the same build from a cache emptied but for the last build's record.

    As after a Manim upgrade (every render key changes, the record stays): the work is the
    cold build's, and only the render order may differ (longest first, by the record).
    """
    for entry in (root / ".cache").iterdir():
        if entry.name != "build" and entry.is_dir():
            shutil.rmtree(entry)
    return wall(argv, root)[0]


def cold_render(*, quick: bool) -> Result:
    """mathreel's cold build against a serial and a parallel naive loop, alternating."""
    quality = "l" if quick else "m"
    runs = 1 if quick else 2
    cores = os.cpu_count() or 1
    work = OUTPUT / "render"
    root = make_gallery(work / "cold", 0, concepts_from=REPO / "concepts", extra="renderer: cairo")
    count = len(list((root / "concepts").glob("*.yaml")))
    argv = [PY, "-m", "builder", "build", "--no-site", "--quiet", "-q", quality]
    result = new_result("cold-render", command="", quick=quick,
                        scope=f"the sample gallery: {count} scenes at quality {quality}, empty caches, "
                              f"Cairo and --disable_caching on every side; {runs} run(s) per side")
    ours: list[float] = []
    again: list[float] = []
    serial: list[float] = []
    pooled: list[float] = []

    def mathreel_twice() -> None:
        ours.append(cold_mathreel(root, argv))
        again.append(rerender_mathreel(root, argv))

    for run in range(runs):
        steps = [("ours", mathreel_twice),
                 ("serial", lambda: serial.append(naive_loop(root / "scenes", quality, work / "naive", 1))),
                 ("pooled", lambda: pooled.append(naive_loop(root / "scenes", quality, work / "naive", cores)))]
        for _, step in steps if run % 2 == 0 else steps[::-1]:
            step()
    what = "(render stage, posters, previews, storyboards, notes PDFs)"
    pool_share = statistics.median(p / s for p, s in zip(pooled, serial, strict=True))
    result["figures"] += [
        figure("mathreel build / serial naive loop", [o / s for o, s in zip(ours, serial, strict=True)],
               unit="x", baseline=f"`manim -q{quality} --disable_caching` per scene, one after another "
                                  "(PYTHONPATH=builder/templates, for mathreel_style)",
               goal=("<=", 0.6), command=command_line(argv) + " " + what,
               parts={"mathreel build --no-site": ours, "serial naive loop": serial},
               note=f"two renders at once are not twice as fast as one here: the naive loop itself, "
                    f"{cores} at a time, takes {pool_share:.2f}x of its serial time, so no schedule of "
                    "these renders reaches the goal; mathreel also makes posters, previews, "
                    "storyboards and a notes PDF per concept, which the loop does not"),
        figure(f"mathreel build / parallel naive loop ({cores} at once)",
               [o / p for o, p in zip(ours, pooled, strict=True)], unit="x",
               baseline=f"the same commands, {cores} at a time (like `xargs -P {cores}`)",
               goal=("<=", 1.0), command=command_line(argv),
               parts={"parallel naive loop": pooled},
               note="mathreel does more than render (posters, previews, storyboard frames, a "
                    "notes PDF per concept), and a cold build knows nothing of how long each render "
                    "takes, so it starts them in the concepts' order, as the loop does; the "
                    "rebuild figure below shows what starting the longest first is worth"),
        figure(f"mathreel rebuild with the last build's record / parallel naive loop ({cores} at once)",
               [a / p for a, p in zip(again, pooled, strict=True)], unit="x",
               baseline=f"the same commands, {cores} at a time (like `xargs -P {cores}`)",
               goal=("<=", 1.0), command=command_line(argv) + " (caches emptied, the build record kept)",
               parts={"mathreel rebuild": again, "parallel naive loop": pooled},
               note="the same work as the cold build, as after a Manim upgrade: the record lets "
                    "the longest renders start first; the naive loop knows nothing of the scenes"),
        figure("mathreel rebuild with the record / mathreel cold build",
               [a / o for a, o in zip(again, ours, strict=True)], unit="x",
               baseline="the cold build just before it (the same renders, in the concepts' order)",
               command=command_line(argv),
               parts={"mathreel rebuild": again, "mathreel cold build": ours},
               note="what the render order alone is worth"),
    ]
    result["notes"].append("Renderer: Cairo on both sides (`renderer: cairo` in the gallery's "
                           "mkdocs.yml; the naive side uses Manim's default, Cairo). Caching: "
                           "`--disable_caching` on both sides. The naive side runs with "
                           "PYTHONPATH=builder/templates, where the samples' mathreel_style is.")
    return result


def dask(*, quick: bool) -> Result:
    """`--jobs <cores>` against a LocalCluster, both cold, order alternating."""
    from distributed import LocalCluster

    cores = os.cpu_count() or 1
    runs = 2 if quick else 4
    work = OUTPUT / "render"
    root = make_gallery(work / "dask", 6)
    base = [PY, "-m", "builder", "build", "--no-site", "--quiet", "-q", "l"]
    result = new_result("dask", command="", quick=quick,
                        scope=f"6 synthetic template scenes at quality l, empty caches (workers' TeX "
                              f"cache too), {runs} runs per side, order alternating")
    local: list[float] = []
    remote: list[float] = []
    for run in range(runs):
        tmp = work / f"dask-tmp-{run}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)

        def with_jobs() -> None:
            local.append(cold_mathreel(root, [*base, "--jobs", str(cores)]))

        def with_dask(tmp: Path = tmp) -> None:
            # Workers are new processes: a fresh TMPDIR gives them an empty mathreel-worker/tex.
            saved = os.environ.get("TMPDIR")
            os.environ["TMPDIR"] = str(tmp)
            try:
                with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as cluster:
                    remote.append(cold_mathreel(root, [*base, "--scheduler", cluster.scheduler_address],
                                                {**ENV, "TMPDIR": str(tmp)}))
            finally:
                if saved is None:
                    os.environ.pop("TMPDIR", None)
                else:
                    os.environ["TMPDIR"] = saved

        for step in (with_jobs, with_dask) if run % 2 == 0 else (with_dask, with_jobs):
            step()
        shutil.rmtree(tmp, ignore_errors=True)
    result["figures"].append(figure(
        f"--scheduler (LocalCluster, {cores} workers x 1 thread) / --jobs {cores}",
        [r / j for r, j in zip(remote, local, strict=True)], unit="x",
        baseline=f"`mathreel build --jobs {cores}` from the same empty caches", goal=("<=", 1.15),
        command=command_line([*base, "--scheduler", "ADDRESS"]),
        parts={f"--jobs {cores}": local, "--scheduler": remote}))
    result["notes"].append("The cluster is started before timing (its start-up is not counted); "
                           "each task ships its outputs' bytes back to the client.")
    return result
