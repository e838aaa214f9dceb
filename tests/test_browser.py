"""The built gallery in a real browser: Playwright driving Debian's Chromium.

The fixture gallery is built once (quality l), its parent folder is served on 127.0.0.1 so the
site lives under a sub-path (/site/), and every test records the requests and console
messages of its page: nothing may leave 127.0.0.1 and nothing may log an error.
Screenshots land in tests/output/screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, RenderPool, make_project
from siteserver import BUILDERS, Site, serve, zensical_build

from builder.build import BuildOptions, build

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
SLUGS = ("broken-scene", "euler-identity", "geometric-series")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Path:
    root = make_project(tmp_path_factory.mktemp("browser") / "gallery")
    render_pool.seed(root)
    report = build(root / "mkdocs.yml", BuildOptions())
    assert report.site_error is None, report.site_error
    render_pool.add(root)
    return root


@pytest.fixture(scope="module", params=BUILDERS)
def site(request: pytest.FixtureRequest, built: Path) -> Iterator[Site]:
    """The gallery as `mathreel build` left it (MkDocs), and as `zensical build` makes it."""
    root = built if request.param == "mkdocs" else zensical_build(built)
    with serve(root) as served:
        yield served


def _model_scene(color: str, shape: str) -> str:
    return ("from manim import *\n\n\nclass EulerIdentityScene(Scene):\n    def construct(self):\n"
            f"        self.play(Create({shape}(color={color}, fill_opacity=1)), run_time=1.5)\n"
            "        self.wait(1.5)\n")


#: Two models' scenes for one concept (`models: [model-a, model-b]`), as a build leaves them in
#: scenes/: built offline, they are rendered and shown in tabs without calling any model.
VARIANTS = {
    "scenes/euler-identity": ("model-a", _model_scene("BLUE", "Circle")),
    "scenes/euler-identity/variants/model-b": ("model-b", _model_scene("RED", "Square")),
}


@pytest.fixture(scope="module")
def variant_site(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Iterator[Site]:
    root = make_project(tmp_path_factory.mktemp("browser-variants") / "gallery", "tiny")
    (root / "concepts" / "geometric-series.yaml").unlink()
    spec = root / "concepts" / "euler-identity.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "models: [model-a, model-b]\n", encoding="utf-8")
    for folder, (model, source) in VARIANTS.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "scene.py").write_text(source, encoding="utf-8")
        (root / folder / "notes.md").write_text("# Notes\n\n$$\ne^{i\\pi} + 1 = 0\n$$\n", encoding="utf-8")
        meta = {"schema": 1, "slug": "euler-identity", "provenance": "model", "model": model,
                "generator": model, "scene_class": "EulerIdentityScene"}
        (root / folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    render_pool.seed(root)
    report = build(root / "mkdocs.yml", BuildOptions())
    assert report.site_error is None, report.site_error
    item = report.concepts["euler-identity"]
    assert item.status == "built", item.error
    assert [(v.model, v.status) for v in item.variants] == [("model-b", "built")], item.variants
    render_pool.add(root)
    with serve(root) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("the Playwright package is missing: run `make test` (it installs the dev "
                    "extras), or `.venv/bin/pip install playwright`")
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test` (scripts/setup-system.sh "
                    "installs Debian's chromium), or `apt-get install chromium`")
    with sync_playwright() as p:
        try:
            instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} does not start under Playwright: {exc}")
        yield instance
        instance.close()


@dataclass
class Recorder:
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda msg: self.errors.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        # ERR_ABORTED is the browser cancelling a load it no longer needs (the page moved
        # on); a missing file shows as a >= 400 response instead, which is an error.
        page.on("requestfailed", lambda request: self.errors.append(
            f"request failed: {request.url} {request.failure}")
            if not request.url.endswith((".mp4", ".webp")) and "ERR_ABORTED" not in str(request.failure)
            else None)
        page.on("response", lambda response: self.errors.append(
            f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)

    def check(self) -> None:
        outside = [url for url in self.requests
                   if not url.startswith("http://127.0.0.1:") and not url.startswith(("data:", "blob:"))]
        assert outside == [], f"requests left the site: {outside}"
        assert self.errors == [], "\n".join(self.errors)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def page(browser: Any, recorder: Recorder) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = context.new_page()
    recorder.attach(page)
    yield page
    context.close()
    recorder.check()


def _visible_cards(page: Any) -> list[str]:
    return [str(s) for s in page.eval_on_selector_all(
        ".mr-card", "cards => cards.filter(c => !c.hidden && c.offsetParent !== null).map(c => c.dataset.slug)")]


def _shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _open(page: Any, url: str) -> None:
    """Go to a page and wait until it and its fonts have loaded (not for the network to fall
    idle: the videos keep it busy, and a screenshot does not need them)."""
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")


def _made_with(site: Site) -> str:
    """A screenshot name's prefix: none for the default MkDocs build, `zensical-` for Zensical's."""
    return "zensical-" if site.root.name.endswith("-zensical") else ""


def _wait_for_math(page: Any) -> None:
    page.wait_for_function("document.querySelectorAll('.arithmatex').length === 0 || "
                           "document.querySelectorAll('.arithmatex .katex').length > 0")


# --------------------------------------------------------------------------- index


def test_index_shows_every_card(page: Any, site: Site, recorder: Recorder) -> None:
    page.goto(site.base)
    assert sorted(_visible_cards(page)) == sorted(SLUGS)
    assert page.locator(".mr-toolbar").is_visible()
    assert page.locator("[data-mr-shown]").inner_text() == "3"
    for slug in ("euler-identity", "geometric-series"):
        card = page.locator(f'.mr-card[data-slug="{slug}"]')
        assert card.locator("img.mr-card-poster").get_attribute("loading") == "lazy"
        assert card.locator(".mr-card-title").inner_text()
        assert card.locator(".mr-level").inner_text() == "intro"
    assert "build failed" in page.locator('.mr-card[data-slug="broken-scene"]').inner_text()
    # nothing heavy is fetched for a gallery visit: no video, no preview before it is asked for
    assert not [u for u in recorder.requests if u.endswith((".mp4", ".webp"))]
    grid = page.eval_on_selector(".mr-gallery", "g => getComputedStyle(g).gridTemplateColumns.split(' ').length")
    assert grid == 4, "four columns at 1280 px"


def test_tag_and_level_filters_without_reload(page: Any, site: Site) -> None:
    page.goto(site.base)
    page.evaluate("window.__noReload = true")
    tag = page.locator('.mr-filter[data-tag="analysis"]')
    assert tag.locator(".mr-count").inner_text() == "1"
    assert page.locator('.mr-filter[data-tag="series"] .mr-count').inner_text() == "2"
    tag.click()
    assert tag.get_attribute("aria-pressed") == "true"
    assert _visible_cards(page) == ["geometric-series"]
    assert page.locator("[data-mr-shown]").inner_text() == "1"
    assert "tags=analysis" in page.url
    tag.click()
    assert sorted(_visible_cards(page)) == sorted(SLUGS)
    page.locator('.mr-filter[data-tag="series"]').click()
    assert sorted(_visible_cards(page)) == ["broken-scene", "geometric-series"]
    page.locator('.mr-filter[data-level="undergraduate"]').click()
    assert _visible_cards(page) == ["broken-scene"]
    page.locator("[data-mr-clear]").click()
    assert sorted(_visible_cards(page)) == sorted(SLUGS)
    assert page.evaluate("window.__noReload") is True, "filtering must not reload the page"
    # the filters live in the URL: a shared link opens filtered
    page.goto(site.base + "#tags=complex-analysis")
    assert _visible_cards(page) == ["euler-identity"]


def test_sorting(page: Any, site: Site) -> None:
    page.goto(site.base)
    order = "Array.from(document.querySelectorAll('.mr-card')).map(c => c.dataset.slug)"
    assert page.evaluate(order) == ["broken-scene", "euler-identity", "geometric-series"]
    page.select_option("[data-mr-sort]", "level")
    assert page.evaluate(order) == ["euler-identity", "geometric-series", "broken-scene"]
    page.select_option("[data-mr-sort]", "newest")
    dates = page.evaluate("Array.from(document.querySelectorAll('.mr-card')).map(c => c.dataset.date)")
    assert dates == sorted(dates, reverse=True) and all(dates)


def test_preview_plays_on_hover_and_focus_only_when_asked(page: Any, site: Site, recorder: Recorder) -> None:
    page.goto(site.base)
    card = page.locator('.mr-card[data-slug="euler-identity"]')
    img = card.locator("img.mr-card-poster")
    assert img.get_attribute("src").endswith("poster.png")
    assert not [u for u in recorder.requests if u.endswith("preview.webp")], "previews are lazy"
    card.hover()
    page.wait_for_function(
        "document.querySelector('.mr-card[data-slug=\"euler-identity\"] img').getAttribute('src').endsWith('preview.webp')")
    assert [u for u in recorder.requests if u.endswith("euler-identity/preview.webp")]
    assert not [u for u in recorder.requests if u.endswith("geometric-series/preview.webp")]
    page.mouse.move(5, 5)
    assert img.get_attribute("src").endswith("poster.png")
    # keyboard: focusing a card plays it, moving focus on stops it
    other = page.locator('.mr-card[data-slug="geometric-series"]')
    other.focus()
    page.wait_for_function(
        "document.querySelector('.mr-card[data-slug=\"geometric-series\"] img').getAttribute('src').endsWith('preview.webp')")
    page.keyboard.press("Shift+Tab")
    assert other.locator("img").get_attribute("src").endswith("poster.png")


def test_keyboard_reaches_filters_and_cards(page: Any, site: Site) -> None:
    page.goto(site.base)
    page.locator('.mr-filter[data-tag="analysis"]').focus()
    page.keyboard.press("Enter")
    assert _visible_cards(page) == ["geometric-series"]
    page.keyboard.press("Space")
    assert len(_visible_cards(page)) == 3
    page.locator('.mr-card[data-slug="euler-identity"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/site/concepts/euler-identity/$"))


def _search(page: Any, site: Site, query: str, expect: str) -> tuple[str, list[str]]:
    """Type `query` into the site's search; wait for a result holding `expect`: (text, links).

    Material (MkDocs) has an input in the header; Zensical opens a dialog (in a shadow root,
    which Playwright's CSS locators see into) from a button.
    """
    if _made_with(site):
        search = page.locator("dialog input[role=combobox]")
        results = page.locator("dialog ol[role=listbox]")
        if not search.is_visible():  # the dialog stays open between searches
            page.locator(".md-search__button").click()
    else:
        search = page.locator("input.md-search__input")
        search.click()
        results = page.locator(".md-search-result")
    search.fill("")
    search.press_sequentially(query, delay=30)
    results.filter(has_text=expect).first.wait_for(timeout=15_000)
    links = results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return results.inner_text(), links


def test_search_finds_a_concept_by_a_word_of_its_anchor(page: Any, site: Site) -> None:
    page.goto(site.base)
    # "infty" is only in the LaTeX of the geometric series' anchor (and its notes' copy of it)
    text, hrefs = _search(page, site, "infty", "Geometric series")
    assert "Geometric series" in text
    assert "Euler" not in text
    assert any("concepts/geometric-series/" in h for h in hrefs)
    text, _ = _search(page, site, "halves", "Geometric")
    assert "Geometric" in text


# --------------------------------------------------------------------------- concept page


def test_concept_page_video_plays(page: Any, site: Site, recorder: Recorder) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    video = page.locator("video.mr-video")
    assert video.get_attribute("preload") == "none"
    assert video.get_attribute("poster") == "poster.png"
    assert video.evaluate("v => v.controls") is True
    assert not [u for u in recorder.requests if u.endswith(".mp4")], "no video fetched until asked"
    video.evaluate("v => { v.muted = true; v.play().catch(() => {}); }")  # see the variant test
    page.wait_for_function("document.querySelector('video.mr-video').currentTime > 0.5", timeout=20_000)
    video.evaluate("v => v.pause()")


def test_model_variant_tab_shows_and_plays_the_other_video(page: Any, variant_site: Site,
                                                         recorder: Recorder) -> None:
    page.goto(variant_site.base + "concepts/euler-identity/")
    labels = page.locator(".tabbed-set .tabbed-labels label")
    assert labels.all_inner_texts() == ["model-a", "model-b"]
    videos = page.locator(".tabbed-set video.mr-video")
    assert videos.count() == 2
    main, variant = videos.nth(0), videos.nth(1)
    assert main.is_visible() and not variant.is_visible(), "the first model's tab is open"
    assert not [u for u in recorder.requests if u.endswith(".mp4")], "no video fetched until asked"

    labels.nth(1).click()
    variant.wait_for(state="visible", timeout=5_000)
    assert not main.is_visible(), "one tab at a time"
    # play() is not awaited: for a video that cannot load its promise may never settle, and the
    # wait below then fails in 20 s instead of hanging the run.
    variant.evaluate("v => { v.muted = true; v.play().catch(() => {}); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=variant.element_handle(), timeout=20_000)
    variant.evaluate("v => v.pause()")
    source = variant.evaluate("v => v.currentSrc")
    assert source.endswith("/concepts/euler-identity/variants/model-b/video.mp4"), source
    assert main.evaluate("v => v.paused && v.currentTime === 0"), "the first model's video stays idle"
    assert variant.get_attribute("poster") == "variants/model-b/poster.png"
    # the two tabs play two different renders, not one file twice
    main_bytes = page.request.get(variant_site.base + "concepts/euler-identity/video.mp4").body()
    assert main_bytes[4:8] == b"ftyp" and main_bytes != page.request.get(source).body()

    labels.nth(0).click()
    main.wait_for(state="visible", timeout=5_000)
    assert not variant.is_visible()


def test_storyboard_frame_seeks_the_video(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    page.locator("video.mr-video").evaluate("v => { v.muted = true; }")
    frames = page.locator(".mr-frame")
    assert frames.count() >= 4
    third = frames.nth(2)
    moment = float(third.get_attribute("data-time"))
    third.click()
    page.wait_for_function(f"document.querySelector('video.mr-video').currentTime >= {moment - 0.2}",
                           timeout=20_000)
    page.locator("video.mr-video").evaluate("v => v.pause()")


def test_math_is_typeset(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    _wait_for_math(page)
    assert page.locator(".mr-anchors .katex").count() >= 2
    assert page.locator(".mr-notes .katex").count() >= 2
    anchors = page.locator(".mr-anchors").inner_text()
    assert "\\[" not in anchors and "\\]" not in anchors
    assert "\\(" not in page.locator(".md-content").inner_text()
    labels = page.locator(".mr-anchor-label").all_inner_texts()
    assert labels == ["Euler's formula", "The identity"]


def test_code_has_highlighting_and_a_copy_button(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    details = page.locator("details.example")
    details.locator("summary").click()
    code = details.locator(".highlight code")
    assert "class EulerIdentityScene" in code.inner_text()
    assert details.locator(".highlight .k, .highlight .kn").count() > 0, "Pygments highlighting"
    # Material's copy button (9.7+: nav.md-code__nav > button; older: button.md-clipboard)
    copy = details.locator("button[data-clipboard-target]")
    copy.first.wait_for(state="attached", timeout=5_000)
    assert copy.count() == 1


def test_downloads_and_media_are_served(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    hrefs = page.locator(".mr-downloads a").evaluate_all("links => links.map(a => a.href)")
    assert {h.rsplit("/", 1)[1] for h in hrefs} == {"notes.pdf", "notes.tex", "video.mp4", "scene.py"}
    for href in hrefs:
        response = page.request.get(href)
        assert response.status == 200, href
        body = response.body()
        if href.endswith(".pdf"):
            assert body[:5] == b"%PDF-"
        if href.endswith(".mp4"):
            assert body[4:8] == b"ftyp"
    for name in ("poster.png", "preview.webp", "storyboard/frame-01.png"):
        assert page.request.get(site.base + f"concepts/euler-identity/{name}").status == 200


def test_learning_path_links_both_ways(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    page.locator(".mr-path-col").first.get_by_role("link", name="Geometric series").click()
    page.wait_for_url(re.compile(r".*/site/concepts/geometric-series/$"))
    leads = page.locator(".mr-path-col").nth(1)
    assert leads.get_by_role("link", name="Euler's identity").count() == 1


def test_provenance_and_failed_page(page: Any, site: Site) -> None:
    page.goto(site.base + "concepts/euler-identity/")
    provenance = page.locator("dl.mr-provenance").inner_text()
    assert "anchor template" in provenance and "manim" in provenance and "pandoc" in provenance
    page.goto(site.base + "concepts/broken-scene/")
    failure = page.locator(".admonition.failure")
    assert "failed to build" in failure.inner_text()
    assert "undefined_distance" in failure.inner_text()
    assert "mathreel build --only broken-scene" in failure.inner_text()


def test_report_page_has_plots(page: Any, site: Site) -> None:
    page.goto(site.base + "report/")
    assert page.locator("table.mr-report tbody tr").count() == 3
    plot = page.locator("figure.mr-plot svg")
    assert plot.count() >= 1 and plot.first.is_visible()
    assert page.locator("figure.mr-plot .mr-plot-bar").count() == 2


def test_dark_palette_toggle(page: Any, site: Site) -> None:
    page.goto(site.base)
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    background = page.eval_on_selector(".mr-card", "c => getComputedStyle(c).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")


# --------------------------------------------------------------------------- screenshots


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("mobile", MOBILE)])
def test_screenshots(browser: Any, site: Site, name: str, viewport: dict[str, int]) -> None:
    shots = []
    for scheme in ("light", "dark"):
        recorder = Recorder()
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        page = context.new_page()
        recorder.attach(page)
        _open(page, site.base)
        shots.append(_shoot(page, f"{_made_with(site)}index-{name}-{scheme}"))
        if name == "mobile":
            columns = page.eval_on_selector(".mr-gallery", "g => getComputedStyle(g).gridTemplateColumns.split(' ').length")
            assert columns == 1, "one column on a phone"
        for slug in ("euler-identity", "broken-scene"):
            _open(page, site.base + f"concepts/{slug}/")
            _wait_for_math(page)
            shots.append(_shoot(page, f"{_made_with(site)}concept-{slug}-{name}-{scheme}"))
        _open(page, site.base + "report/")
        shots.append(_shoot(page, f"{_made_with(site)}report-{name}-{scheme}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "no horizontal scrolling"
        context.close()
        recorder.check()
    assert all(p.stat().st_size > 10_000 for p in shots)


def test_no_page_requests_another_origin(browser: Any, site: Site) -> None:
    """Every page of the site, visited in turn: all requests stay on 127.0.0.1."""
    recorder = Recorder()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    recorder.attach(page)
    site_dir = site.root / "site"
    for html in sorted(site_dir.rglob("index.html")):
        rel = html.parent.relative_to(site_dir).as_posix()
        page.goto(site.base + ("" if rel == "." else rel + "/"))
        page.wait_for_load_state("networkidle")
    context.close()
    recorder.check()
    assert any(u.endswith("katex.min.js") for u in recorder.requests)
    assert any("/fonts/KaTeX_" in u for u in recorder.requests), "KaTeX fonts come from the site"

