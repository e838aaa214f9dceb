"""Several scenes in one file become one video with chapters; `next_section` marks chapters too.

Real Manim renders at -ql through the sandbox, a real join with PyAV, a real build report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_project

from builder.build import BuildOptions, build
from builder.video.media import probe

pytestmark = pytest.mark.integration

STORY = '''from manim import *


def caption(text):
    return Text(text, font_size=28).to_edge(DOWN)


class Scene1_Circle(Scene):
    """A circle"""

    def construct(self):
        self.add(caption("one"))
        self.play(Create(Circle()), run_time=1)


class Scene2_Square(Scene):
    def construct(self):
        self.play(Create(Square()), Write(MathTex(r"x = x").to_edge(UP)), run_time=2)


class Scene3_Triangle(Scene):
    def construct(self):
        self.play(Create(Triangle()), run_time=1)
        self.wait(0.5)
'''

SECTIONS = '''from manim import *


class SectionsScene(Scene):
    def construct(self):
        self.next_section("Setup")
        self.play(Create(Circle()), run_time=1)
        self.next_section("Payoff")
        self.play(Create(Square()), run_time=2)
'''

SPEC = """title: {title}
summary: A short story.
level: intro
prompt: Tell it in parts.
anchors:
  - label: Identity
    latex: 'x = x'
scene:
  duration: 5
"""


def _project(tmp_path: Path, slug: str, source: str) -> Path:
    root = make_project(tmp_path / "gallery", "tiny")
    for spec in (root / "concepts").glob("*.yaml"):
        spec.unlink()
    (root / "concepts" / f"{slug}.yaml").write_text(SPEC.format(title=slug.title()), "utf-8")
    (root / "scenes" / slug).mkdir(parents=True)
    (root / "scenes" / slug / "scene.py").write_text(source, encoding="utf-8")
    (root / "scenes" / slug / "notes.md").write_text("Notes: $x = x$.\n", encoding="utf-8")
    return root


def _chapters(root: Path, slug: str) -> list[dict[str, object]]:
    report = json.loads((root / ".cache/build/report.json").read_text(encoding="utf-8"))
    return list(report["concepts"][slug]["render"]["chapters"])


def test_three_scenes_become_one_video_with_three_chapters(tmp_path: Path) -> None:
    root = _project(tmp_path, "story", STORY)
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["story"]
    assert item.status == "built", item.error
    chapters = _chapters(root, "story")
    assert [c["title"] for c in chapters] == ["A circle", "Square", "Triangle"]
    assert [c["scene_class"] for c in chapters] == ["Scene1_Circle", "Scene2_Square", "Scene3_Triangle"]
    lengths = [float(c["end"]) - float(c["start"]) for c in chapters]  # type: ignore[arg-type]
    assert lengths == pytest.approx([1.0, 2.0, 1.5], abs=0.15)
    folder = root / ".cache/render" / str(item.render_key)
    video = probe(folder / "video.mp4")
    assert video.duration == pytest.approx(sum(lengths), abs=0.1)
    vtt = (folder / "chapters.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == 3 and "Triangle" in vtt
    render = json.loads((folder / "render.json").read_text(encoding="utf-8"))
    assert {f["chapter"] for f in render["storyboard"]} == {0, 1, 2}  # grouped by chapter
    # The anchor first shows in chapter 2: its time indexes the joined video there.
    anchors = item.render.anchors if item.render else ()
    assert [a.latex for a in anchors] == ["x = x"]
    assert anchors[0].time == pytest.approx(float(chapters[1]["start"]), abs=0.1)  # type: ignore[arg-type]

    # A GIF of chapter 2 (2 s at 10 fps), then of a window, through the command line.
    from PIL import Image

    from builder.cli import main

    gif = tmp_path / "chapter.gif"
    assert main(["-f", str(root / "mkdocs.yml"), "export", "story", "--gif", "--chapter", "2",
                 "--width", "240", "-o", str(gif)]) == 0
    with Image.open(gif) as image:
        assert image.size == (240, 135)
        assert int(getattr(image, "n_frames", 1)) == pytest.approx(20, abs=2)
    window = tmp_path / "window.gif"
    assert main(["-f", str(root / "mkdocs.yml"), "export", "story", "--from", "0.5", "--to", "1.5",
                 "--fps", "5", "-o", str(window)]) == 0
    with Image.open(window) as image:
        assert image.size[0] == 480 and int(getattr(image, "n_frames", 1)) == pytest.approx(5, abs=1)
    assert main(["-f", str(root / "mkdocs.yml"), "export", "story", "--chapter", "4"]) == 1

    # Change one chapter: only that chapter renders again; the others come from the cache.
    scene = root / "scenes/story/scene.py"
    scene.write_text(STORY.replace("Create(Square())", "Create(Square(color=RED))"), "utf-8")
    again = build(root / "mkdocs.yml", BuildOptions(site=False))
    redone = [r for r in again.concepts["story"].redone if r.startswith("render: ")]
    assert len(redone) == 1 and "Scene2_Square" in redone[0], redone
    assert again.concepts["story"].render_key != item.render_key

    # Nothing changed: nothing renders, nothing joins.
    third = build(root / "mkdocs.yml", BuildOptions(site=False))
    assert third.concepts["story"].status == "cached"


def test_chapters_false_keeps_the_first_scene_only(tmp_path: Path) -> None:
    root = _project(tmp_path, "story", STORY)
    spec = root / "concepts/story.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "  chapters: false\n", "utf-8")
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["story"]
    assert item.status == "built", item.error
    assert _chapters(root, "story") == []
    assert probe(root / ".cache/render" / str(item.render_key) / "video.mp4").duration == pytest.approx(1.0, abs=0.15)


def test_an_error_in_one_chapter_names_its_scene_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "story", STORY.replace("Create(Triangle())", "Create(Triangle(), bogus=1)"))
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["story"]
    assert item.status == "failed"
    assert "chapter 3 of 3 (Scene3_Triangle, scene.py line 21)" in (item.error or "")
    assert "scene.py line 23 (in construct)" in (item.error or "")  # the failing line itself


def test_next_section_gives_two_chapters(tmp_path: Path) -> None:
    root = _project(tmp_path, "sections", SECTIONS)
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["sections"]
    assert item.status == "built", item.error
    chapters = _chapters(root, "sections")
    assert [c["title"] for c in chapters] == ["Setup", "Payoff"]
    assert [float(c["end"]) - float(c["start"]) for c in chapters] == pytest.approx([1.0, 2.0], abs=0.15)  # type: ignore[arg-type]
    assert (root / ".cache/render" / str(item.render_key) / "chapters.vtt").is_file()
