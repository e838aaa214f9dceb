"""Markdown of the generated pages (concept pages, the gallery grid, the build report) and the
context their HTML is rendered from.

The HTML itself lives in Jinja templates, `partials/mathreel-*.html` in the theme's custom_dir
(`site_overrides/`), rendered with the theme's environment as MkDocs renders its own templates:
a template of the same name in the user's custom_dir replaces ours, as with Material's partials.
This module only gathers plain data (strings, numbers, URLs) for them; the page skeleton
(front matter, headings, admonitions) stays Markdown written here.

Escaping: every template autoescapes. What the spec author or a model wrote reaches a template
as plain text and is escaped there; the only HTML passed in (marked `Markup`) is what
`sanitize.render_notes` made of model-written notes and reasoning, and text this module already
escaped for Markdown. Links are relative, so the site works from any sub-path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment
from markupsafe import Markup

from builder.record import BuildRecord, Tokens
from builder.site.gallery import GalleryItem
from builder.site.sanitize import render_notes

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

LEVEL_ORDER = {"intro": 0, "undergraduate": 1, "graduate": 2, "research": 3}
POSTER_SIZE = (854, 480)
#: Where the templates sit inside the theme's dirs: `<custom_dir>/partials/mathreel-<name>.html`.
TEMPLATE = "partials/mathreel-{}.html"


# --------------------------------------------------------------------------- templates


def theme_env(mkdocs_config: MkDocsConfig, *, keep: bool = False) -> Environment:
    """The theme's Jinja environment, built as MkDocs builds it for its own templates.

    Its loader searches the theme's custom_dir (`site_overrides/`) before Material's
    templates, so a user's `partials/mathreel-card.html` there changes every card. Our
    templates declare autoescaping themselves; the environment autoescapes too, so a user's
    template that forgets to still escapes what the spec author or a model wrote. With
    `keep`, compiled templates are kept for the next build (builder.site.jinja_cache).
    """
    env = mkdocs_config.theme.get_env()
    env.autoescape = True
    if keep:
        from builder.site.jinja_cache import keep_compiled

        keep_compiled(env)
    return env


class Text(str):
    """Plain text on its way into a template: autoescaping escapes it as `html.escape` does
    (`&quot;`, `&#x27;`), as these pages always have. Without autoescaping it is just text."""

    __slots__ = ()

    def __html__(self) -> str:
        return escape(str(self))


def _as_text(value: Any) -> Any:
    """Every plain string in a context (nested in dicts, lists and tuples) as `Text`."""
    if isinstance(value, Markup) or not isinstance(value, str | dict | list | tuple):
        return value
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    return [_as_text(item) for item in value]


def _render(env: Environment, name: str, **context: Any) -> str:
    """Render `partials/mathreel-<name>.html` with plain data."""
    return env.get_template(TEMPLATE.format(name)).render(_as_text(context))


# --------------------------------------------------------------------------- formatting


def concept_dir(slug: str) -> str:
    """Docs-relative folder of a concept's page and media."""
    return f"concepts/{slug}"


def _front_matter(title: str, **extra: Any) -> str:
    # Themes print the title and description unescaped (in <title>, the nav, a meta tag).
    extra = {k: escape(v) if isinstance(v, str) else v for k, v in extra.items()}
    data = {"title": escape(title), "render_macros": False, **extra}
    return "---\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items()) + "\n---\n\n"


def format_duration(seconds: float) -> str:
    """Video time as m:ss (0:07, 1:05)."""
    total = max(0, round(seconds))
    return f"{total // 60}:{total % 60:02d}"


def format_time(seconds: float) -> str:
    """A moment in a video as m:ss.s (0:01.3), as the notes' storyboard prints it."""
    seconds = max(0.0, seconds)
    minutes = int(seconds // 60)
    return f"{minutes}:{seconds - 60 * minutes:04.1f}"


def format_bytes(size: float) -> str:
    """A file size for people: 950 B, 12 kB, 1.4 MB."""
    if size < 1000:
        return f"{size:.0f} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _md_text(text: str) -> str:
    """Plain text safe inside Markdown link text."""
    out = escape(text)
    for ch in "\\`*_[]{}#!|":
        out = out.replace(ch, "\\" + ch)
    return out


def _fence(code: str, lang: str, indent: str = "") -> str:
    longest = max((len(run) for run in code.split("`") if not run), default=0)
    ticks = "`" * max(3, longest + 1)
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            ticks = "`" * max(len(ticks), len(stripped) - len(stripped.lstrip("`")) + 1)
    body = "\n".join(indent + line if line else "" for line in code.rstrip().splitlines())
    return f"{indent}{ticks}{lang}\n{body}\n{indent}{ticks}\n"


def _code_block(code: str, lang: str, indent: str = "") -> Markup:
    """A Markdown fence around `code`: safe as it is, the fence's highlighter escapes the code."""
    return Markup(_fence(code, lang, indent))


def _short_date(value: str) -> str:
    """2025-11-26T11:58:03+00:00 -> 2025-11-26 11:58 UTC (other offsets are kept as written)."""
    if not value:
        return ""
    if value.endswith(("+00:00", "Z")) and len(value) >= 16:
        return value.replace("T", " ")[:16] + " UTC"
    return value.replace("T", " ")


def _chapter_title(title: str, index: int) -> str:
    """A chapter's title for people (an empty one gets its number, as the VTT track does)."""
    title = " ".join(title.split())
    return title or f"Chapter {index + 1}"


def _tokens_text(tokens: Tokens) -> str:
    parts = [f"{count:,} {label}" for count, label in
             ((tokens.prompt, "prompt"), (tokens.completion, "completion"),
              (tokens.reasoning, "reasoning")) if count]
    total = f"{tokens.total:,}"
    return f"{total} ({', '.join(parts)})" if parts else total


# --------------------------------------------------------------------------- what an item records
# Every read of the build's records (the render shown, the scene's facts, the build record) is
# one small function here: the templates' context does not depend on how an item stores them.


def _size(item: GalleryItem) -> tuple[int, int]:
    """The video's frame size (render.json), or the poster size when unrecorded."""
    width, height = (item.output.info.width, item.output.info.height) if item.output else (0, 0)
    if width > 0 and height > 0:
        return width, height
    return POSTER_SIZE


def _video_duration(item: GalleryItem) -> float | None:
    """Seconds of video shown (None without one)."""
    return item.duration or None


def _video_quality(item: GalleryItem) -> str:
    """The resolution of the video shown (480p15), else the render's quality letter."""
    return (item.output.info.resolution or item.output.quality) if item.output else ""


def _scene_class(item: GalleryItem) -> str:
    """The Scene class rendered."""
    return item.scene_class


def _meta_model(item: GalleryItem) -> str:
    """The model meta.json names ("" when none)."""
    return item.facts.model


def _model(item: GalleryItem) -> str:
    """The model that wrote the scene: meta.json's, else the generator ("" when unknown)."""
    return _meta_model(item) or item.generator or ""


def _provider(item: GalleryItem) -> str:
    """The provider the model was called through ("" when unrecorded)."""
    return item.facts.provider


def _render_text(item: GalleryItem) -> str:
    """The render's time, quality and output, as the provenance card says it ("" without one)."""
    shown = item.output
    if shown is None:
        return ""
    resolution = shown.info.resolution
    quality = f"quality {shown.quality}" + (f" ({resolution})" if resolution else "")
    return (f"{shown.seconds:.1f} s at {quality}, "
            f"{shown.duration:.1f} s of video, {format_bytes(shown.size)}")


def _renderer_text(item: GalleryItem) -> str:
    """The renderer this build used, and why ("" when unrecorded or the video is an older one)."""
    facts = item.record.render
    if facts is None or item.stale_video:
        return ""
    why = facts.renderer.fallback or facts.renderer.why
    return facts.renderer.renderer + (f" ({why})" if why else "")


def _quality_note(item: GalleryItem) -> str:
    """What this build's render says of its quality ("" when nothing)."""
    facts = item.record.render
    return facts.quality_note if facts is not None and not item.stale_video else ""


def _sandbox(item: GalleryItem) -> str:
    """How the render shown was confined ("" when unrecorded)."""
    return item.output.sandbox if item.output else ""


def _versions(item: GalleryItem) -> dict[str, str]:
    """Tool versions: the scene's facts, then Manim's from the render, pandoc's from the notes."""
    versions: dict[str, str] = dict(item.facts.versions)
    if item.output is not None and item.output.info.manim:
        versions["manim"] = item.output.info.manim
    if item.record.notes is not None and item.record.notes.pandoc:
        versions["pandoc"] = item.record.notes.pandoc
    return versions


def _report_numbers(item: GalleryItem) -> tuple[bool, float, float]:
    """(rendered, render seconds, video bytes) of the video shown."""
    r = item.output
    return (True, r.seconds, float(r.size)) if r else (False, 0.0, 0.0)


def _report_tokens(item: GalleryItem) -> int:
    return item.tokens.total


def _report_summary(report: BuildRecord) -> tuple[str, float, dict[str, str], str]:
    """(started, seconds, tool versions, site error) of the build record."""
    return report.started, report.seconds, report.versions, report.site_error or ""


def _attempt_log(item: GalleryItem) -> list[str]:
    """What the checks said of each attempt that went wrong."""
    return [a.diagnostics for a in item.attempt_log if a.diagnostics]


def _made_by(item: GalleryItem) -> str:
    if item.provenance == "hand-written":
        return "written by hand"
    if item.provenance == "template":
        return "mathreel anchor template (no model)"
    model, provider = _model(item), _provider(item)
    if model and provider and provider not in model:
        return f"model {model} ({provider})"
    return f"model {model}" if model else "a model"


def _made_by_short(item: GalleryItem) -> str:
    if item.provenance == "hand-written":
        return "by hand"
    if item.provenance == "template":
        return "anchor template"
    return _model(item) or "model"


# --------------------------------------------------------------------------- gallery


def _meta(item: GalleryItem, classes: str) -> dict[str, Any]:
    """Context of mathreel-meta.html: level, tags and status badge of a card or a page."""
    badge = "failed" if item.status == "failed" else "template" if item.provenance == "template" else ""
    return {"classes": classes, "level": item.concept.level, "tags": list(item.concept.tags), "badge": badge}


def _card(item: GalleryItem, prefix: str) -> dict[str, Any]:
    """Context of mathreel-card.html."""
    c = item.concept
    base = f"{prefix}{concept_dir(c.slug)}/"
    width, height = _size(item)
    poster = None
    if item.poster is not None:
        poster = {"src": f"{base}poster.png", "width": width, "height": height,
                  "preview": f"{base}preview.webp" if item.preview is not None else ""}
    duration = _video_duration(item)
    return {
        "href": base, "slug": c.slug, "title": c.title, "summary": c.summary, "level": c.level,
        "tags_text": " ".join(c.tags), "sort_title": c.title.lower(),
        "level_rank": LEVEL_ORDER.get(c.level, 9), "date": item.date, "status": item.status,
        "poster": poster,
        "duration": format_duration(duration) if poster and duration else "",
        "playable": poster is not None and item.preview is not None,
        "missing": "no video: the build failed" if item.status == "failed" else "not rendered yet",
        "meta": _meta(item, "mr-card-meta"),
    }


def _toolbar(items: list[GalleryItem]) -> dict[str, Any]:
    """Context of mathreel-toolbar.html: a filter per tag and per level, with counts."""
    tags: dict[str, int] = {}
    levels: dict[str, int] = {}
    for item in items:
        for tag in item.concept.tags:
            tags[tag] = tags.get(tag, 0) + 1
        levels[item.concept.level] = levels.get(item.concept.level, 0) + 1
    return {
        "tags": [{"name": tag, "count": count} for tag, count in sorted(tags.items())],
        "levels": [{"name": level, "count": count} for level, count in
                   sorted(levels.items(), key=lambda kv: (LEVEL_ORDER.get(kv[0], 9), kv[0]))],
        "total": len(items),
    }


def gallery_html(items: list[GalleryItem], prefix: str = "", *, env: Environment) -> str:
    """The card grid with its filters and sorting; `prefix` leads from the page to the site root."""
    return _render(env, "gallery", gallery={"count": len(items), "toolbar": _toolbar(items),
                                            "cards": [_card(item, prefix) for item in items]})


def index_markdown(items: list[GalleryItem], *, env: Environment) -> str:
    """The default home page when the user wrote no docs/index.md."""
    return (_front_matter("Gallery", hide=["navigation", "toc"])
            + "# Gallery\n\n"
            + f"{len(items)} concepts, each with an animation, its key equations and study notes.\n\n"
            + gallery_html(items, env=env) + "\n")


# --------------------------------------------------------------------------- concept page


def _frame(path: Path, time: float, width: int, height: int) -> dict[str, Any]:
    return {"time": f"{time:.2f}", "label": format_time(time), "src": f"storyboard/{path.name}",
            "width": width, "height": height}


def _storyboard(item: GalleryItem) -> dict[str, Any] | None:
    """Context of mathreel-storyboard.html: the frames, grouped per chapter when the video has
    chapters (`grouped`; a chapter without frames is left out)."""
    if not item.storyboard:
        return None
    width, height = _size(item)
    grouped = bool(item.chapters) and len(item.storyboard_chapters) == len(item.storyboard)
    if not grouped:
        return {"grouped": False, "groups": [],
                "frames": [_frame(path, time, width, height) for path, time in item.storyboard]}
    groups = []
    for index, chapter in enumerate(item.chapters):
        frames = [_frame(path, time, width, height)
                  for (path, time), where in zip(item.storyboard, item.storyboard_chapters, strict=True)
                  if where == index]
        if frames:
            groups.append({"index": index, "number": index + 1, "title": _chapter_title(chapter.title, index),
                           "start": format_duration(chapter.start), "end": format_duration(chapter.end),
                           "frames": frames})
    return {"grouped": True, "groups": groups, "frames": []}


def _chapters(item: GalleryItem) -> list[dict[str, Any]]:
    """Context of mathreel-chapters.html: the chapters beside the player, buttons that seek."""
    return [{"start": f"{chapter.start:.2f}", "end": f"{chapter.end:.2f}", "time": format_duration(chapter.start),
             "title": _chapter_title(chapter.title, index)} for index, chapter in enumerate(item.chapters)]


def _player(item: GalleryItem) -> dict[str, Any]:
    """Context of mathreel-player.html for the concept's own video."""
    width, height = _size(item)
    # The MP4 comes first: every browser plays it; a browser that prefers WebM still gets H.264.
    sources = [{"src": "video.mp4", "type": "video/mp4"}]
    if item.webm is not None:
        sources.append({"src": "video.webm", "type": "video/webm"})
    return {"poster": "poster.png", "width": width, "height": height, "sources": sources,
            "track": "chapters.vtt" if item.chapters and item.chapters_vtt is not None else "",
            "download": "video.mp4", "chapters": _chapters(item), "storyboard": _storyboard(item)}


def _variant_player(base: str, width: int, height: int) -> dict[str, Any]:
    """Context of mathreel-player.html for another model's video (no chapters, no storyboard)."""
    return {"poster": f"{base}/poster.png", "width": width, "height": height,
            "sources": [{"src": f"{base}/video.mp4", "type": "video/mp4"}],
            "track": "", "download": "", "chapters": [], "storyboard": None}


def _tab_title(name: str) -> str:
    """A model's name as the title of a pymdownx.tabbed tab (quoted, one line)."""
    return name.replace('"', "'").replace("\n", " ")


def _variants(item: GalleryItem) -> list[dict[str, Any]]:
    """Context of mathreel-variants.html: one tab per model (`models:`), the concept's own first."""
    width, height = _size(item)
    tabs: list[dict[str, Any]] = [{"title": _tab_title(_model(item) or "main"), "player": _player(item),
                                   "model": "", "missing": "", "scene": ""}]
    for variant in item.variants:
        base = f"variants/{variant.folder}"
        tabs.append({
            "title": _tab_title(variant.model), "model": variant.model,
            "player": _variant_player(base, width, height) if variant.video is not None else None,
            "missing": (variant.error or "not rendered").splitlines()[0] if variant.video is None else "",
            "scene": f"{base}/scene.py" if variant.scene_path is not None else "",
        })
    return tabs


def _anchors(item: GalleryItem) -> list[dict[str, Any]]:
    """Context of mathreel-anchors.html: each key equation, with the moment the video first
    shows it (`when`: None without a record, `time` None when it never shows)."""
    out = []
    for anchor in item.concept.anchors:
        when = None
        if item.video is not None and anchor.latex in item.anchor_times:
            time = item.anchor_times[anchor.latex]
            when = {"time": None if time is None else f"{time:.2f}",
                    "at": "" if time is None else format_duration(time)}
        out.append({"label": anchor.label, "latex": anchor.latex, "when": when})
    return out


def _downloads(item: GalleryItem) -> list[dict[str, Any]]:
    """Context of mathreel-downloads.html: href, file name, icon, label and size line per file."""
    slug = item.slug
    links = []

    def size(path: Path | None) -> str:
        return format_bytes(path.stat().st_size) if path is not None and path.is_file() else ""

    def link(href: str, name: str, icon: str, label: str, info: str) -> dict[str, Any]:
        return {"href": href, "name": name, "icon": icon, "label": label, "info": info}

    if item.pdf is not None:
        pages = f"{item.notes_pages} page{'s' if item.notes_pages != 1 else ''} · " if item.notes_pages else ""
        links.append(link("notes.pdf", f"{slug}-notes.pdf", "pdf", "Study notes", f"PDF · {pages}{size(item.pdf)}"))
    if item.tex is not None:
        links.append(link("notes.tex", f"{slug}-notes.tex", "tex", "Notes source", f"LaTeX · {size(item.tex)}"))
    if item.video is not None:
        links.append(link("video.mp4", f"{slug}.mp4", "video", "Animation",
                          f"MP4 · {_video_quality(item)} · {size(item.video)}".replace(" ·  ·", " ·")))
    if item.scene_path is not None:
        lines = len(item.source.splitlines())
        links.append(link("scene.py", f"{slug}-scene.py", "python", "Scene code", f"Python · {lines} lines"))
    return links


def _learning_path(item: GalleryItem, titles: dict[str, str], summaries: dict[str, str],
                   backlinks: Sequence[str]) -> list[dict[str, Any]]:
    """Context of mathreel-learning-path.html: the columns before and after this concept."""
    def column(heading: str, slugs: Sequence[str], empty: str) -> dict[str, Any]:
        links = [{"text": Markup(_md_text(titles.get(s, s))), "href": f"../{s}/index.md",
                  "summary": summaries.get(s) or ""} for s in slugs]
        return {"heading": heading, "links": links, "empty": empty}

    return [column("Before this", item.concept.prerequisites, "Nothing: a good place to start."),
            column("Leads to", list(backlinks), "No concept builds on this one yet.")]


def _provenance(item: GalleryItem) -> list[dict[str, str]]:
    """Context of mathreel-provenance.html: (term, text) rows."""
    rows: list[tuple[str, str]] = [("Made by", _made_by(item))]
    if item.provenance == "model" and item.generator and item.generator != _meta_model(item):
        rows.append(("Generator", item.generator))
    if item.provenance == "template":
        rows.append(("Generator", item.generator or "anchor-template"))
    attempts = item.attempts
    if attempts is not None:
        rows.append(("Attempts", str(attempts)))
    if item.tokens:
        rows.append(("Tokens", _tokens_text(item.tokens)))
    if render := _render_text(item):
        rows.append(("Render", render))
        if renderer := _renderer_text(item):
            rows.append(("Renderer", renderer))
        if note := _quality_note(item):
            rows.append(("Quality", note))
        if sandbox := _sandbox(item):
            rows.append(("Sandbox", sandbox))
    versions = _versions(item)
    if versions:
        order = {"manim": 0, "pandoc": 1, "mathreel": 2}
        rows.append(("Versions", " · ".join(f"{k} {v}" for k, v in
                                            sorted(versions.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))))
    rows.append(("Scene class", _scene_class(item)))
    if item.hand_edited:
        rows.append(("Edited", "scene.py was edited by hand after generation, and kept"))
    if item.date:
        rows.append(("Generated", _short_date(item.date)))
    # No "site built" time here: it would change every page on every build (the report page
    # says when the build ran), and an unchanged page is not written again.
    return [{"term": term, "text": text} for term, text in rows]


def _failure(item: GalleryItem) -> dict[str, Any]:
    """Context of mathreel-failure.html: the failure admonition of a failed concept."""
    attempts = item.attempts
    return {
        "stage": item.error_stage or "build",
        "error": _code_block(item.error or "unknown error", "text", "    "),
        "attempts": attempts or 0, "by": "model" if item.provenance == "model" else "build",
        "log": _attempt_log(item) if attempts else [],
        "command": _code_block(f"mathreel build --only {item.concept.slug}", "text", "    "),
        "stale": item.stale_video,
    }


def concept_markdown(item: GalleryItem, titles: dict[str, str], backlinks: list[str], *,
                     summaries: dict[str, str] | None = None, env: Environment) -> str:
    """The page of one concept: video, anchors, notes, downloads, code, provenance."""
    c = item.concept
    out = [_front_matter(c.title, description=c.summary)]
    out.append(f"# {_md_text(c.title)}\n")
    if c.summary:
        out.append(_render(env, "lede", text=c.summary) + "\n")
    out.append(_render(env, "meta", meta=_meta(item, "mr-card-meta mr-page-meta")) + "\n")

    if item.status == "failed":
        out.append(_render(env, "failure", failure=_failure(item)))
    if item.provenance == "template":
        out.append('!!! note "Anchor template"\n\n'
                   "    This scene was built from the concept's anchors alone, without a model. "
                   "Configure a model and rebuild for a scene written for this concept.\n")

    if item.video is not None and item.variants:
        out.append(_render(env, "variants", variants=_variants(item)))
    elif item.video is not None:
        out.append(_render(env, "player", player=_player(item)) + "\n")

    out.append("## Key equations\n")
    out.append(_render(env, "anchors", anchors=_anchors(item)) + "\n")

    if item.notes.strip():
        out.append("## Study notes\n")
        out.append(_render(env, "notes", notes=Markup(render_notes(item.notes))) + "\n")

    if any(p is not None for p in (item.pdf, item.tex, item.video, item.scene_path)):
        out.append("## Downloads\n")
        out.append(_render(env, "downloads", downloads=_downloads(item)) + "\n")

    out.append("## Learning path\n")
    out.append(_render(env, "learning-path", columns=_learning_path(item, titles, summaries or {}, backlinks)))

    if item.source:
        out.append("## Scene code\n")
        lines = len(item.source.splitlines())
        out.append(f'??? example "scene.py: {lines} lines, class {escape(_scene_class(item))}"\n')
        out.append(_fence(item.source, "python", "    "))

    out.append("## Provenance\n")
    out.append(_render(env, "provenance", rows=_provenance(item)) + "\n")
    if item.reasoning.strip():
        out.append(_render(env, "reasoning", reasoning=Markup(render_notes(item.reasoning, top_heading=4))) + "\n")
    return "".join(part if part.endswith("\n\n") else part + "\n" for part in out)


# --------------------------------------------------------------------------- build report


def _chart(rows: Sequence[tuple[str, float, str]], *, title: str, unit: str, chart_id: str) -> dict[str, Any]:
    """Context of mathreel-report-chart.html: a horizontal bar chart's geometry and labels."""
    width, label_w, row_h, top, value_w = 540, 170, 26, 8, 80
    bar_w = width - label_w - value_w
    peak = max((value for _, value, _ in rows), default=0.0) or 1.0
    bars = []
    for index, (label, value, text) in enumerate(rows):
        y = top + index * row_h
        length = max(1.0, bar_w * value / peak) if value > 0 else 0.0
        bars.append({"label": label, "text": text, "short": label if len(label) <= 24 else label[:23] + "…",
                     "text_y": f"{y + row_h / 2 + 4:.1f}", "bar_y": y + 5, "length": f"{length:.1f}"})
    return {"id": chart_id, "title": title, "unit": unit, "width": width,
            "height": top * 2 + row_h * max(1, len(rows)), "label_x": label_w - 10, "bar_x": label_w,
            "bar_width": bar_w, "bar_height": row_h - 10, "value_x": label_w + bar_w + 8, "bars": bars}


def bar_chart(rows: Sequence[tuple[str, float, str]], *, title: str, unit: str,
              chart_id: str, env: Environment) -> str:
    """A horizontal bar chart as inline SVG: (label, value, value text) per row.

    Colours come from the page's CSS (classes mr-plot-*), so the chart follows the palette.
    """
    return _render(env, "report-chart", chart=_chart(rows, title=title, unit=unit, chart_id=chart_id))


def report_markdown(items: list[GalleryItem], report: BuildRecord, *, env: Environment) -> str:
    """The build report page: one row per concept, totals, and plots of time and tokens."""
    # Build facts are noise in search results: the report is left out of the index.
    out = [_front_matter("Build report", hide=["toc"], search={"exclude": True}), "# Build report\n"]
    started, build_seconds, versions, site_error = _report_summary(report)
    if not started:
        out.append("No build has run yet: run `mathreel build`.\n")
        return "\n".join(out)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    lede = (f"Built {_short_date(started)} in {build_seconds:.1f} s"
            + (" with " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) if versions else "") + ".")
    out.append(_render(env, "lede", text=lede) + "\n")
    if site_error:
        out.append(_render(env, "report-error", error=site_error) + "\n")

    rows, time_rows, token_rows = [], [], []
    total_seconds = total_tokens = total_size = total_attempts = 0.0
    for item in items:
        rendered, seconds, size = _report_numbers(item)
        tokens = _report_tokens(item)
        attempts = item.attempts
        total_seconds += seconds
        total_size += size
        total_tokens += tokens
        total_attempts += attempts or 0
        error = (item.error or "").strip().splitlines()
        rows.append({
            "href": f"../{concept_dir(item.slug)}/", "title": item.concept.title, "status": item.status,
            "made_by": _made_by_short(item), "attempts": str(attempts) if attempts is not None else "–",
            "tokens": f"{tokens:,}" if tokens else "–", "seconds": f"{seconds:.1f}" if rendered else "–",
            "size": f"{size / 1e6:.2f}" if rendered else "–", "error": error[-1] if error else ""})
        if rendered:
            time_rows.append((item.concept.title, seconds, f"{seconds:.1f} s"))
        if tokens:
            token_rows.append((item.concept.title, float(tokens), f"{tokens:,}"))

    tiles = [
        (str(len(items)), "concepts"),
        (str(counts.get("built", 0) + counts.get("cached", 0)), "built or cached"),
        (str(counts.get("failed", 0)), "failed"),
        (f"{total_seconds:.1f} s", "render time"),
        (f"{int(total_tokens):,}" if total_tokens else "0", "tokens"),
        (format_bytes(total_size), "of video"),
    ]
    out.append(_render(env, "report-tiles", tiles=[{"value": v, "label": label} for v, label in tiles]) + "\n")

    out.append("## Concepts\n")
    totals = {"counts": ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
              "attempts": str(int(total_attempts) or "–"),
              "tokens": f"{int(total_tokens):,}" if total_tokens else "–",
              "seconds": f"{total_seconds:.1f}", "size": f"{total_size / 1e6:.2f}"}
    out.append(_render(env, "report-table", rows=rows, totals=totals) + "\n")

    out.append("## Render time per concept\n")
    if time_rows:
        out.append(_render(env, "report-plot", plot={
            "chart": _chart(time_rows, title="Render time per concept", unit="seconds", chart_id="mr-plot-time"),
            "caption": "Seconds Manim spent rendering each video, in this build or the "
                                       "build that made the cached video."}) + "\n")
    else:
        out.append("No concept has a rendered video yet.\n")
    out.append("## Tokens per concept\n")
    out.append(_render(env, "report-plot", plot={
        "chart": _chart(token_rows, title="Tokens per concept", unit="tokens", chart_id="mr-plot-tokens")
        if token_rows else None,
        "caption": "Tokens the model used to write each scene and its notes, repairs included.",
        "empty": "No model tokens recorded: every scene came from the anchor template or was written by hand.",
    }) + "\n")
    return "\n".join(out)
