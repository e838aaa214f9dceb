"""What joining chapters costs: one six-scene concept against six one-scene concepts.

Side A: a hand-written concept whose scene.py holds six scenes, built by `mathreel build`
into one video with six chapters (the chapters render in parallel, then are joined).
Side B: the same six scenes as six hand-written one-scene concepts in one build (rendered in
parallel as six videos). Both builds start from an empty cache, quality l, the same `--jobs`.

The figure compares render work, read from the cache entries the builds published: the sum
of the six chapter renders' seconds plus the join's own `join_seconds` (A) against the sum of
the six videos' render seconds (B). Whole-build wall times are kept too, but they are not the
figure: side B compiles six notes PDFs where side A compiles one.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.record import RenderInfo

from bench.common import OUTPUT, PY, Result, command_line, figure, make_gallery, new_result, wall

HELPER = '''from manim import *


def caption(text):
    return Text(text, font_size=28).to_edge(DOWN)
'''

#: Six small scenes, each with its own formula, so both sides compile the same TeX.
SCENES = [
    ("Scene1_Circle", "Create(Circle())", r"a^2 + b^2 = c^2"),
    ("Scene2_Square", "Create(Square())", r"e^{i\pi} + 1 = 0"),
    ("Scene3_Triangle", "Create(Triangle())", r"\sum_{k=1}^n k = \frac{n(n+1)}{2}"),
    ("Scene4_Star", "Create(Star())", r"\int_0^1 x\,dx = \frac{1}{2}"),
    ("Scene5_Arrow", "GrowArrow(Arrow(LEFT, RIGHT))", r"\nabla \cdot E = \rho"),
    ("Scene6_Dot", "FadeIn(Dot(radius=0.3))", r"\lim_{x\to 0} \frac{\sin x}{x} = 1"),
]

SPEC = """title: {title}
summary: A short story in parts, for the chapter benchmark.
level: intro
prompt: Tell it in parts.
anchors:
  - label: Pythagoras
    latex: 'a^2 + b^2 = c^2'
scene:
  duration: 12
"""

BUILD = [PY, "-m", "builder", "build", "--no-site", "--quiet", "-q", "l", "--jobs", "2"]


def scene_code(name: str, action: str, latex: str) -> str:
    """One scene class: a shape, a formula, a caption, about 1.5 s of video."""
    return (f"\n\nclass {name}(Scene):\n    def construct(self):\n"
            f"        self.add(caption({name.split('_')[1]!r}))\n"
            f'        self.play({action}, Write(MathTex(r"{latex}").to_edge(UP)), run_time=1)\n'
            "        self.wait(0.5)\n")


def _concept(root: Path, slug: str, source: str) -> None:
    (root / "concepts" / f"{slug}.yaml").write_text(SPEC.format(title=slug.replace("-", " ").title()))
    folder = root / "scenes" / slug
    folder.mkdir(parents=True)
    (folder / "scene.py").write_text(source)
    (folder / "notes.md").write_text("Notes: $a^2 + b^2 = c^2$.\n")


def projects(work: Path) -> tuple[Path, Path]:
    """The joined project (one concept, six scenes) and the separate one (six concepts)."""
    joined = make_gallery(work / "joined", 0)
    _concept(joined, "story", HELPER + "".join(scene_code(*s) for s in SCENES))
    separate = make_gallery(work / "separate", 0)
    for index, scene in enumerate(SCENES, start=1):
        _concept(separate, f"part-{index}", HELPER + scene_code(*scene))
    return joined, separate


def _entries(root: Path) -> list[RenderInfo]:
    """The render facts (render.json) of every concept the build published."""
    from builder.record import load_build_record, read_render_info

    out = []
    for slug, item in sorted(load_build_record(root / ".cache/build/report.json").concepts.items()):
        info = read_render_info(root / ".cache/render" / item.render_key) if item.render_key else None
        if item.status == "failed" or info is None:
            raise RuntimeError(f"{root.name}: {slug} failed: {item.error}")
        out.append(info)
    return out


def _part_seconds(root: Path, entry: RenderInfo) -> list[float]:
    """Each chapter render's own seconds (the parts the joined entry was made of)."""
    from builder.record import read_render_info

    keys = entry.key_parts.get("parts", []) if isinstance(entry.key_parts, dict) else []
    found = [read_render_info(root / ".cache/render" / key) for key in keys]
    return [info.seconds for info in found if info is not None]


def chapters(*, quick: bool) -> Result:
    """Alternating cold builds of both projects; render work and the join's share."""
    runs = 1 if quick else 7  # per-run ratios spread 1.01x..1.19x with 3: the goal sits inside the noise
    result = new_result("chapters", command="", quick=quick,
                        scope=f"six scenes of about 1.5 s at quality l, `--jobs 2`, cold cache; {runs} "
                              f"run{'s' * (runs > 1)} per side, alternating")
    work = OUTPUT / "chapters"
    joined_render: list[float] = []
    separate_render: list[float] = []
    join_share: list[float] = []
    join_seconds: list[float] = []
    walls: dict[str, list[float]] = {"joined build": [], "separate build": []}
    chapter_seconds: list[float] = []
    video_seconds: list[float] = []
    for run in range(runs):
        joined, separate = projects(work)
        order = [("joined build", joined), ("separate build", separate)]
        for label, root in order if run % 2 == 0 else order[::-1]:
            shutil.rmtree(root / ".cache", ignore_errors=True)
            walls[label].append(wall(BUILD, root)[0])
        (entry,) = _entries(joined)
        parts = entry.seconds
        join = entry.join_seconds or 0.0
        joined_render.append(parts + join)
        join_seconds.append(join)
        join_share.append(100 * join / parts)
        separates = _entries(separate)
        separate_render.append(sum(e.seconds for e in separates))
        chapter_seconds += _part_seconds(joined, entry)
        video_seconds += [e.seconds for e in separates]
    ratios = [a / b for a, b in zip(joined_render, separate_render, strict=True)]
    gap = statistics.median(joined_render) - statistics.median(separate_render)
    per_scene = (gap - statistics.median(join_seconds)) / len(SCENES)
    result["figures"] += [
        figure("chaptered video / six separate videos (render seconds)", ratios, unit="x",
               baseline="the same six scenes as six one-scene concepts in one build",
               goal=("<=", 1.05), command=command_line(BUILD),
               parts={"six chapters + join": joined_render, "six separate videos": separate_render,
                      "one chapter's render": chapter_seconds, "one separate video's render": video_seconds},
               note="" if statistics.median(ratios) <= 1.05 else
               f"the chaptered side took {gap:.2f} s more in all: the join's "
               f"{statistics.median(join_seconds):.2f} s, and {per_scene:.2f} s per chapter render. One "
               f"chapter's render took {statistics.median(chapter_seconds):.2f} s at the median "
               f"({min(chapter_seconds):.2f}..{max(chapter_seconds):.2f} s), one separate video's "
               f"{statistics.median(video_seconds):.2f} s ({min(video_seconds):.2f}..{max(video_seconds):.2f} s): "
               "the chapters run the same code at the same quality in the same sandbox, and what "
               "costs a chapter render more is not found yet; with renders of about 1.5 s, a tenth "
               "of a second is 5% or more"),
        figure("join's own time, share of the chapters' render seconds", join_share, unit="%",
               baseline="the sum of the six chapter renders' seconds", goal=("<=", 2.0),
               parts={"join_seconds": join_seconds},
               note="" if max(join_share) <= 2.0 else
               f"the join took {max(join_seconds):.2f} s at most; besides copying packets it decodes "
               "the joined video for the poster and the animated preview, a fixed cost that six "
               "short chapters do not amortize"),
        figure("whole build, joined / separate (wall)",
               [a / b for a, b in zip(walls["joined build"], walls["separate build"], strict=True)],
               unit="x", baseline="the separate build's wall time (it compiles six notes PDFs, "
               "the joined one compiles one: not a like-for-like figure, so no goal)",
               parts=walls),
    ]
    result["notes"].append(
        "Render seconds come from each published entry's render.json (`seconds`; the joined "
        "entry's is the sum of its chapters, and `join_seconds` is the join: packets copied, "
        "poster, preview, storyboard).")
    return result
