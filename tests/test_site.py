"""The generated site without a browser: sanitized notes, relative links, the report's plots.

One module build of the fixture gallery plus a "hostile" concept whose model-written notes and
reasoning try every trick (scripts, handlers, javascript: links, iframes, styles, images); the
site is built for a sub-path (site_url ends in /gallery/).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, RenderPool, make_project
from jinja2 import Environment
from mkdocs.config import load_config

from builder.build import BuildOptions, BuildRecord, build
from builder.record import ConceptRecord, RenderInfo
from builder.scenes import SceneEntry
from builder.site.gallery import GalleryItem
from builder.site.pages import bar_chart, concept_markdown, gallery_html, report_markdown, theme_env
from builder.site.sanitize import clean_html, render_notes
from builder.spec import Anchor, Concept
from builder.video.render import RenderOutput

HOSTILE_NOTES = r"""# Hostile notes

A formula $a^2 + b^2 = c^2$ and a display:

$$
\int_0^1 x\,dx = \frac{1}{2} \quad 0 < 1
$$

<script>alert("notes")</script>
<img src="https://evil.example/x.png" onerror="alert(1)">
<iframe src="https://evil.example/frame"></iframe>
<style>body { display: none }</style>
<a href="javascript:alert(2)">click me</a> and [also](javascript:alert(3)) and
[a real link](https://en.wikipedia.org/wiki/Pythagorean_theorem).
<div onclick="alert(4)" style="color:red" class="md-header" id="__search">styled</div>
<form action="https://evil.example"><input name="q"></form>
![tracking pixel](https://evil.example/pixel.gif)

| side | length |
|------|--------|
| $a$  | 3      |
| $b$  | 4      |

## Why it works

Squares on the legs add up to the square on the hypotenuse.
"""

HOSTILE_REASONING = """Let me think. <script>steal()</script><svg onload="alert(5)"></svg>
The scene needs a right triangle with sides $3, 4, 5$.
"""

HOSTILE_SCENE = """from manim import *


class HostileNotesScene(Scene):
    def construct(self):
        self.play(Create(Square()), run_time=0.5)
"""

HOSTILE_META = {
    "schema": 1,
    "slug": "hostile-notes",
    "provenance": "model",
    "model": "test-model",
    "provider": "openai",
    "generator": "test-model",
    "scene_class": "HostileNotesScene",
    # The shape builder.stages.generate writes (generate_with_repair): tokens summed over the calls.
    "date": "2025-01-02T03:04:05+00:00",
    "tokens": {"prompt": 1200, "completion": 800, "reasoning": 300},
    "attempts": [
        {"attempt": 1, "ok": False, "diagnostics": "NameError: name 'Squar' is not defined",
         "tokens": 1200, "model_seconds": 1.0, "check_seconds": 0.5},
        {"attempt": 2, "ok": True, "diagnostics": "", "tokens": 800, "model_seconds": 1.0,
         "check_seconds": 0.5},
    ],
}

SPEC = """title: Hostile notes
summary: Model-written text that tries every trick.
tags: [security, geometry]
level: graduate
prompt: A right triangle and the squares on its sides.
anchors:
  - label: Pythagoras
    latex: 'a^2 + b^2 = c^2'
prerequisites: [euler-identity]
scene:
  duration: 5
"""

SITE_URL = "http://127.0.0.1:8000/gallery/"


@dataclass
class Built:
    root: Path
    report: BuildRecord

    def html(self, *parts: str) -> str:
        return self.root.joinpath("site", *parts).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Iterator[Built]:
    root = make_project(tmp_path_factory.mktemp("site") / "gallery")
    render_pool.seed(root)  # the fixture gallery's media, if another module rendered them already
    (root / "concepts" / "hostile-notes.yaml").write_text(SPEC, encoding="utf-8")
    scene = root / "scenes" / "hostile-notes"
    scene.mkdir(parents=True)
    (scene / "scene.py").write_text(HOSTILE_SCENE, encoding="utf-8")
    (scene / "notes.md").write_text(HOSTILE_NOTES, encoding="utf-8")
    (scene / "reasoning.md").write_text(HOSTILE_REASONING, encoding="utf-8")
    (scene / "meta.json").write_text(json.dumps(HOSTILE_META), encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "# site_url: https://example.org/gallery/", f"site_url: {SITE_URL}"), encoding="utf-8")
    report = build(config, BuildOptions())
    assert report.site_error is None, report.site_error
    render_pool.add(root)
    yield Built(root, report)


FORBIDDEN = ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<style",
             "<img", "<form", "<input", "evil.example", "__search", "md-header", "color:red")


# --------------------------------------------------------------------------- sanitizer


def test_sanitizer_drops_every_trick_and_keeps_math_and_tables() -> None:
    html = render_notes(HOSTILE_NOTES)
    for needle in FORBIDDEN:
        assert needle not in html, needle
    assert '<span class="arithmatex">\\(a^2 + b^2 = c^2\\)</span>' in html
    assert '<div class="arithmatex">\\[' in html and "0 &lt; 1" in html
    assert "<table>" in html and "<td>3</td>" in html
    assert 'href="https://en.wikipedia.org/wiki/Pythagorean_theorem"' in html
    assert 'rel="noopener nofollow ugc"' in html
    assert "<h3>Hostile notes</h3>" in html and "<h4>Why it works</h4>" in html, "headings sit under the page's"


@pytest.mark.parametrize("dirty", [
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<svg><script>alert(1)</script></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<object data="https://evil.example"></object><embed src="https://evil.example">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<p style="background:url(https://evil.example)">x</p>',
])
def test_clean_html_table(dirty: str) -> None:
    clean = clean_html(dirty).lower()
    for needle in ("javascript", "<script", "onerror", "data:", "evil.example", "<style", "<svg", "<meta", "<base"):
        assert needle not in clean, (dirty, clean)


# --------------------------------------------------------------------------- the built site


@pytest.mark.integration
def test_hostile_concept_page_is_sanitized(built: Built) -> None:
    assert built.report.concepts["hostile-notes"].status == "built"
    html = built.html("concepts", "hostile-notes", "index.html")
    start = html.index('<div class="mr-notes">')
    notes = html[start:html.index('<h2 id="downloads"', start)]
    for needle in FORBIDDEN:
        assert needle not in notes, needle
    assert "\\(a^2 + b^2 = c^2\\)" in notes
    assert "<table>" in notes and "<td>4</td>" in notes
    reasoning = html[html.index('<details class="abstract mr-reasoning">'):]
    reasoning = reasoning[:reasoning.index("</details>")]
    assert "right triangle" in reasoning
    for needle in ("<script", "steal()", "onload", "<svg"):
        assert needle not in reasoning, needle


@pytest.mark.integration
def test_provenance_card_shows_model_attempts_tokens_versions(built: Built) -> None:
    html = built.html("concepts", "hostile-notes", "index.html")
    card = html[html.index('<dl class="mr-provenance">'):]
    card = re.sub(r"<[^>]+>", " ", card[:card.index("</dl>")])
    assert "model test-model (openai)" in card
    assert "Attempts   2" in card or re.search(r"Attempts\s+2\b", card)
    assert re.search(r"Tokens\s+2,000 \(1,200 prompt, 800 completion, 300 reasoning\)", card)
    assert re.search(r"Render\s+\d+\.\d s at quality l \(480p15\)", card)
    assert re.search(r"manim \d", card) and re.search(r"pandoc \d", card)
    assert "2025-01-02 03:04 UTC" in card
    assert "The model&#x27;s reasoning" in html or "The model's reasoning" in html


@pytest.mark.integration
def test_concept_page_parts(built: Built) -> None:
    html = built.html("concepts", "euler-identity", "index.html")
    assert '<video class="mr-video" controls preload="none"' in html
    assert html.count('class="mr-frame"') >= 4, "storyboard strip under the video"
    assert '<ol class="mr-anchors">' in html and html.count('<li class="mr-anchor">') == 2
    for name in ("notes.pdf", "notes.tex", "video.mp4", "scene.py"):
        assert f'href="{name}" download="euler-identity' in html
    code = html[html.index('<details class="example">'):]
    assert '<div class="highlight">' in code and '<span class="k">class</span>' in code, "highlighted"
    # learning path both ways: euler needs geometric-series; hostile-notes needs euler
    path = html[html.index('<div class="mr-path">'):]
    assert 'href="../geometric-series/"' in path and 'href="../hostile-notes/"' in path
    site = built.root / "site" / "concepts" / "euler-identity"
    for name in ("preview.webp", "poster.png", "storyboard/frame-01.png"):
        assert (site / name).is_file(), name


@pytest.mark.integration
def test_failed_concept_page(built: Built) -> None:
    html = built.html("concepts", "broken-scene", "index.html")
    assert "failed to build (render)" in html
    assert "undefined_distance" in html
    assert "mathreel build --only broken-scene" in html


@pytest.mark.integration
def test_index_cards_filters_and_lazy_media(built: Built) -> None:
    html = built.html("index.html")
    cards = re.findall(r'<a class="mr-card"[^>]*>', html)
    assert len(cards) == 4
    assert 'data-preview="concepts/euler-identity/preview.webp"' in html
    assert re.search(r'src="concepts/euler-identity/poster.png"[^>]*loading="lazy"', html)
    assert 'data-date="2025-01-02T03:04:05+00:00"' in html
    assert re.search(r'data-tag="series" aria-pressed="false">series <span class="mr-count"[^>]*>2</span>', html)
    assert 'data-level="graduate"' in html and "data-mr-sort" in html
    assert "<video" not in html


@pytest.mark.integration
def test_links_are_relative_for_a_sub_path(built: Built) -> None:
    """Served from /gallery/, every URL the pages fetch or link inside the site is relative."""

    class Urls(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, str, str]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name in ("href", "src", "poster", "data-preview") and value:
                    self.found.append((tag, name, value))

    site = built.root / "site"
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue  # MkDocs writes the 404 page with root-relative URLs on purpose: any path serves it
        parser = Urls()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, name, value in parser.found:
            assert not value.startswith("/"), f"{page}: {tag} {name}={value} is absolute"
            if tag in ("script", "img", "video", "source", "iframe") or (tag == "link" and name == "href"):
                fetched = value if not value.startswith(SITE_URL) else ""
                assert not re.match(r"^(https?:)?//", fetched), f"{page}: {tag} fetches {value}"
    css = (site / "assets" / "stylesheets" / "mathreel.css").read_text() + (
        site / "assets" / "katex" / "katex.min.css").read_text()
    assert not re.search(r"url\((['\"]?)(https?:)?//", css)
    assert 'href="http://127.0.0.1:8000/gallery/concepts/euler-identity/"' in built.html(
        "concepts", "euler-identity", "index.html"), "canonical URL from site_url"


@pytest.mark.integration
def test_notes_link_back_to_the_page(built: Built) -> None:
    tex = built.root.joinpath("site", "concepts", "euler-identity", "notes.tex").read_text()
    assert f"{SITE_URL}concepts/euler-identity/" in tex
    assert "\\begin{equation}" in tex


@pytest.mark.integration
def test_search_index_has_titles_anchors_and_notes(built: Built) -> None:
    index = json.loads(built.html("search", "search_index.json"))
    assert "\\\\" in index["config"]["separator"], "LaTeX backslashes separate words"
    texts = {doc["location"]: doc["title"] + " " + doc["text"] for doc in index["docs"]}
    geometric = " ".join(t for loc, t in texts.items() if loc.startswith("concepts/geometric-series/"))
    assert "Geometric series" in geometric
    assert "\\infty" in geometric, "anchor LaTeX is indexed"
    assert "Halves that add up to a whole" in geometric
    hostile = " ".join(t for loc, t in texts.items() if loc.startswith("concepts/hostile-notes/"))
    assert "Squares on the legs" in hostile, "notes are indexed"
    assert "alert" not in hostile


@pytest.mark.integration
def test_report_page_has_totals_and_svg_plots(built: Built) -> None:
    html = built.html("report", "index.html")
    assert html.count('<svg class="mr-plot-svg"') == 2, "render time and tokens plots"
    for svg in re.findall(r'<svg class="mr-plot-svg".*?</svg>', html, re.S):
        ET.fromstring(svg)  # well-formed
    assert html.count('class="mr-plot-bar"') == 3 + 1, "three rendered concepts, one with tokens"
    assert "<tfoot>" in html and "2,000" in html
    assert 'mr-status-failed">failed<' in html
    assert re.search(r'<td class="mr-num">2</td>', html), "attempts of the hostile concept"


# --------------------------------------------------------------------------- pure functions


@pytest.fixture(scope="module")
def env() -> Environment:
    """The templates as the repo's site renders them (custom_dir: site_overrides)."""
    return theme_env(load_config(str(REPO / "mkdocs.yml")))


def _item(*, status: str = "built", error: str | None = None, error_stage: str | None = None,
          attempts: int = 0, video: bool = False, **changes: object) -> GalleryItem:
    concept = Concept(slug="pythagoras", path=Path("concepts/pythagoras.yaml"), title="Pythagoras <b>",
                      prompt="p", anchors=(Anchor("Sides & squares", "a^2 + b^2 = c^2"),),
                      summary="Right <triangles>", tags=("geometry",), level="intro")
    meta = {"provenance": "model", "attempts": [{"attempt": n + 1, "ok": False} for n in range(attempts)]}
    record = ConceptRecord(slug=concept.slug, title=concept.title, status=status, provenance="model",
                           generator="m", error=error, error_stage=error_stage)
    entry = SceneEntry(slug=concept.slug, folder=Path("scenes/pythagoras"), source="x = 1\n", notes="",
                       meta=meta)
    info = RenderInfo(key="k", seconds=1.0, duration=2.0, size=1, quality="l")
    item = GalleryItem(concept=concept, record=record, entry=entry,
                       output=RenderOutput(key="k", folder=Path("."), info=info) if video else None)
    return replace(item, **changes)  # type: ignore[arg-type]


def test_spec_text_is_escaped_everywhere(env: Environment) -> None:
    item = _item()
    page = concept_markdown(item, {}, [], env=env)
    grid = gallery_html([item], env=env)
    for html in (page, grid):
        assert "<b>" not in html and "<triangles>" not in html
    assert "Sides &amp; squares" in page


def test_failed_page_keeps_the_last_good_video(env: Environment) -> None:
    item = _item(status="failed", error="Manim failed:\nboom", error_stage="render", stale_video=True,
                 video=True, attempts=3)
    page = concept_markdown(item, {}, [], env=env)
    assert '<video class="mr-video"' in page
    assert "last one that built" in page
    assert "mathreel build --only pythagoras" in page
    assert "tried 3 times" in page


def test_provenance_card_shows_the_token_split_the_author_writes(env: Environment) -> None:
    # builder.stages.generate sums each call's usage into {"prompt", "completion", "reasoning"}.
    item = _item()
    entry = replace(item.entry, meta={**item.entry.meta, "tokens": {"prompt": 1200, "completion": 800,  # type: ignore[union-attr]
                                                                      "reasoning": 300}})
    page = concept_markdown(replace(item, entry=entry), {}, [], env=env)
    assert "2,000 (1,200 prompt, 800 completion, 300 reasoning)" in page

def test_bar_chart_is_valid_svg_and_escapes_labels(env: Environment) -> None:
    svg = bar_chart([("A <long> & strange title that goes on and on", 3.0, "3.0 s"), ("B", 0.0, "0.0 s")],
                    title="Render time", unit="seconds", chart_id="t", env=env)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert svg.count('class="mr-plot-bar"') == 2
    assert "&lt;long&gt; &amp; strange" in svg


def test_report_without_a_build(env: Environment) -> None:
    assert "No build has run yet" in report_markdown([], BuildRecord(concepts={}), env=env)
