"""Benchmarks 2, 3 and 4 of issue 5: no-op rebuild, incremental rebuild, site scale.

    .venv/bin/python bench/bench_build.py [--sizes 50,200,1000]

2. No-op rebuild: `mathreel build` with nothing changed against a bare `mkdocs build`
   of the same site (both processes, same project).
3. Incremental: one anchor changed in a 50-concept synthetic gallery: the rebuild
   against one scene's render plus the site build.
4. Scale: site build time and peak memory for 50, 200, 1000 concepts with cached media,
   and the index page's transfer size (posters lazy-loaded).

Synthetic galleries use one real render copied under every concept's own render key
(the media is cached, as the benchmark asks), so only the measured step does real work.
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

from bench.common import OUTPUT, machine, make_gallery, timed, write_section

PY = sys.executable
ENV = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, "NO_MKDOCS_2_WARNING": "1"}


def seed_cache(root: Path) -> None:
    """Render one concept for real, then publish copies of it under every other concept's key."""
    from builder.build import BuildOptions, run_pipeline
    from builder.notes import notes_key
    from builder.settings import load_settings

    settings, _ = load_settings(root / "mkdocs.yml")
    settings = settings.with_overrides(quality="l")
    first = sorted((root / "concepts").glob("*.yaml"))[0].stem
    run_pipeline(settings, BuildOptions(only=(first,)))
    # Generate every scene (cheap) without rendering: a pipeline run would render them all,
    # so write the template scenes directly, then copy the one render under each key.
    from builder.author import ensure_scene
    from builder.notes import notes_key_parts, pandoc_version
    from builder.render import render_job
    from builder.spec import load_concepts

    concepts = load_concepts(settings.concepts_dir)
    titles = {c.slug: c.title for c in concepts}
    report = json.loads(settings.report_path.read_text())
    source = report["concepts"][first]
    render_src = settings.render_dir / source["render_key"]
    notes_src = settings.notes_dir / source["notes_key"]
    for concept in concepts:
        entry = ensure_scene(concept, settings, titles, regenerate=False).entry
        job = render_job(concept.slug, entry.source, entry.scene_class or concept.scene_class, "l")
        if not (settings.render_dir / job.key).exists():
            shutil.copytree(render_src, settings.render_dir / job.key)
        parts = notes_key_parts(concept, entry.notes, render_key=job.key, pandoc=pandoc_version(), page_url=None, titles=titles)
        key = notes_key(parts)
        if not (settings.notes_dir / key).exists():
            shutil.copytree(notes_src, settings.notes_dir / key)
    # One full pass records every key in the report (no renders: all cached now).
    run_pipeline(settings, BuildOptions())


def mathreel(root: Path, *args: str) -> float:
    return timed([PY, "-m", "builder", "build", "-q", "l", "--quiet", *args], root, ENV)[0]


def mkdocs(root: Path) -> tuple[float, int]:
    return timed([PY, "-m", "mkdocs", "build", "-q"], root, ENV)


def bench_noop(work: Path) -> str:
    root = make_gallery(work / "noop", 8)
    seed_cache(root)
    mathreel(root)  # warm: site built once
    runs = [(mathreel(root), mkdocs(root)[0]) for _ in range(3)]
    ours = min(r[0] for r in runs)
    bare = min(r[1] for r in runs)
    report = json.loads((root / ".cache/build/report.json").read_text())
    statuses = {c["status"] for c in report["concepts"].values()}
    return (f"8 concepts, all cached (statuses after the run: {sorted(statuses)}; no render, "
            f"no PDF compile, no model call).\n\n"
            f"| command | best of 3 |\n|---|---|\n| `mathreel build` (no-op) | {ours:.2f} s |\n"
            f"| `mkdocs build` (same site) | {bare:.2f} s |\n\n**Ratio: {ours / bare:.2f}x** (goal: at most 1.3x)")


def bench_incremental(work: Path) -> str:
    root = make_gallery(work / "incremental", 50)
    seed_cache(root)
    mathreel(root)
    spec = root / "concepts" / "concept-0017.yaml"
    spec.write_text(spec.read_text().replace("r^2'", "R^2'"))
    rebuild = mathreel(root)
    # The reference: one scene's render plus the site build, measured now, side by side.
    scene = root / "scenes" / "concept-0017" / "scene.py"
    ref_dir = work / "incremental-ref"
    ref_dir.mkdir(exist_ok=True)
    shutil.copy(scene, ref_dir / "scene.py")
    (ref_dir / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n")
    render, _ = timed([PY, "-m", "manim", "render", "-ql", "--progress_bar", "none",
                       "scene.py", "Concept0017Scene"], ref_dir, ENV)
    site, _ = mkdocs(root)
    reference = render + site
    return (f"50 synthetic concepts, one anchor changed.\n\n"
            f"| step | seconds |\n|---|---|\n| `mathreel build` after the change | {rebuild:.2f} |\n"
            f"| `manim -ql` of that one scene | {render:.2f} |\n| `mkdocs build` | {site:.2f} |\n\n"
            f"**Ratio: {rebuild / reference:.2f}x** of render + site (goal: at most 1.3x)")


def bench_scale(work: Path, sizes: list[int]) -> str:
    rows = []
    for size in sizes:
        root = make_gallery(work / f"scale-{size}", size)
        started = time.perf_counter()
        seed_cache(root)
        time.perf_counter() - started
        seconds, peak = mkdocs(root)
        index = root / "site" / "index.html"
        html = index.read_bytes()
        import gzip

        rows.append((size, seconds, peak / 1024, len(html) / 1024, len(gzip.compress(html, 6)) / 1024,
                     html.count(b'loading="lazy"')))
    table = ("| concepts | site build s | ms per concept | peak RSS MB | index.html KB | gzip KB (transfer) | lazy posters |\n"
             "|---|---|---|---|---|---|---|\n")
    table += "".join(f"| {n} | {s:.2f} | {s / n * 1000:.1f} | {m:.0f} | {k:.0f} | {z:.0f} | {lazy} |\n"
                     for n, s, m, k, z, lazy in rows)
    return ("Site build with cached media (`mkdocs build` of the gallery). The index's transfer "
            "is index.html (gzip, as static hosts such as GitHub Pages serve it) plus the theme's "
            "shared assets; posters are `loading=\"lazy\"`, previews load on hover, videos "
            "`preload=\"none\"`. Above 100 concepts (`nav_concepts_limit`) concept pages leave "
            "the sidebar, which every page would otherwise repeat.\n\n" + table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--only", choices=("noop", "incremental", "scale"))
    args = parser.parse_args()
    work = OUTPUT / "build"
    work.mkdir(parents=True, exist_ok=True)
    header = f"Measured on {machine()}."
    if args.only in (None, "noop"):
        write_section("2. No-op rebuild", header + "\n\n" + bench_noop(work))
    if args.only in (None, "incremental"):
        write_section("3. Incremental rebuild", header + "\n\n" + bench_incremental(work))
    if args.only in (None, "scale"):
        sizes = [int(s) for s in args.sizes.split(",")]
        write_section("4. Scale", header + "\n\n" + bench_scale(work, sizes))
    print(Path(__file__).resolve().parent / "RESULTS.md")


if __name__ == "__main__":
    main()
