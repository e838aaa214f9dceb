"""The concept page of a video with chapters, without a browser: the chapters track, the chapter
list, the storyboard grouped by chapter, the WebM source and the key equations' times. Chapter
titles come from model-written docstrings: they are escaped like any model text."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO
from jinja2 import Environment
from mkdocs.config import load_config

from builder.record import RENDER_JSON, ConceptRecord, RenderInfo
from builder.settings import Settings
from builder.site.gallery import GalleryItem, _item, chapter_at
from builder.site.pages import concept_markdown, theme_env
from builder.spec import Anchor, Concept
from builder.video.chapters import Chapter
from builder.video.render import RenderOutput, cached_render

HOSTILE = "<img src=x onerror=alert(1)>"
CHAPTERS = (Chapter("A circle", 0.0, 1.0, "Scene1"), Chapter(HOSTILE, 1.0, 3.0, "Scene2"),
            Chapter("Triangle", 3.0, 65.2, "Scene3"))
FRAMES = tuple((Path(f"storyboard/chapter-0{c + 1}-frame-0{i}.png"), t)
               for c, i, t in ((0, 1, 0.0), (0, 2, 0.5), (1, 1, 1.0), (1, 2, 2.0), (2, 1, 3.0), (2, 2, 40.0)))


def _item_with(*, chapters: tuple[Chapter, ...] = (), video: bool = True, **changes: object) -> GalleryItem:
    concept = Concept(slug="shapes", path=Path("concepts/shapes.yaml"), title="Shapes", prompt="p",
                      anchors=(Anchor("Identity", "x = x"), Anchor("Never drawn", "y = 2"),
                               Anchor("Unknown", "z = 3")))
    info = RenderInfo(key="k", seconds=1.0, duration=65.2, size=1, quality="l", chapters=chapters)
    record = ConceptRecord(slug="shapes", title="Shapes", status="built", provenance="model", generator="m")
    item = GalleryItem(concept=concept, record=record,
                       output=RenderOutput(key="k", folder=Path("."), info=info) if video else None)
    return replace(item, **changes)  # type: ignore[arg-type]


def _chaptered(**changes: object) -> GalleryItem:
    fields: dict[str, object] = {
        "chapters": CHAPTERS, "chapters_vtt": Path("chapters.vtt"), "storyboard": FRAMES,
        "storyboard_chapters": (0, 0, 1, 1, 2, 2), "webm": Path("video.webm"),
        "anchor_times": {"x = x": 12.4, "y = 2": None}}
    return _item_with(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def env() -> Environment:
    """The templates as the repo's site renders them (custom_dir: site_overrides)."""
    return theme_env(load_config(str(REPO / "mkdocs.yml")))


class _Tags(HTMLParser):
    """Every start tag with its attributes, in document order; text per element class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_chapters_track_only_when_the_video_has_chapters(env: Environment) -> None:
    page = concept_markdown(_chaptered(), {}, [], env=env)
    tracks = [attrs for tag, attrs in _tags(page) if tag == "track"]
    assert tracks == [{"kind": "chapters", "src": "chapters.vtt", "srclang": "en", "label": "Chapters",
                       "default": None}]
    plain = concept_markdown(_item_with(storyboard=FRAMES), {}, [], env=env)
    assert "<track" not in plain and "mr-chapter" not in plain
    # a VTT without chapter facts (or chapters without a VTT) gives no track
    assert "<track" not in concept_markdown(_item_with(chapters_vtt=Path("chapters.vtt")), {}, [], env=env)
    assert "<track" not in concept_markdown(_chaptered(chapters_vtt=None), {}, [], env=env)


def test_webm_source_comes_after_the_mp4(env: Environment) -> None:
    sources = [attrs for tag, attrs in _tags(concept_markdown(_chaptered(), {}, [], env=env)) if tag == "source"]
    assert sources == [{"src": "video.mp4", "type": "video/mp4"}, {"src": "video.webm", "type": "video/webm"}]
    without = [attrs for tag, attrs in _tags(concept_markdown(_item_with(), {}, [], env=env)) if tag == "source"]
    assert without == [{"src": "video.mp4", "type": "video/mp4"}]


def test_chapter_list_has_buttons_with_titles_and_start_times(env: Environment) -> None:
    page = concept_markdown(_chaptered(), {}, [], env=env)
    buttons = [attrs for tag, attrs in _tags(page) if tag == "button" and "mr-chapter" in (attrs["class"] or "").split()]
    assert [b["data-time"] for b in buttons] == ["0.00", "1.00", "3.00"]
    assert [b["data-end"] for b in buttons] == ["1.00", "3.00", "65.20"]
    assert '<span class="mr-chapter-time">0:00</span> <span class="mr-chapter-title">A circle</span>' in page
    assert '<span class="mr-chapter-time">0:03</span> <span class="mr-chapter-title">Triangle</span>' in page
    # the list is page text beside the player (Material's search indexes it)
    assert page.index('<nav class="mr-chapters"') < page.index('class="mr-storyboard-groups"')


def test_hostile_chapter_title_is_escaped_everywhere(env: Environment) -> None:
    page = concept_markdown(_chaptered(), {}, [], env=env)
    assert HOSTILE not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 3  # the list, the heading, its label
    assert not [attrs for _, attrs in _tags(page) if "onerror" in attrs or attrs.get("src") == "x"]


def test_storyboard_is_grouped_by_chapter(env: Environment) -> None:
    page = concept_markdown(_chaptered(), {}, [], env=env)
    groups = page.split('<section class="mr-storyboard-group"')[1:]
    assert len(groups) == 3
    assert '<h3 class="mr-storyboard-heading">1. A circle' in groups[0]
    assert "0:00–0:01" in groups[0] and "1:05" in groups[2]
    assert [g.count('class="mr-frame"') for g in groups] == [2, 2, 2]
    assert 'data-time="2.00"' in groups[1] and 'data-time="40.00"' in groups[2]
    # without chapters: one flat list, as before
    flat = concept_markdown(_item_with(storyboard=FRAMES), {}, [], env=env)
    assert "mr-storyboard-group" not in flat and flat.count('class="mr-frame"') == 6


def test_key_equations_carry_their_time_or_say_they_are_not_shown(env: Environment) -> None:
    page = concept_markdown(_chaptered(), {}, [], env=env)
    anchors = page[page.index('<ol class="mr-anchors">'):]
    anchors = anchors[:anchors.index("</ol>")]
    items = anchors.split('<li class="mr-anchor">')[1:]
    assert 'class="mr-anchor-when mr-anchor-time" data-time="12.40"' in items[0]
    assert ">at 0:12</button>" in items[0]
    assert "not shown in the video" in items[1] and "<button" not in items[1]
    assert "mr-anchor-when" not in items[2]  # no record for this anchor: nothing claimed
    # no video, no times: there is nothing to seek
    assert "mr-anchor-when" not in concept_markdown(_chaptered(video=False), {}, [], env=env)


def test_chapter_at_places_a_time_in_its_chapter() -> None:
    assert [chapter_at(CHAPTERS, t) for t in (0.0, 0.99, 1.0, 2.5, 3.0, 99.0)] == [0, 0, 1, 1, 2, 2]


def test_gallery_item_reads_chapters_frames_and_anchor_times(tmp_path: Path) -> None:
    """`_item` from a render folder: chapters from render.json, frames placed in their chapter,
    anchor times from the build report (an anchor the spec no longer has is dropped)."""
    settings = Settings(root=tmp_path, config_file=tmp_path / "mkdocs.yml", concepts_dir=tmp_path / "concepts",
                        scenes_dir=tmp_path / "scenes", cache_dir=tmp_path / ".cache", site_dir=tmp_path / "site")
    key = "k" * 64
    folder = settings.render_dir / key
    (folder / "storyboard").mkdir(parents=True)
    for name in ("video.mp4", "poster.png", "preview.webp", "storyboard/a.png", "storyboard/b.png",
                 "storyboard/c.png"):
        (folder / name).write_bytes(b"x")
    info = {"key": key, "duration": 3.0, "seconds": 1.0, "size": 1, "quality": "l",
            "chapters": [{"title": "One", "start": 0, "end": 1}, {"title": "Two", "start": 1, "end": 3}],
            # a `next_section` render's frames carry no chapter: they are placed by time
            "storyboard": [{"file": "storyboard/a.png", "time": 0.2}, {"file": "storyboard/b.png", "time": 1.0},
                           {"file": "storyboard/c.png", "time": 2.5, "chapter": 0},
                           {"file": "storyboard/gone.png", "time": 2.9}]}
    (folder / RENDER_JSON).write_text(json.dumps(info), "utf-8")
    assert cached_render(settings.render_dir, key) is not None, "the fixture must look published"
    concept = _item_with().concept
    rep = ConceptRecord.from_json(
        {"slug": "shapes", "status": "built", "render_key": key,
         "render": {"key": key, "anchors": [{"label": "Identity", "latex": "x = x", "time": 1.5},
                                            {"label": "Never drawn", "latex": "y = 2", "time": None},
                                            {"label": "Old", "latex": "w = 0", "time": 0.1}]}})
    item = _item(concept, settings, rep)
    assert [c.title for c in item.chapters] == ["One", "Two"]
    assert [p.name for p, _ in item.storyboard] == ["a.png", "b.png", "c.png"]
    assert item.storyboard_chapters == (0, 1, 0)  # a recorded chapter wins over the time
    assert item.anchor_times == {"x = x": 1.5, "y = 2": None}

    # one chapter is no navigation; a malformed chapter list is none at all
    for chapters in ([{"title": "Only", "start": 0, "end": 3}],
                     [{"title": "One", "start": 0, "end": 1}, {"title": "Bad", "start": "x", "end": 3}]):
        (folder / RENDER_JSON).write_text(json.dumps({**info, "chapters": chapters}), "utf-8")
        again = _item(concept, settings, rep)
        assert again.chapters == () and again.storyboard_chapters == ()
