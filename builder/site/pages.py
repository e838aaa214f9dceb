"""Markdown and HTML of the generated pages: concept pages, the gallery grid, the build report.

Everything the spec author wrote is escaped; everything a model wrote (notes, reasoning) goes
through `sanitize.render_notes`. Links are relative, so the site works from any sub-path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from builder.site.gallery import GalleryItem, token_counts
from builder.site.sanitize import render_notes

LEVEL_ORDER = {"intro": 0, "undergraduate": 1, "graduate": 2, "research": 3}
POSTER_SIZE = (854, 480)

# Icons: Material Design Icons (Pictogrammers, Apache-2.0), the set Material for MkDocs ships.
_ICONS = {
    "pdf": "M19 3H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2m-9.5 8.5c0 .8-.7 1.5-1.5 1.5H7v2H5.5V9H8c.8 0 1.5.7 1.5 1.5zm5 2c0 .8-.7 1.5-1.5 1.5h-2.5V9H13c.8 0 1.5.7 1.5 1.5zm4-3H17v1h1.5V13H17v2h-1.5V9h3zm-6.5 0h1v3h-1zm-5 0h1v1H7z",
    "python": "M19.14 7.5A2.86 2.86 0 0 1 22 10.36v3.78A2.86 2.86 0 0 1 19.14 17H12c0 .39.32.96.71.96H17v1.68a2.86 2.86 0 0 1-2.86 2.86H9.86A2.86 2.86 0 0 1 7 19.64v-3.75a2.85 2.85 0 0 1 2.86-2.85h5.25a2.85 2.85 0 0 0 2.85-2.86V7.5zm-4.28 11.79c-.4 0-.72.3-.72.89s.32.71.72.71a.71.71 0 0 0 .71-.71c0-.59-.32-.89-.71-.89m-10-1.79A2.86 2.86 0 0 1 2 14.64v-3.78A2.86 2.86 0 0 1 4.86 8H12c0-.39-.32-.96-.71-.96H7V5.36A2.86 2.86 0 0 1 9.86 2.5h4.28A2.86 2.86 0 0 1 17 5.36v3.75a2.85 2.85 0 0 1-2.86 2.85H8.89a2.85 2.85 0 0 0-2.85 2.86v2.68zM9.14 5.71c.4 0 .72-.3.72-.89s-.32-.71-.72-.71c-.39 0-.71.12-.71.71s.32.89.71.89",
    "video": "m20.84 2.18-3.93.78 2.74 3.54 1.97-.4zm-6.87 1.36L12 3.93l2.75 3.53 1.96-.39zm-4.9.96-1.97.41 2.75 3.53 1.96-.39zm-4.91 1-.98.19a1.995 1.995 0 0 0-1.57 2.35L2 10l4.9-.97zM20 12v8H4v-8zm2-2H2v10a2 2 0 0 0 2 2h16c1.11 0 2-.89 2-2z",
    "tex": "M14 2H6a2 2 0 0 0-2 2v16c0 1.11.89 2 2 2h12c1.11 0 2-.89 2-2V8zm4 18H6V4h7v5h5zm-8.46-4.35 2.09 2.09L10.35 19 7 15.65l3.35-3.35 1.28 1.26zm7.46 0L13.65 19l-1.27-1.26 2.09-2.09-2.09-2.09 1.27-1.26z",
    "play": "M10 16.5v-9l6 4.5M12 2A10 10 0 0 0 2 12a10 10 0 0 0 10 10 10 10 0 0 0 10-10A10 10 0 0 0 12 2",
}


def _icon(name: str, cls: str = "mr-icon") -> str:
    return (f'<svg class="{cls}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'<path d="{_ICONS[name]}"/></svg>')


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


# --------------------------------------------------------------------------- gallery


def _card(item: GalleryItem, prefix: str) -> str:
    c = item.concept
    base = f"{prefix}{concept_dir(c.slug)}/"
    width, height = _size(item)
    if item.poster is not None:
        preview = f' data-preview="{base}preview.webp"' if item.preview is not None else ""
        visual = (f'<img class="mr-card-poster" src="{base}poster.png"{preview} alt="" '
                  f'loading="lazy" decoding="async" width="{width}" height="{height}">')
        if item.render.get("duration"):
            visual += f'<span class="mr-card-duration">{format_duration(float(item.render["duration"]))}</span>'
        if item.preview is not None:
            visual += '<span class="mr-card-play" aria-hidden="true"></span>'  # icon drawn by CSS
    else:
        missing = "no video: the build failed" if item.status == "failed" else "not rendered yet"
        visual = f'<div class="mr-card-poster mr-card-missing">{missing}</div>'
    chips = "".join(f' <span class="mr-tag">{escape(t)}</span>' for t in c.tags)
    badge = ""
    if item.status == "failed":
        badge = ' <span class="mr-badge mr-badge-failed">build failed</span>'
    elif item.provenance == "template":
        badge = ' <span class="mr-badge">anchor template</span>'
    return (
        f'<a class="mr-card" href="{base}" data-slug="{escape(c.slug)}" '
        f'data-tags="{escape(" ".join(c.tags))}" data-level="{escape(c.level)}" '
        f'data-title="{escape(c.title.lower())}" data-level-rank="{LEVEL_ORDER.get(c.level, 9)}" '
        f'data-date="{escape(item.date)}" data-status="{escape(item.status)}">'
        f'<div class="mr-card-media">{visual}</div> '
        f'<div class="mr-card-body"><h2 class="mr-card-title">{escape(c.title)}</h2> '
        f'<p class="mr-card-summary">{escape(c.summary)}</p> '
        f'<div class="mr-card-meta"><span class="mr-level" data-level="{escape(c.level)}">{escape(c.level)}</span>'
        f"{chips}{badge}</div></div></a>")


def _size(item: GalleryItem) -> tuple[int, int]:
    width, height = item.render_info.get("width"), item.render_info.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return POSTER_SIZE


def gallery_html(items: list[GalleryItem], prefix: str = "") -> str:
    """The card grid with its filters and sorting; `prefix` leads from the page to the site root."""
    tags: dict[str, int] = {}
    levels: dict[str, int] = {}
    for item in items:
        for tag in item.concept.tags:
            tags[tag] = tags.get(tag, 0) + 1
        levels[item.concept.level] = levels.get(item.concept.level, 0) + 1
    tag_buttons = "".join(
        f'<button type="button" class="mr-filter" data-tag="{escape(tag)}" aria-pressed="false">'
        f'{escape(tag)} <span class="mr-count" aria-label="{count} concepts">{count}</span></button>'
        for tag, count in sorted(tags.items()))
    level_buttons = "".join(
        f'<button type="button" class="mr-filter mr-filter-level" data-level="{escape(level)}" '
        f'aria-pressed="false">{escape(level)} <span class="mr-count" aria-label="{count} concepts">'
        f"{count}</span></button>"
        for level, count in sorted(levels.items(), key=lambda kv: (LEVEL_ORDER.get(kv[0], 9), kv[0])))
    toolbar = (
        '<div class="mr-toolbar" data-mr-toolbar hidden>'
        + (f'<div class="mr-toolbar-row"><span class="mr-toolbar-label" id="mr-tags-label">Tags</span>'
           f'<div class="mr-chips" role="group" aria-labelledby="mr-tags-label">{tag_buttons}</div></div>'
           if tags else "")
        + '<div class="mr-toolbar-row"><span class="mr-toolbar-label" id="mr-levels-label">Level</span>'
        f'<div class="mr-chips" role="group" aria-labelledby="mr-levels-label">{level_buttons}</div></div>'
        '<div class="mr-toolbar-row mr-toolbar-foot">'
        f'<p class="mr-status" role="status"><span data-mr-shown>{len(items)}</span> of {len(items)} '
        'concepts shown <button type="button" class="mr-clear" data-mr-clear hidden>Clear filters</button></p>'
        '<label class="mr-sort">Sort by <select data-mr-sort>'
        '<option value="title">title</option><option value="level">level</option>'
        '<option value="newest">newest</option></select></label></div>'
        "</div>")
    cards = "".join(_card(item, prefix) for item in items)
    empty = '<p class="mr-empty" data-mr-empty hidden>No concept matches these filters.</p>'
    return (f'<div class="mr-gallery-wrap">{toolbar}\n'
            f'<div class="mr-gallery" data-count="{len(items)}">{cards}</div>{empty}</div>')


def index_markdown(items: list[GalleryItem]) -> str:
    """The default home page when the user wrote no docs/index.md."""
    return (_front_matter("Gallery", hide=["navigation", "toc"])
            + "# Gallery\n\n"
            + f"{len(items)} concepts, each with an animation, its key equations and study notes.\n\n"
            + gallery_html(items) + "\n")


# --------------------------------------------------------------------------- concept page


def _math_block(latex: str) -> str:
    return f'<div class="arithmatex">\\[{escape(latex)}\\]</div>'


def _fence(code: str, lang: str, indent: str = "") -> str:
    longest = max((len(run) for run in code.split("`") if not run), default=0)
    ticks = "`" * max(3, longest + 1)
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            ticks = "`" * max(len(ticks), len(stripped) - len(stripped.lstrip("`")) + 1)
    body = "\n".join(indent + line if line else "" for line in code.rstrip().splitlines())
    return f"{indent}{ticks}{lang}\n{body}\n{indent}{ticks}\n"


def _frame(path: Path, time: float, width: int, height: int) -> str:
    return (f'<li><button type="button" class="mr-frame" data-time="{time:.2f}" '
            f'aria-label="Play from {format_time(time)}">'
            f'<img src="storyboard/{escape(path.name)}" alt="" loading="lazy" decoding="async" '
            f'width="{width}" height="{height}"> <span class="mr-frame-time">{format_time(time)}</span>'
            "</button></li>")


def _storyboard(item: GalleryItem) -> str:
    """The storyboard's frames; grouped under a heading per chapter when the video has chapters."""
    if not item.storyboard:
        return ""
    width, height = _size(item)
    label = "Storyboard: jump to a moment of the animation"
    grouped = item.chapters and len(item.storyboard_chapters) == len(item.storyboard)
    if not grouped:
        frames = "".join(_frame(path, time, width, height) for path, time in item.storyboard)
        return f'<ol class="mr-storyboard" aria-label="{label}">{frames}</ol>'
    groups = []
    for index, chapter in enumerate(item.chapters):
        frames = "".join(_frame(path, time, width, height)
                         for (path, time), where in zip(item.storyboard, item.storyboard_chapters, strict=True)
                         if where == index)
        if not frames:
            continue
        title = escape(_chapter_title(chapter.title, index))
        groups.append(f'<section class="mr-storyboard-group" data-chapter="{index}">'
                      f'<h3 class="mr-storyboard-heading">{index + 1}. {title} '
                      f'<span class="mr-storyboard-range">{format_duration(chapter.start)}'
                      f"–{format_duration(chapter.end)}</span></h3>"
                      f'<ol class="mr-storyboard" aria-label="Storyboard of chapter {index + 1}: {title}">'
                      f"{frames}</ol></section>")
    return f'<div class="mr-storyboard-groups" role="group" aria-label="{label}">{"".join(groups)}</div>'


def _chapter_title(title: str, index: int) -> str:
    """A chapter's title for people (an empty one gets its number, as the VTT track does)."""
    title = " ".join(title.split())
    return title or f"Chapter {index + 1}"


def _chapter_list(item: GalleryItem) -> str:
    """The chapters beside the player: real page text (so search finds them), buttons that seek."""
    rows = "".join(
        f'<li><button type="button" class="mr-chapter" data-time="{chapter.start:.2f}" '
        f'data-end="{chapter.end:.2f}">'
        f'<span class="mr-chapter-time">{format_duration(chapter.start)}</span> '
        f'<span class="mr-chapter-title">{escape(_chapter_title(chapter.title, index))}</span></button></li>'
        for index, chapter in enumerate(item.chapters))
    return (f'<nav class="mr-chapters" aria-labelledby="mr-chapters-title">'
            f'<p class="mr-chapters-title" id="mr-chapters-title">Chapters</p>'
            f'<ol class="mr-chapter-list">{rows}</ol></nav>')


def _video(item: GalleryItem) -> str:
    width, height = _size(item)
    # The MP4 comes first: every browser plays it; a browser that prefers WebM still gets H.264.
    sources = '<source src="video.mp4" type="video/mp4">'
    if item.webm is not None:
        sources += '<source src="video.webm" type="video/webm">'
    track = ""
    if item.chapters and item.chapters_vtt is not None:
        track = '<track kind="chapters" src="chapters.vtt" srclang="en" label="Chapters" default>'
    video = (f'<video class="mr-video" controls preload="none" playsinline '
             f'poster="poster.png" width="{width}" height="{height}">{sources}{track}'
             f'<a href="video.mp4">Download the video</a></video>')
    if item.chapters:
        video = f'<div class="mr-player-main">{video}{_chapter_list(item)}</div>'
    extra = " mr-has-chapters" if item.chapters else ""
    return f'<figure class="mr-player{extra}">{video}{_storyboard(item)}</figure>\n'


def _anchor(item: GalleryItem, label: str, latex: str) -> str:
    """One key equation, with the moment the video first shows it (a button that seeks there)."""
    when = ""
    if item.video is not None and latex in item.anchor_times:
        time = item.anchor_times[latex]
        if time is None:
            when = '<span class="mr-anchor-when mr-anchor-missing">not shown in the video</span>'
        else:
            when = (f'<button type="button" class="mr-anchor-when mr-anchor-time" data-time="{time:.2f}" '
                    f'aria-label="Play {escape(label)} from {format_duration(time)}">'
                    f"at {format_duration(time)}</button>")
    return (f'<li class="mr-anchor"><span class="mr-anchor-head"><span class="mr-anchor-label">{escape(label)}'
            f"</span>{(' ' + when) if when else ''}</span> {_math_block(latex)}</li> ")


def _downloads(item: GalleryItem) -> str:
    slug = item.slug
    links = []

    def size(path: Path | None) -> str:
        return format_bytes(path.stat().st_size) if path is not None and path.is_file() else ""

    if item.pdf is not None:
        pages = f"{item.notes_pages} page{'s' if item.notes_pages != 1 else ''} · " if item.notes_pages else ""
        links.append(("notes.pdf", f"{slug}-notes.pdf", "pdf", "Study notes", f"PDF · {pages}{size(item.pdf)}"))
    if item.tex is not None:
        links.append(("notes.tex", f"{slug}-notes.tex", "tex", "Notes source", f"LaTeX · {size(item.tex)}"))
    if item.video is not None:
        quality = item.render_info.get("resolution") or item.render.get("quality", "")
        links.append(("video.mp4", f"{slug}.mp4", "video", "Animation",
                      f"MP4 · {escape(str(quality))} · {size(item.video)}".replace(" ·  ·", " ·")))
    if item.scene_path is not None:
        lines = len(item.source.splitlines())
        links.append(("scene.py", f"{slug}-scene.py", "python", "Scene code", f"Python · {lines} lines"))
    return '<div class="mr-downloads">' + "".join(
        f'<a class="md-button mr-download" href="{href}" download="{escape(name)}">{_icon(icon)}'
        f'<span class="mr-download-text"><span class="mr-download-name">{label}</span> '
        f'<span class="mr-download-info">{info}</span></span></a>'
        for href, name, icon, label, info in links) + "</div>\n"


def _learning_path(item: GalleryItem, titles: dict[str, str], summaries: dict[str, str],
                   backlinks: Sequence[str]) -> str:
    def column(heading: str, slugs: Sequence[str], empty: str) -> str:
        if slugs:
            rows = "\n".join(
                f"- [{_md_text(titles.get(s, s))}](../{s}/index.md)"
                + (f"<br><span class=\"mr-path-summary\">{escape(summaries[s])}</span>" if summaries.get(s) else "")
                for s in slugs)
        else:
            rows = f'<p class="mr-path-empty">{empty}</p>'
        return f'<div class="mr-path-col" markdown>\n<p class="mr-path-heading">{heading}</p>\n\n{rows}\n\n</div>\n'

    return ('<div class="mr-path" markdown>\n'
            + column("Before this", item.concept.prerequisites, "Nothing: a good place to start.")
            + column("Leads to", list(backlinks), "No concept builds on this one yet.")
            + "</div>\n")


def _made_by(item: GalleryItem) -> str:
    if item.provenance == "hand-written":
        return "written by hand"
    if item.provenance == "template":
        return "mathreel anchor template (no model)"
    model = item.meta.get("model") or item.generator
    provider = item.meta.get("provider")
    if model and provider and provider not in str(model):
        return f"model {model} ({provider})"
    return f"model {model}" if model else "a model"


def _made_by_short(item: GalleryItem) -> str:
    if item.provenance == "hand-written":
        return "by hand"
    if item.provenance == "template":
        return "anchor template"
    return str(item.meta.get("model") or item.generator or "model")


def _tokens_text(tokens: dict[str, int]) -> str:
    parts = [f"{tokens[name]:,} {label}" for name, label in
             (("prompt_tokens", "prompt"), ("completion_tokens", "completion"),
              ("reasoning_tokens", "reasoning")) if tokens.get(name)]
    total = f"{tokens.get('total_tokens', 0):,}"
    return f"{total} ({', '.join(parts)})" if parts else total


def _short_date(value: str) -> str:
    """2025-11-26T11:58:03+00:00 -> 2025-11-26 11:58 UTC (other offsets are kept as written)."""
    if not value:
        return ""
    if value.endswith(("+00:00", "Z")) and len(value) >= 16:
        return value.replace("T", " ")[:16] + " UTC"
    return value.replace("T", " ")


def _provenance(item: GalleryItem, built: str) -> str:
    c = item.concept
    rows: list[tuple[str, str]] = [("Made by", _made_by(item))]
    if item.provenance == "model" and item.generator and item.generator != item.meta.get("model"):
        rows.append(("Generator", item.generator))
    if item.provenance == "template":
        rows.append(("Generator", item.generator or "anchor-template"))
    attempts = item.attempts
    if attempts is not None:
        rows.append(("Attempts", str(attempts)))
    if item.tokens:
        rows.append(("Tokens", _tokens_text(item.tokens)))
    r = item.render
    if r:
        resolution = item.render_info.get("resolution")
        quality = f"quality {r.get('quality', '?')}" + (f" ({resolution})" if resolution else "")
        rows.append(("Render", f"{float(r.get('seconds', 0)):.1f} s at {quality}, "
                               f"{float(r.get('duration', 0)):.1f} s of video, {format_bytes(float(r.get('size', 0)))}"))
        renderer = r.get("renderer")
        if isinstance(renderer, dict) and renderer.get("renderer"):
            why = str(renderer.get("fallback") or renderer.get("why") or "")
            rows.append(("Renderer", f"{renderer['renderer']}" + (f" ({why})" if why else "")))
        if r.get("quality_note"):
            rows.append(("Quality", str(r["quality_note"])))
        sandbox = str(r.get("sandbox") or item.render_info.get("sandbox") or "")
        if sandbox:
            rows.append(("Sandbox", sandbox))
    versions: dict[str, str] = {}
    meta_versions = item.meta.get("versions")
    if isinstance(meta_versions, dict):
        versions.update({str(k): str(v) for k, v in meta_versions.items()})
    render_manim = (item.render_info.get("key_parts") or {}).get("manim")
    if render_manim:
        versions["manim"] = str(render_manim)
    pandoc = ((item.report.get("notes") or {}).get("parts") or {}).get("pandoc")
    if pandoc:
        versions["pandoc"] = str(pandoc)
    if versions:
        order = {"manim": 0, "pandoc": 1, "mathreel": 2}
        rows.append(("Versions", " · ".join(f"{k} {v}" for k, v in
                                            sorted(versions.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))))
    rows.append(("Scene class", str(item.meta.get("scene_class") or c.scene_class)))
    if item.hand_edited:
        rows.append(("Edited", "scene.py was edited by hand after generation, and kept"))
    if item.date:
        rows.append(("Generated", _short_date(item.date)))
    if built:
        rows.append(("Site built", _short_date(built)))
    return ('<dl class="mr-provenance">' + "".join(
        f"<div><dt>{escape(k)}</dt> <dd>{escape(v)}</dd></div> " for k, v in rows) + "</dl>\n")


def _failure(item: GalleryItem) -> str:
    c = item.concept
    stage = item.error_stage or "build"
    out = [f'!!! failure "This concept failed to build ({escape(stage)})"\n']
    out.append(_fence(item.error or "unknown error", "text", "    "))
    attempts = item.attempts
    if attempts:
        out.append(f"    The {'model' if item.provenance == 'model' else 'build'} tried "
                   f"{attempts} time{'s' if attempts != 1 else ''}.\n")
        log = [a for a in item.attempt_log if a.get("error") or a.get("message") or a.get("diagnostics")]
        if log:
            out.append('\n    <details class="mr-attempts"><summary>What went wrong in each attempt</summary><ol>'
                       + "".join(f"<li><pre><code>{escape(_attempt_text(a))}</code></pre></li>" for a in log)
                       + "</ol></details>\n")
    out.append("\n    Fix the scene or the spec, then build this concept again:\n\n")
    out.append(_fence(f"mathreel build --only {c.slug}", "text", "    "))
    if item.stale_video:
        out.append("\n    The video below is the last one that built.\n")
    return "".join(out) + "\n"


def _attempt_text(attempt: dict[str, Any]) -> str:
    message = attempt.get("error") or attempt.get("message") or attempt.get("diagnostics") or ""
    if isinstance(message, list):
        message = "\n".join(str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in message)
    kind = attempt.get("stage") or attempt.get("kind") or ""
    return f"{kind}: {message}" if kind else str(message)


def _variant_tabs(item: GalleryItem) -> str:
    """One tab per model (`models:`), so readers can compare them on the same prompt."""
    width, height = _size(item)
    main = str(item.meta.get("model") or item.generator or "main")
    tabs = [f'=== "{_tab_title(main)}"\n\n' + _indent(_video(item))]
    for variant in item.variants:
        base = f"variants/{escape(variant.folder)}"
        if variant.video is None:
            body = (f'<p class="mr-variant-missing">No video for {escape(variant.model)}: '
                    f"{escape((variant.error or 'not rendered').splitlines()[0])}</p>\n")
        else:
            body = (f'<figure class="mr-player"><video class="mr-video" controls preload="none" playsinline '
                    f'poster="{base}/poster.png" width="{width}" height="{height}">'
                    f'<source src="{base}/video.mp4" type="video/mp4"></video></figure>\n')
        if variant.scene_path is not None:
            body += f'<p><a href="{base}/scene.py" download>scene.py of {escape(variant.model)}</a></p>\n'
        tabs.append(f'=== "{_tab_title(variant.model)}"\n\n' + _indent(body))
    return "\n".join(tabs) + "\n"


def _tab_title(name: str) -> str:
    return name.replace('"', "'").replace("\n", " ")


def _indent(text: str) -> str:
    return "".join(("    " + line) if line.strip() else line for line in text.splitlines(keepends=True))


def concept_markdown(item: GalleryItem, titles: dict[str, str], backlinks: list[str], *,
                     summaries: dict[str, str] | None = None, built: str = "") -> str:
    """The page of one concept: video, anchors, notes, downloads, code, provenance."""
    c = item.concept
    out = [_front_matter(c.title, description=c.summary)]
    out.append(f"# {_md_text(c.title)}\n")
    if c.summary:
        out.append(f'<p class="mr-lede">{escape(c.summary)}</p>\n')
    chips = "".join(f' <span class="mr-tag">{escape(t)}</span>' for t in c.tags)
    status = ""
    if item.status == "failed":
        status = ' <span class="mr-badge mr-badge-failed">build failed</span>'
    elif item.provenance == "template":
        status = ' <span class="mr-badge">anchor template</span>'
    out.append(f'<div class="mr-card-meta mr-page-meta"><span class="mr-level" data-level="{escape(c.level)}">'
               f"{escape(c.level)}</span>{chips}{status}</div>\n")

    if item.status == "failed":
        out.append(_failure(item))
    if item.provenance == "template":
        out.append('!!! note "Anchor template"\n\n'
                   "    This scene was built from the concept's anchors alone, without a model. "
                   "Configure a model and rebuild for a scene written for this concept.\n")

    if item.video is not None and item.variants:
        out.append(_variant_tabs(item))
    elif item.video is not None:
        out.append(_video(item))

    out.append("## Key equations\n")
    out.append('<ol class="mr-anchors">' + "".join(_anchor(item, a.label, a.latex) for a in c.anchors)
               + "</ol>\n")

    if item.notes.strip():
        out.append("## Study notes\n")
        out.append(f'<div class="mr-notes">\n{render_notes(item.notes)}\n</div>\n')

    if any(p is not None for p in (item.pdf, item.tex, item.video, item.scene_path)):
        out.append("## Downloads\n")
        out.append(_downloads(item))

    out.append("## Learning path\n")
    out.append(_learning_path(item, titles, summaries or {}, backlinks))

    if item.source:
        out.append("## Scene code\n")
        lines = len(item.source.splitlines())
        out.append(f'??? example "scene.py: {lines} lines, class {escape(item.meta.get("scene_class") or c.scene_class)}"\n')
        out.append(_fence(item.source, "python", "    "))

    out.append("## Provenance\n")
    out.append(_provenance(item, built))
    if item.reasoning.strip():
        out.append('<details class="abstract mr-reasoning"><summary>The model\'s reasoning</summary>'
                   f'<div class="mr-reasoning-body">{render_notes(item.reasoning, top_heading=4)}</div></details>\n')
    return "".join(part if part.endswith("\n\n") else part + "\n" for part in out)


# --------------------------------------------------------------------------- build report


def bar_chart(rows: Sequence[tuple[str, float, str]], *, title: str, unit: str,
              chart_id: str) -> str:
    """A horizontal bar chart as inline SVG: (label, value, value text) per row.

    Colours come from the page's CSS (classes mr-plot-*), so the chart follows the palette.
    """
    width, label_w, row_h, top, value_w = 540, 170, 26, 8, 80
    bar_w = width - label_w - value_w
    height = top * 2 + row_h * max(1, len(rows))
    peak = max((value for _, value, _ in rows), default=0.0) or 1.0
    parts = [f'<svg class="mr-plot-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">'
             f'<title id="{chart_id}-title">{escape(title)}</title>']
    for index, (label, value, text) in enumerate(rows):
        y = top + index * row_h
        length = max(1.0, bar_w * value / peak) if value > 0 else 0.0
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<g class="mr-plot-row"><title>{escape(label)}: {escape(text)} {escape(unit)}</title>'
            f'<text class="mr-plot-label" x="{label_w - 10}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(short)}</text>'
            f'<rect class="mr-plot-track" x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}" rx="3"/>'
            f'<rect class="mr-plot-bar" x="{label_w}" y="{y + 5}" width="{length:.1f}" height="{row_h - 10}" rx="3"/>'
            f'<text class="mr-plot-value" x="{label_w + bar_w + 8}" y="{y + row_h / 2 + 4:.1f}">{escape(text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _report_tokens(item: GalleryItem, entry: dict[str, Any]) -> int:
    counts = item.tokens or token_counts(entry, entry.get("meta") or {})
    return int(counts.get("total_tokens", 0))


def report_markdown(items: list[GalleryItem], report: dict[str, Any]) -> str:
    """The build report page: one row per concept, totals, and plots of time and tokens."""
    # Build facts are noise in search results: the report is left out of the index.
    out = [_front_matter("Build report", hide=["toc"], search={"exclude": True}), "# Build report\n"]
    if not report:
        out.append("No build has run yet: run `mathreel build`.\n")
        return "\n".join(out)
    entries: dict[str, Any] = report.get("concepts") or {}
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    versions = report.get("versions") or {}
    out.append(f'<p class="mr-lede">Built {escape(_short_date(str(report.get("started", "?"))))} in '
               f"{float(report.get('seconds', 0)):.1f} s"
               + (" with " + ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in sorted(versions.items()))
                  if versions else "") + ".</p>\n")
    if report.get("site_error"):
        out.append(f'<div class="admonition failure"><p class="admonition-title">The site build failed</p>'
                   f"<pre><code>{escape(str(report['site_error']))}</code></pre></div>\n")

    rows, time_rows, token_rows = [], [], []
    total_seconds = total_tokens = total_size = total_attempts = 0.0
    for item in items:
        r = item.render
        entry = entries.get(item.slug) or {}
        seconds = float(r.get("seconds", 0) or 0)
        size = float(r.get("size", 0) or 0)
        tokens = _report_tokens(item, entry)
        attempts = item.attempts
        total_seconds += seconds
        total_size += size
        total_tokens += tokens
        total_attempts += attempts or 0
        error = (item.error or "").strip().splitlines()
        rows.append(
            f'<tr data-status="{escape(item.status)}"><td><a href="../{concept_dir(item.slug)}/">{escape(item.concept.title)}</a></td>'
            f'<td><span class="mr-status-pill mr-status-{escape(item.status)}">{escape(item.status)}</span></td>'
            f"<td>{escape(_made_by_short(item))}</td>"
            f'<td class="mr-num">{attempts if attempts is not None else "–"}</td>'
            f'<td class="mr-num">{f"{tokens:,}" if tokens else "–"}</td>'
            f'<td class="mr-num">{f"{seconds:.1f}" if r else "–"}</td>'
            f'<td class="mr-num">{f"{size / 1e6:.2f}" if r else "–"}</td>'
            f'<td class="mr-error-cell">{escape(error[-1] if error else "")}</td></tr>')
        if r:
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
    out.append('<div class="mr-tiles">' + "".join(
        f'<div class="mr-tile"><span class="mr-tile-value">{escape(v)}</span>'
        f'<span class="mr-tile-label">{escape(label)}</span></div>' for v, label in tiles) + "</div>\n")

    out.append("## Concepts\n")
    out.append('<div class="mr-table-wrap"><table class="mr-report"><thead><tr><th>Concept</th><th>Status</th>'
               '<th>Made by</th><th class="mr-num">Attempts</th><th class="mr-num">Tokens</th>'
               '<th class="mr-num">Render s</th><th class="mr-num">Video MB</th><th>Error</th></tr></thead><tbody>'
               + "".join(rows) + "</tbody>"
               f'<tfoot><tr><th>Total</th><td>{", ".join(f"{n} {escape(s)}" for s, n in sorted(counts.items()))}</td><td></td>'
               f'<td class="mr-num">{int(total_attempts) or "–"}</td>'
               f'<td class="mr-num">{f"{int(total_tokens):,}" if total_tokens else "–"}</td>'
               f'<td class="mr-num">{total_seconds:.1f}</td><td class="mr-num">{total_size / 1e6:.2f}</td><td></td></tr></tfoot>'
               "</table></div>\n")

    out.append("## Render time per concept\n")
    if time_rows:
        out.append('<figure class="mr-plot">' + bar_chart(time_rows, title="Render time per concept",
                                                          unit="seconds", chart_id="mr-plot-time")
                   + "<figcaption>Seconds Manim spent rendering each video, in this build or the "
                     "build that made the cached video.</figcaption></figure>\n")
    else:
        out.append("No concept has a rendered video yet.\n")
    out.append("## Tokens per concept\n")
    if token_rows:
        out.append('<figure class="mr-plot">' + bar_chart(token_rows, title="Tokens per concept",
                                                          unit="tokens", chart_id="mr-plot-tokens")
                   + "<figcaption>Tokens the model used to write each scene and its notes, "
                     "repairs included.</figcaption></figure>\n")
    else:
        out.append('<p class="mr-plot-empty">No model tokens recorded: every scene came from the anchor '
                   "template or was written by hand.</p>\n")
    return "\n".join(out)
