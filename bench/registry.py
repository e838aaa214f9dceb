"""The benchmarks, in the order RESULTS.md shows them.

Kept apart from the benchmark modules so that the renderer (bench/report.py) and its test can
list every section, measured or not, without importing Manim, Dask or the builder.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its result file's name, its section title, where its code lives."""

    name: str  #: bench/results/<name>.json, and `python -m bench --only <name>`
    title: str
    target: str  #: "module:function" under bench/, called as function(quick=bool) -> Result
    quick: bool  #: part of `python -m bench --quick`
    what: str  #: one sentence: what is compared with what


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("cold-render", "Cold render", "bench_render:cold_render", False,
              "mathreel's render stage against a naive `manim -qm` loop, serial and parallel, "
              "same renderer (Cairo) and caching flags on both sides."),
    Benchmark("noop", "No-op rebuild", "bench_build:noop", True,
              "`mathreel build` with nothing to do against a bare `mkdocs build` of the same "
              "built project, in alternating pairs."),
    Benchmark("incremental", "Incremental rebuild", "bench_build:incremental", False,
              "`mathreel build` after one anchor changed against one scene's render plus the "
              "site build."),
    Benchmark("scale", "Scale", "bench_build:scale", False,
              "site build time, peak memory and index transfer size for 50, 200 and 1000 "
              "concepts with cached media."),
    Benchmark("dask", "Dask against --jobs", "bench_render:dask", False,
              "a Dask LocalCluster against `--jobs`, both from empty caches (workers' TeX cache "
              "too), in alternating order."),
    Benchmark("diagnosis", "Time to diagnosis", "bench_checks:diagnosis", True,
              "a cold `mathreel check FILE` against a cold `manim render -ql FILE Scene` that "
              "runs until it fails, per broken file of tests/corpus/broken/ and per run-time-error "
              "answer of tests/corpus/real/."),
    Benchmark("generation", "Generation concurrency", "bench_generate:generation", False,
              "ten new concepts against the test model server (5 s per answer): "
              "`model_concurrency: 4` against `model_concurrency: 1`."),
    Benchmark("chapters", "Chapter join cost", "bench_chapters:chapters", True,
              "a six-scene concept rendered as one chaptered video against the same six "
              "scenes rendered as six one-scene concepts."),
    Benchmark("3d", "3D scenes", "bench_3d:three_d", False,
              "a surface scene under Cairo and under OpenGL (Xvfb + Mesa), with frame "
              "similarity; where Cairo's time goes; Cairo time against resolution."),
    Benchmark("real-answers", "Real model answers", "bench_answers:real_answers", False,
              "each publish answer of tests/corpus/real/ served unchanged by the test model server "
              "(no repair possible), built with `mathreel build --no-site -q l`: the share "
              "published from the model's own code, and each build's stage timings."),
    Benchmark("first-build", "First build of an answer", "bench_answers:first_build", False,
              "one concept's first `mathreel build --only SLUG -q l` (answer served, checks, render, "
              "notes, site) against a plain Cairo `manim render -ql --disable_caching` of the same "
              "scene, 2D and 3D answers of tests/corpus/real/ apart."),
    Benchmark("security-static", "Attacks refused before running", "bench_security:static", True,
              "every hostile scene and bad spec of the test corpora through the static checks."),
    Benchmark("security-bypass", "Bypass classes", "bench_bypass:bypass", True,
              "each bypass class of the red-team report: refused statically, stopped by the "
              "runtime guard with the static check skipped, contained by bubblewrap alone."),
    Benchmark("security-runtime", "Attacks at run time, and faults", "bench_security:runtime", False,
              "hostile scenes that pass the static check, run in the sandbox; the fault tests' "
              "outcomes from a pytest run."),
)


def find(name: str) -> Benchmark:
    """The benchmark called `name` (KeyError names the known ones)."""
    for bench in BENCHMARKS:
        if bench.name == name:
            return bench
    raise KeyError(f"no benchmark {name!r}; known: {', '.join(b.name for b in BENCHMARKS)}")
