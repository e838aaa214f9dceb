"""The gallery's HTML comes from Jinja templates in the theme's custom_dir
(`partials/mathreel-*.html`): every one of them autoescapes what the spec author or a model
wrote, and a user's own template of the same name replaces ours, as with Material's partials.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import markdown
import pytest
from conftest import REPO, make_project
from jinja2 import BaseLoader, Environment
from mkdocs.config import load_config
from mkdocs.utils.meta import get_data

from builder.notes_pdf import NotesOutput
from builder.record import (
    BuildRecord,
    ConceptRecord,
    NotesFacts,
    RendererDecision,
    RenderFacts,
    RenderInfo,
)
from builder.scenes import SceneEntry
from builder.settings import load_settings
from builder.site.gallery import GalleryItem, Variant
from builder.site.pages import (
    TEMPLATE,
    bar_chart,
    concept_markdown,
    gallery_html,
    index_markdown,
    report_markdown,
    theme_env,
)
from builder.spec import Anchor, Concept
from builder.stages.pages import write_pages
from builder.video.chapters import Chapter
from builder.video.render import RenderOutput

PARTIALS = REPO / "site_overrides" / "partials"
X = "<script>alert(1)</script>"
QUOTES = "O'Brien \"quoted\""


class Recording(BaseLoader):
    """The theme's loader, noting every template the pages load."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner
        self.loaded: set[str] = set()

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        self.loaded.add(template)
        return self.inner.get_source(environment, template)


@pytest.fixture
def recording_env() -> tuple[Environment, Recording]:
    """The theme's environment as MkDocs makes it, autoescaping off: the templates escape by themselves."""
    env = load_config(str(REPO / "mkdocs.yml")).theme.get_env()
    assert not env.autoescape and env.loader is not None
    loader = env.loader = Recording(env.loader)
    return env, loader


def _page_html(page: str) -> str:
    """A generated Markdown page as MkDocs makes it HTML (front matter off, the site's extensions)."""
    config = load_config(str(REPO / "mkdocs.yml"))
    body, meta = get_data(page)
    md = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
    return json.dumps(meta) + md.convert(body)


def _hostile_items(tmp_path: Path) -> list[GalleryItem]:
    """Concepts with markup in every field a person or a model writes, reaching every template."""
    render, notes, scene = tmp_path / "render", tmp_path / "notes", tmp_path / "scene"
    for folder, names in ((render, ("video.mp4", "poster.png", "preview.webp", "chapters.vtt")),
                          (notes, ("notes.pdf", "notes.tex")), (scene, ("scene.py",))):
        folder.mkdir()
        for name in names:
            (folder / name).write_bytes(b"x")
    (scene / "reasoning.md").write_text(f"Reasoning {X}", encoding="utf-8")
    concept = Concept(slug="hostile", path=Path("concepts/hostile.yaml"), title=f"{QUOTES} {X}", prompt="p",
                      anchors=(Anchor(f"label {X}", f"x < y {X}"), Anchor(f"never {X}", "z")),
                      summary=f"summary {X}", tags=(f"tag {X}",), level=f"level {X}",
                      prerequisites=("other",))
    chapters = (Chapter(f"chapter {X}", 0.0, 1.0, "S1"), Chapter("two", 1.0, 2.0, "S2"))
    meta = {"provenance": "model", "model": f"model {X}", "provider": f"provider {X}", "scene_class": f"Cls{X}",
            "versions": {f"tool {X}": f"v {X}"}, "tokens": {"prompt": 5},
            "attempts": [{"attempt": 1, "ok": False, "diagnostics": f"boom {X}"}]}
    entry = SceneEntry(slug="hostile", folder=scene, source="x = 1\n", notes=f"Notes {X}", meta=meta)
    info = RenderInfo(key="k", seconds=1.0, duration=2.0, size=10, quality=f"q {X}", resolution=f"res {X}",
                      key_parts={"manim": f"m {X}"}, sandbox=f"sandbox {X}", chapters=chapters)
    record = ConceptRecord(
        slug="hostile", title=concept.title, status="built", provenance="model", generator=f"gen {X}",
        render=RenderFacts(key="k", seconds=1.0, duration=2.0, size=10, quality="l", quality_note=f"note {X}",
                           renderer=RendererDecision(renderer=f"r {X}", why=f"why {X}")),
        notes=NotesFacts(key="n", parts={"pandoc": f"p {X}"}))
    good = GalleryItem(
        concept=concept, record=record, entry=entry, output=RenderOutput(key="k", folder=render, info=info),
        notes_output=NotesOutput(key="n", folder=notes, pages=2), date=f"2025 {X}",
        storyboard=((tmp_path / "a.png", 0.5), (tmp_path / "b.png", 1.5)), storyboard_chapters=(0, 1),
        anchor_times={f"x < y {X}": 0.5, "z": None},
        variants=(Variant(model=f"variant {X}", folder="v1", status="built", video=Path("v.mp4"),
                          poster=Path("p.png"), scene_path=Path("s.py")),
                  Variant(model=f"broken {X}", folder="v2", status="failed", video=None, poster=None,
                          scene_path=None, error=f"error {X}")))
    failed = replace(good, concept=replace(concept, slug="failed-one"), stale_video=True, variants=(),
                     record=replace(record, status="failed", error=f"Traceback {X}", error_stage=f"stage {X}"))
    pending = replace(good, concept=replace(concept, slug="pending-one"), output=None,
                      record=replace(record, status="pending", provenance="template"),
                      entry=replace(entry, meta={**meta, "provenance": "template"}))
    return [good, failed, pending]


def test_every_template_autoescapes(recording_env: tuple[Environment, Recording], tmp_path: Path) -> None:
    env, loader = recording_env
    items = _hostile_items(tmp_path)
    titles = {"other": f"other {X}"}
    summaries = {"other": f"other summary {X}"}
    report = BuildRecord(concepts={}, started=f"start {X}", seconds=1, versions={f"k {X}": f"v {X}"},
                         site_error=f"site {X}")
    pages = [concept_markdown(item, titles, ["other"], summaries=summaries, env=env)
             for item in items]
    pages += [index_markdown(items, env=env), report_markdown(items, report, env=env)]
    html = [_page_html(page) for page in pages]
    html += [gallery_html(items, "../", env=env),
             bar_chart([(f"label {X}", 1.0, f"text {X}")], title=f"title {X}", unit=f"unit {X}", chart_id="c",
                       env=env)]
    everything = "\n".join(html)

    defaults = {TEMPLATE.format(path.stem.removeprefix("mathreel-")) for path in PARTIALS.glob("mathreel-*.html")}
    assert defaults <= loader.loaded, f"not rendered here: {sorted(defaults - loader.loaded)}"
    assert "<script" not in everything
    assert "&lt;script&gt;" in everything
    # escaped as the pages always were (html.escape), so the built HTML keeps its bytes
    assert 'data-title="o&#x27;brien &quot;quoted&quot; &lt;script&gt;' in everything
    # the sanitized notes stay HTML; the icons are included from the custom_dir
    assert '<div class="mr-notes">\n<p>Notes' in everything
    assert everything.count('<svg class="mr-icon"') == 4 + 4 + 3, "pdf, tex, video, scene.py (no video: pending)"


def test_every_default_template_declares_autoescape() -> None:
    """A template without it prints model text as HTML: every default says so itself, whatever
    the environment's default (MkDocs' is off)."""
    for path in PARTIALS.glob("mathreel-*.html"):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"\{%-? autoescape true -?%\}", text), path.name
        assert text.rstrip().endswith("{%- endautoescape -%}"), path.name


def test_a_template_in_the_custom_dir_wins(tmp_path: Path) -> None:
    """theme_env searches the configured custom_dir, wherever it is, before the theme."""
    root = tmp_path / "project"
    (root / "docs").mkdir(parents=True)
    (root / "my_theme" / "partials").mkdir(parents=True)
    for path in PARTIALS.glob("mathreel-*.html"):
        (root / "my_theme" / "partials" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    # no autoescape block: the environment escapes a user's template all the same
    (root / "my_theme" / "partials" / "mathreel-card.html").write_text(
        '<article class="my-card">{{ card.title }}</article>', encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: t\ntheme:\n  name: material\n  custom_dir: my_theme\n",
                                     encoding="utf-8")
    env = theme_env(load_config(str(root / "mkdocs.yml")))
    item = _hostile_items(tmp_path)[0]
    grid = gallery_html([item], env=env)
    assert '<article class="my-card">O&#x27;Brien &quot;quoted&quot; &lt;script&gt;' in grid
    assert 'class="mr-card"' not in grid
    assert 'class="mr-toolbar"' in grid, "the other templates are still the defaults"


@pytest.mark.integration
def test_user_override_of_the_card_changes_the_built_gallery(tmp_path: Path) -> None:
    """A real `mkdocs build` of a project whose theme custom_dir holds its own card template."""
    root = make_project(tmp_path / "gallery", "tiny")
    (root / "site_overrides").rename(root / "my_theme")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("custom_dir: site_overrides",
                                                                 "custom_dir: my_theme"), encoding="utf-8")
    (root / "concepts" / "hostile.yaml").write_text(
        f"title: '{X}'\nsummary: s\nlevel: intro\nprompt: p\nanchors:\n  - label: A\n    latex: 'x = 1'\n",
        encoding="utf-8")
    (root / "my_theme" / "partials" / "mathreel-card.html").write_text(
        "{%- autoescape true -%}\n"
        '<article class="my-card" data-slug="{{ card.slug }}"><a href="{{ card.href }}">{{ card.title }}</a></article>\n'
        "{%- endautoescape -%}\n", encoding="utf-8")
    settings, mkdocs_config = load_settings(config, env={})
    write_pages(settings, mkdocs_config)  # the pages stage of `mathreel build`, without renders
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="my-card" data-slug="([^"]+)">', index)
    assert sorted(cards) == ["euler-identity", "geometric-series", "hostile"]
    assert 'class="mr-card"' not in index
    assert 'class="mr-toolbar"' in index and 'data-count="3"' in index, "the rest is the default gallery"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index and X not in index


LANGUAGE_PARTIALS = {"partials/language.html", "partials/languages/en.html"}


def test_compiled_templates_are_kept_between_site_builds_and_an_edit_still_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin gives MkDocs' theme a template cache in the user's cache folder, and the pages
    stage its own: a second build compiles no template, and an edited override is compiled again."""
    from builder.build import build_site

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = make_project(tmp_path / "gallery", "tiny")
    override = root / "site_overrides" / "partials" / "copyright.html"  # one of Material's partials
    override.write_text('<p class="mine">first</p>\n', encoding="utf-8")
    compiled: list[str] = []
    compile_real = Environment.compile

    def compile_counting(self: Environment, source: str, name: str | None = None, *args: object,
                         **kwargs: object) -> object:
        if name and name.endswith(".html"):
            compiled.append(name)
        return compile_real(self, source, name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Environment, "compile", compile_counting)

    def build() -> None:
        settings, mkdocs_config = load_settings(root / "mkdocs.yml", env={})
        write_pages(settings, mkdocs_config)  # the pages stage, without renders
        build_site(settings, mkdocs_config)

    build()
    first = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert {"partials/copyright.html", "main.html", "partials/mathreel-card.html"} <= set(compiled)
    assert '<p class="mine">first</p>' in first
    kept = tmp_path / "cache" / "mathreel" / "jinja"
    assert list(kept.glob("*/__jinja2_*"))
    assert len(list(kept.iterdir())) == 2  # the pages stage autoescapes, MkDocs does not: kept apart

    theme = set(compiled) - LANGUAGE_PARTIALS
    compiled.clear()
    build()
    # only Material's language partials, which it renders in an environment of its own
    assert set(compiled) <= LANGUAGE_PARTIALS and len(theme) > 20
    assert (root / "site" / "index.html").read_text(encoding="utf-8") == first

    override.write_text('<p class="mine">edited</p>\n', encoding="utf-8")
    build()
    assert set(compiled) - LANGUAGE_PARTIALS == {"partials/copyright.html"}
    assert '<p class="mine">edited</p>' in (root / "site" / "index.html").read_text(encoding="utf-8")
