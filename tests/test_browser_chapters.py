"""A video with chapters in a real browser: Playwright driving Debian's Chromium.

One concept whose scene.py holds three Scene classes (one video, three chapters), `formats:
[mp4, webm]`, and a key equation first drawn inside chapter 2. The gallery is built once per
module at quality l and served on 127.0.0.1 under /site/, with byte ranges, as a real server
would: seeking a video needs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, RenderPool, make_project
from siteserver import BUILDERS, search_documents, serve, zensical_build

from builder.build import BuildOptions, build

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]
SLUG = "story"
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
#: Chapter 2's title comes from its docstring, as a model would write one: HTML stays text.
CHAPTER_2 = "Squares & <em>more</em>"
STORY = f'''from manim import *


class Scene1_Circle(Scene):
    """A circle"""

    def construct(self):
        self.play(Create(Circle()), run_time=1)


class Scene2_Square(Scene):
    """{CHAPTER_2}"""

    def construct(self):
        self.play(Create(Square()), run_time=1)
        self.play(Write(MathTex(r"x = x").to_edge(UP)), run_time=1)


class Scene3_Triangle(Scene):
    def construct(self):
        self.play(Create(Triangle()), run_time=1)
        self.wait(0.5)
'''
SPEC = """title: A story in parts
summary: Three shapes, one after another.
level: intro
prompt: Tell it in parts.
anchors:
  - label: Identity
    latex: 'x = x'
  - label: Never drawn
    latex: 'y = 2'
scene:
  duration: 5
  formats: [mp4, webm]
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Path:
    root = make_project(tmp_path_factory.mktemp("browser-chapters") / "gallery", "tiny")
    for spec in (root / "concepts").glob("*.yaml"):
        spec.unlink()
    (root / "concepts" / f"{SLUG}.yaml").write_text(SPEC, encoding="utf-8")
    (root / "scenes" / SLUG).mkdir(parents=True)
    (root / "scenes" / SLUG / "scene.py").write_text(STORY, encoding="utf-8")
    (root / "scenes" / SLUG / "notes.md").write_text("Notes: $x = x$.\n", encoding="utf-8")
    render_pool.seed(root)
    report = build(root / "mkdocs.yml", BuildOptions())
    assert report.site_error is None, report.site_error
    item = report.concepts[SLUG]
    assert item.status in ("built", "cached"), item.error
    render_pool.add(root)
    return root


@pytest.fixture(scope="module", params=BUILDERS)
def site(request: pytest.FixtureRequest, built: Path) -> Iterator[tuple[Path, str]]:
    """The chaptered concept's page as MkDocs built it, and as Zensical builds it."""
    root = built if request.param == "mkdocs" else zensical_build(built)
    with serve(root) as served:
        yield root, f"{served.base}concepts/{SLUG}/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Playwright package is missing: run `make test` (it installs the dev extras)")
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test`, or `apt-get install chromium`")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, site: tuple[Path, str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(site[1])
    # Record where each seek lands, before playback moves the time on.
    page.evaluate("() => { const v = document.querySelector('video.mr-video'); v.muted = true;"
                  " window.__seeks = []; v.addEventListener('seeked', () => window.__seeks.push(v.currentTime)); }")
    yield page
    context.close()
    assert errors == [], "\n".join(errors)


def _seeked_to(page: Any, count: int) -> float:
    page.wait_for_function(f"window.__seeks.length >= {count}", timeout=20_000)
    return float(page.evaluate(f"window.__seeks[{count - 1}]"))


def _chapters(site: tuple[Path, str]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from builder.record import load_build_record

    render = load_build_record(site[0] / ".cache/build/report.json").concepts[SLUG].render
    assert render is not None
    return [asdict(c) for c in render.chapters]


def test_chapters_track_and_webm_are_served(page: Any) -> None:
    track = page.locator("video.mr-video track")
    assert track.get_attribute("kind") == "chapters" and track.evaluate("t => t.default") is True
    vtt = page.request.get(track.evaluate("t => t.src"))
    assert vtt.status == 200 and vtt.text().startswith("WEBVTT")
    assert vtt.text().count(" --> ") == 3
    sources = page.locator("video.mr-video source").evaluate_all(
        "s => s.map(e => [e.getAttribute('src'), e.type, e.src])")
    assert [s[:2] for s in sources] == [["video.mp4", "video/mp4"], ["video.webm", "video/webm"]]
    webm = page.request.get(sources[1][2])
    assert webm.status == 200 and webm.body()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a Matroska/WebM file
    assert page.evaluate("document.createElement('video').canPlayType('video/webm; codecs=vp9')") != ""


def test_chapter_list_seeks_and_highlights_the_chapter_playing(page: Any, site: tuple[Path, str]) -> None:
    chapters = _chapters(site)
    buttons = page.locator(".mr-chapters button.mr-chapter")
    assert buttons.count() == 3
    titles = page.locator(".mr-chapter-title").all_inner_texts()
    assert titles == ["A circle", CHAPTER_2, "Triangle"], "the docstring's HTML is shown as text"
    assert page.locator(".mr-chapters em").count() == 0
    buttons.nth(1).click()
    assert _seeked_to(page, 1) == pytest.approx(float(chapters[1]["start"]), abs=0.3)
    page.wait_for_function("document.querySelectorAll('.mr-chapter[aria-current=\"true\"]').length === 1")
    assert buttons.nth(1).get_attribute("aria-current") == "true"
    buttons.nth(2).click()
    assert _seeked_to(page, 2) == pytest.approx(float(chapters[2]["start"]), abs=0.3)
    page.wait_for_function("document.querySelectorAll('.mr-chapter')[2].getAttribute('aria-current') === 'true'")
    assert buttons.nth(1).get_attribute("aria-current") is None
    # Playback itself moves the highlight: from the start, chapter 1 is the one playing.
    page.locator("video.mr-video").evaluate("v => { v.currentTime = 0.2; }")
    page.wait_for_function("document.querySelectorAll('.mr-chapter')[0].getAttribute('aria-current') === 'true'")


def test_key_equation_time_seeks_the_video(page: Any, site: tuple[Path, str]) -> None:
    chapters = _chapters(site)
    when = page.locator(".mr-anchor").nth(0).locator("button.mr-anchor-time")
    moment = float(when.get_attribute("data-time"))
    assert float(chapters[1]["start"]) + 0.5 < moment < float(chapters[1]["end"]), "drawn inside chapter 2"
    assert re.fullmatch(r"at \d+:\d\d", when.inner_text())
    when.click()
    assert _seeked_to(page, 1) == pytest.approx(moment, abs=0.3)
    page.wait_for_function("!document.querySelector('video.mr-video').paused")
    missing = page.locator(".mr-anchor").nth(1)
    assert "not shown in the video" in missing.inner_text() and missing.locator("button").count() == 0
    assert page.locator(".mr-anchor-missing").is_visible()


def test_storyboard_is_grouped_by_chapter_and_titles_are_searchable(page: Any, site: tuple[Path, str]) -> None:
    headings = page.locator(".mr-storyboard-heading").all_inner_texts()
    assert [h.split(" ", 1)[1].rsplit(" ", 1)[0] for h in headings] == ["A circle", CHAPTER_2, "Triangle"]
    assert page.locator(".mr-storyboard-group").nth(2).locator(".mr-frame").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # for people to look at the layout
    page.screenshot(path=str(SCREENSHOTS / "concept-chapters-desktop.png"), full_page=True)
    pages = [doc for doc in search_documents(site[0] / "site")
             if "Triangle" in doc["text"] and "A circle" in doc["text"]]
    assert pages and all(doc["location"].startswith(f"concepts/{SLUG}/") for doc in pages)
