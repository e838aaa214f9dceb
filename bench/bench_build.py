"""No-op rebuild, incremental rebuild and site scale.

- noop: `mathreel build` with nothing changed against a bare `mkdocs build` of the same built
  project, in alternating pairs (who goes first swaps each pair), ratio per pair.
- incremental: one anchor changed in a 50-concept synthetic gallery: the rebuild against one
  scene's render plus the site build, measured side by side.
- scale: site build time and peak memory for 50, 200, 1000 concepts with cached media, and the
  index page's transfer size.

Synthetic galleries for incremental and scale have one real render and one real notes PDF,
published again under every other concept's own keys by the build itself (its render and
notes steps are swapped for a copy in-process while seeding), so the measured step is the
only real work and the keys are exactly the ones the build computes.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

from bench.bench_render import naive_env
from bench.common import (
    BASELINE_REV,
    OUTPUT,
    PY,
    REPO,
    Result,
    baseline_tree,
    command_line,
    env_for_tree,
    figure,
    make_gallery,
    new_result,
    timed,
    wall,
)
from builder.record import read_meta

MATHREEL = [PY, "-m", "builder", "build", "-q", "l", "--quiet"]
MKDOCS = [PY, "-m", "mkdocs", "build", "-q"]


def seed_cache(root: Path) -> None:
    """Render and compile notes for one concept for real; publish copies under every other key."""
    import builder.stages.notes as notes_stage
    import builder.stages.render as render_stage
    from builder.build import BuildOptions, run_pipeline
    from builder.notes_pdf import cached_notes
    from builder.record import load_build_record
    from builder.settings import load_settings
    from builder.video.render import collect_outputs, publish_outputs

    settings, _ = load_settings(root / "mkdocs.yml")
    settings = settings.with_overrides(quality="l")
    first = sorted((root / "concepts").glob("*.yaml"))[0].stem
    run_pipeline(settings, BuildOptions(only=(first,), site=False))
    source = load_build_record(settings.report_path).concepts[first]
    assert source.render_key and source.notes, f"{first} did not build: {source.error}"
    render_files = collect_outputs(settings.render_dir / source.render_key)
    notes_src = settings.notes_dir / source.notes.key

    def copy_render(ctx: Any, job: Any) -> Any:
        return publish_outputs(job, render_files, ctx.settings.render_dir)

    def copy_notes(concept: Any, notes: str, *, parts: Any, notes_dir: Path, **_: Any) -> Any:
        from builder.notes_pdf import notes_key

        key = notes_key(parts)
        if not (notes_dir / key).exists():
            shutil.copytree(notes_src, notes_dir / key)
        return cached_notes(notes_dir, key)

    saved = render_stage._render, notes_stage.build_notes
    render_stage._render, notes_stage.build_notes = copy_render, copy_notes  # type: ignore[assignment]
    try:
        run_pipeline(settings, BuildOptions(site=False))
    finally:
        render_stage._render, notes_stage.build_notes = saved  # type: ignore[assignment]


def scenes_by_hand(root: Path) -> None:
    """Store a small hand-written scene (its anchors written out) and notes for each concept.

    Any version of mathreel keeps a hand-written scene as it is and computes the same render
    key for it, while a template scene is remade when the template changes: so this tree and
    the baseline render the same scenes, under the same keys. The scene imports only Manim.
    """
    from builder.record import write_meta
    from builder.spec import load_concepts

    for concept in load_concepts(root / "concepts"):
        folder = root / "scenes" / concept.slug
        folder.mkdir(parents=True, exist_ok=True)
        shows = "\n".join(f"        self.play(Write(MathTex({a.latex!r})))\n        self.wait(0.5)\n"
                          "        self.clear()" for a in concept.anchors)
        (folder / "scene.py").write_text(
            f"from manim import *\n\n\nclass {concept.scene_class}(Scene):\n"
            f"    def construct(self):\n        self.add(Text({concept.title!r}).to_edge(UP))\n"
            f"{shows}\n", encoding="utf-8")
        (folder / "notes.md").write_text(
            f"# {concept.title}\n\n" + "".join(f"$$\n{a.latex}\n$$\n\n" for a in concept.anchors),
            encoding="utf-8")
        write_meta(folder, {"schema": 1, "slug": concept.slug, "provenance": "hand-written",
                            "scene_class": concept.scene_class})


def side_by_side(root: Path, pairs: int) -> dict[str, list[float]]:
    """No-op `mathreel build`s of this tree and of the baseline commit, in alternating pairs.

    Each side builds its own copy of the built gallery (hard links: the media are shared);
    both copies get one site build and one no-op first, so both are warm. Returns wall seconds
    and peak RSS (KiB) per run for each side.
    """
    import subprocess

    tree = baseline_tree()
    other = root.parent / f"{root.name}-baseline"
    shutil.rmtree(other, ignore_errors=True)
    shutil.rmtree(root / "site", ignore_errors=True)
    subprocess.run(["cp", "-al", str(root), str(other)], check=True)
    sides = {"this tree": (root, env_for_tree(REPO)), "baseline": (other, env_for_tree(tree))}
    for folder, env in sides.values():
        wall(MATHREEL, folder, env)
        wall(MATHREEL, folder, env)
    out: dict[str, list[float]] = {f"{name} {what}": [] for name in sides for what in ("s", "KiB")}
    for index in range(pairs):
        order = list(sides) if index % 2 == 0 else list(reversed(sides))
        for name in order:
            folder, env = sides[name]
            seconds, peak = timed(MATHREEL, folder, env)
            out[f"{name} s"].append(seconds)
            out[f"{name} KiB"].append(float(peak))
    return out


#: What a no-op build of this tree does that the baseline's did not, said next to a miss.
VERSUS_NOTE = ("the pages are files now: a no-op build renders every page's templates to compare "
               "it with the file on disk, and MkDocs walks the docs folder and reads the pages "
               "from it, where the baseline's plugin handed MkDocs pages held in memory")


def versus_baseline(runs: dict[str, list[float]], what: str, label: str, baseline: str) -> dict[str, Any]:
    """The figure of this tree's runs against the baseline's (`what`: "s" or "KiB"), pair by pair."""
    return figure(label, [a / b for a, b in zip(runs[f"this tree {what}"], runs[f"baseline {what}"],
                                                 strict=True)],
                  unit="x", baseline=baseline, goal=("<=", 1.0), command=command_line(MATHREEL),
                  parts={k: v for k, v in runs.items() if k.endswith(f" {what}")},
                  note=VERSUS_NOTE if what == "s" else "")


def _statuses(root: Path) -> list[str]:
    from builder.record import load_build_record

    return sorted({c.status for c in load_build_record(root / ".cache/build/report.json").concepts.values()})


def noop(*, quick: bool) -> Result:
    """Alternating pairs of a no-op `mathreel build` and a bare `mkdocs build`."""
    pairs, count = (3, 4) if quick else (7, 8)
    result = new_result("noop", command="", quick=quick,
                        scope=f"{count} synthetic concepts, built for real once at quality l; "
                              f"{pairs} alternating pairs")
    root = make_gallery(OUTPUT / "build" / "noop", count)
    scenes_by_hand(root)
    wall(MATHREEL, root)  # a real first build: renders, notes, site
    wall(MATHREEL, root)  # and one no-op, so both sides start warm (page cache, .pyc)
    ours: list[float] = []
    bare: list[float] = []
    for index in range(pairs):
        # Who goes first swaps every pair, so a drift (another process, thermal) hits both sides.
        if index % 2 == 0:
            ours.append(wall(MATHREEL, root)[0])
            bare.append(wall(MKDOCS, root)[0])
        else:
            bare.append(wall(MKDOCS, root)[0])
            ours.append(wall(MATHREEL, root)[0])
    statuses = _statuses(root)
    result["figures"].append(figure(
        "no-op rebuild / bare mkdocs build", [o / b for o, b in zip(ours, bare, strict=True)],
        unit="x", baseline="`mkdocs build` of the same built project, same pair",
        goal=("<=", 1.3), command=command_line(MATHREEL),
        parts={"mathreel build (no-op)": ours, "mkdocs build": bare},
        note="" if statuses == ["cached"] else f"the no-op run was not a no-op: statuses {statuses}"))
    result["notes"].append(f"Concept statuses after the last no-op run: {', '.join(statuses)} "
                           "(cached = no render, no PDF compile, no model call).")
    result["figures"].append(versus_baseline(
        side_by_side(root, pairs), "s", f"no-op rebuild: this tree / baseline {BASELINE_REV}",
        f"the same no-op `mathreel build` run by commit {BASELINE_REV} (before the pages became "
        "files), each side in its own copy, same pair"))
    return result


def incremental(*, quick: bool) -> Result:
    """One anchor changed in a 50-concept gallery: rebuild against render + site."""
    size = 10 if quick else 50
    runs = 1 if quick else 3
    result = new_result("incremental", command="", quick=quick,
                        scope=f"{size} synthetic concepts, cached media; {runs} runs, each "
                              "changing a different concept's anchor")
    work = OUTPUT / "build"
    root = make_gallery(work / "incremental", size)
    seed_cache(root)
    wall(MATHREEL, root)
    ratios: list[float] = []
    rebuilds: list[float] = []
    references: list[float] = []
    for run in range(runs):
        number = 7 + run * 3
        spec = root / "concepts" / f"concept-{number:04d}.yaml"
        spec.write_text(spec.read_text().replace("r^2'", "R^2'"))
        rebuild = wall(MATHREEL, root)[0]
        # The reference, measured now: the one scene's render plus the site build.
        scene = root / "scenes" / f"concept-{number:04d}" / "scene.py"
        ref_dir = work / "incremental-ref"
        shutil.rmtree(ref_dir, ignore_errors=True)
        ref_dir.mkdir(parents=True)
        shutil.copy(scene, ref_dir / "scene.py")
        (ref_dir / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n")
        meta = read_meta(scene.parent)
        # The anchor template imports mathreel_style, which the build stages beside each scene.
        render = wall([PY, "-m", "manim", "render", "-ql", "--disable_caching", "--progress_bar", "none",
                       "scene.py", str(meta.get("scene_class") or f"Concept{number:04d}Scene")], ref_dir,
                      naive_env())[0]
        site = wall(MKDOCS, root)[0]
        rebuilds.append(rebuild)
        references.append(render + site)
        ratios.append(rebuild / (render + site))
    result["figures"].append(figure(
        "rebuild after one anchor changed / (one render + site build)", ratios, unit="x",
        baseline="`manim render -ql --disable_caching` of that scene plus `mkdocs build`",
        goal=("<=", 1.3), command=command_line(MATHREEL),
        parts={"mathreel build": rebuilds, "render + mkdocs build": references},
        note="besides the one render and the site, the rebuild pays the no-op over the other "
             "concepts (specs, keys, pages) and a new notes PDF for the changed concept"))
    return result


def scale(*, quick: bool) -> Result:
    """Site build time, peak memory and index size against the number of concepts."""
    sizes = [20, 50] if quick else [50, 200, 1000]
    result = new_result("scale", command="", quick=quick,
                        scope=f"synthetic galleries of {', '.join(map(str, sizes))} concepts, "
                              "cached media; one run per size")
    rows = []
    for size in sizes:
        root = make_gallery(OUTPUT / "build" / f"scale-{size}", size)
        scenes_by_hand(root)
        seed_cache(root)
        if size == sizes[-1]:
            runs = side_by_side(root, 2 if quick else 3)
            result["figures"].append(versus_baseline(
                runs, "s", f"site build of {size} concepts (no-op `mathreel build`): this tree / "
                f"baseline {BASELINE_REV}", f"the same command run by commit {BASELINE_REV}, which "
                "made the pages in a MkDocs plugin; each side in its own copy, alternating"))
            result["figures"].append(versus_baseline(
                runs, "KiB", f"peak memory of that build: this tree / baseline {BASELINE_REV}",
                f"peak RSS of the same command run by commit {BASELINE_REV}"))
        wall(MATHREEL, root)  # the first site build writes the pages; what follows is a no-op
        seconds, peak = timed(MATHREEL, root)
        mkdocs_seconds, _ = timed(MKDOCS, root)
        html = (root / "site" / "index.html").read_bytes()
        rows.append({"concepts": size, "site build s": round(seconds, 2),
                     "ms per concept": round(seconds / size * 1000, 1),
                     "of which mkdocs build s": round(mkdocs_seconds, 2),
                     "peak RSS MB": round(peak / 1024, 1), "index.html KB": round(len(html) / 1024, 1),
                     "gzip KB (transfer)": round(len(gzip.compress(html, 6)) / 1024, 1),
                     "lazy posters": html.count(b'loading="lazy"'), "runs": 1})
    result["tables"].append({
        "title": "Site build with cached media (a no-op `mathreel build`: pipeline, pages, "
                 "`mkdocs build`; the mkdocs column times `mkdocs build` alone, run after it)",
        "columns": ["concepts", "site build s", "ms per concept", "of which mkdocs build s",
                    "peak RSS MB", "index.html KB", "gzip KB (transfer)", "lazy posters", "runs"],
        "rows": rows})
    result["notes"].append(
        "The index's transfer is index.html gzipped (as static hosts serve it) plus the theme's "
        "shared assets; posters are `loading=\"lazy\"`, previews load on hover, videos "
        "`preload=\"none\"`. No goal is set for these figures.")
    return result
