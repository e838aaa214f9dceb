"""Markdown and HTML of the generated pages: concept pages, the gallery grid, the build report."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from builder.site.gallery import GalleryItem
from builder.site.sanitize import render_notes

LEVEL_ORDER = {"intro": 0, "undergraduate": 1, "graduate": 2, "research": 3}


def concept_dir(slug: str) -> str:
    """Docs-relative folder of a concept's page and media."""
    return f"concepts/{slug}"


def _front_matter(title: str, **extra: Any) -> str:
    data = {"title": title, "render_macros": False, **extra}
    return "---\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items()) + "\n---\n\n"


def gallery_html(items: list[GalleryItem], prefix: str = "") -> str:
    """The card grid; `prefix` leads from the embedding page to the site root."""
    cards = []
    tags: dict[str, int] = {}
    for item in items:
        c = item.concept
        for tag in c.tags:
            tags[tag] = tags.get(tag, 0) + 1
        href = f"{prefix}{concept_dir(c.slug)}/"
        if item.poster is not None:
            visual = (f'<img class="mr-card-poster" src="{prefix}{concept_dir(c.slug)}/poster.png" '
                      f'alt="" loading="lazy" decoding="async" width="854" height="480">')
        else:
            visual = '<div class="mr-card-poster mr-card-missing">not rendered yet</div>'
        chips = "".join(f'<span class="mr-tag">{escape(t)}</span>' for t in c.tags)
        badge = ""
        if item.status == "failed":
            badge = '<span class="mr-badge mr-badge-failed">build failed</span>'
        elif item.provenance == "template":
            badge = '<span class="mr-badge">anchor template</span>'
        cards.append(
            f'<a class="mr-card" href="{href}" data-slug="{escape(c.slug)}" '
            f'data-tags="{escape(" ".join(c.tags))}" data-level="{escape(c.level)}" '
            f'data-title="{escape(c.title.lower())}" data-level-rank="{LEVEL_ORDER.get(c.level, 9)}">'
            f'{visual}<div class="mr-card-body"><h3 class="mr-card-title">{escape(c.title)}</h3>'
            f'<p class="mr-card-summary">{escape(c.summary)}</p>'
            f'<div class="mr-card-meta"><span class="mr-level">{escape(c.level)}</span>{chips}{badge}</div>'
            f"</div></a>")
    filters = "".join(
        f'<button type="button" class="mr-filter" data-tag="{escape(tag)}" aria-pressed="false">'
        f'{escape(tag)} <span class="mr-count">{count}</span></button>'
        for tag, count in sorted(tags.items()))
    return (f'<div class="mr-gallery-tools" role="toolbar" aria-label="Filter concepts">{filters}</div>\n'
            f'<div class="mr-gallery" data-count="{len(items)}">' + "".join(cards) + "</div>")


def index_markdown(items: list[GalleryItem]) -> str:
    """The default home page when the user wrote no docs/index.md."""
    return (_front_matter("Gallery", hide=["navigation", "toc"])
            + "# Gallery\n\n"
            + f"{len(items)} concepts, each with an animation, its key equations and study notes.\n\n"
            + gallery_html(items) + "\n")


def _math_block(latex: str) -> str:
    return f'<div class="arithmatex">\\[{escape(latex)}\\]</div>'


def _fence(code: str, lang: str) -> str:
    longest = max((len(run) for run in code.split("`") if not run), default=0)
    ticks = "`" * max(3, longest + 1)
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            ticks = "`" * max(len(ticks), len(stripped) - len(stripped.lstrip("`")) + 1)
    return f"{ticks}{lang}\n{code.rstrip()}\n{ticks}\n"


def concept_markdown(item: GalleryItem, titles: dict[str, str], backlinks: list[str]) -> str:
    """The page of one concept: video, anchors, notes, downloads, code, provenance."""
    c = item.concept
    out = [_front_matter(c.title, description=c.summary)]
    out.append(f"# {escape(c.title)}\n")
    if c.summary:
        out.append(f'<p class="mr-lede">{escape(c.summary)}</p>\n')
    chips = "".join(f'<span class="mr-tag">{escape(t)}</span>' for t in c.tags)
    out.append(f'<div class="mr-card-meta"><span class="mr-level">{escape(c.level)}</span>{chips}</div>\n')

    if item.status == "failed":
        retry = f"mathreel build --only {c.slug}"
        out.append('<div class="admonition failure mr-error"><p class="admonition-title">'
                   f'This concept failed to build ({escape(item.error_stage or "build")})</p>'
                   f"<pre><code>{escape(item.error or 'unknown error')}</code></pre>"
                   f"<p>Fix the scene or the spec, then retry with <code>{escape(retry)}</code>.</p>"
                   + ("<p>The video below is the last one that built.</p>" if item.stale_video else "")
                   + "</div>\n")
    if item.provenance == "template":
        out.append('<div class="admonition note"><p class="admonition-title">Anchor template</p>'
                   "<p>This scene was built from the concept's anchors alone, without a model. "
                   "Configure a model and rebuild for a scene written for this concept.</p></div>\n")

    if item.video is not None:
        out.append(f'<video class="mr-video" controls preload="none" playsinline '
                   f'poster="poster.png" width="854" height="480">'
                   f'<source src="video.mp4" type="video/mp4">'
                   f'<a href="video.mp4">Download the video</a></video>\n')

    out.append("## Key equations\n")
    out.append('<div class="mr-anchors">' + "".join(
        f'<div class="mr-anchor"><div class="mr-anchor-label">{escape(a.label)}</div>{_math_block(a.latex)}</div>'
        for a in c.anchors) + "</div>\n")

    if item.notes.strip():
        out.append("## Study notes\n")
        out.append(f'<div class="mr-notes">\n{render_notes(item.notes)}\n</div>\n')

    links = []
    if item.pdf is not None:
        links.append('<a class="md-button" href="notes.pdf" download>Notes (PDF)</a>')
    if item.tex is not None:
        links.append('<a class="md-button" href="notes.tex" download>Notes (.tex)</a>')
    if item.video is not None:
        links.append('<a class="md-button" href="video.mp4" download>Video (MP4)</a>')
    if item.scene_path is not None:
        links.append('<a class="md-button" href="scene.py" download>scene.py</a>')
    if links:
        out.append("## Downloads\n")
        out.append('<div class="mr-downloads">' + " ".join(links) + "</div>\n")

    if c.prerequisites or backlinks:
        out.append("## Learning path\n")
        if c.prerequisites:
            out.append("Before this: " + ", ".join(
                f"[{escape(titles.get(s, s))}](../{s}/index.md)" for s in c.prerequisites) + "\n")
        if backlinks:
            out.append("\nLeads to: " + ", ".join(
                f"[{escape(titles.get(s, s))}](../{s}/index.md)" for s in backlinks) + "\n")

    if item.source:
        out.append("## Scene code\n")
        out.append(_fence(item.source, "python"))

    out.append("## Provenance\n")
    rows = [("Made by", _made_by(item)), ("Scene class", item.meta.get("scene_class", c.scene_class))]
    if item.render:
        rows.append(("Render", f"{item.render.get('seconds', 0):.1f} s at quality {item.render.get('quality', '?')}, "
                     f"{item.render.get('duration', 0):.1f} s of video, {item.render.get('size', 0) / 1e6:.2f} MB"))
    versions = item.meta.get("versions") or {}
    if versions:
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    if item.hand_edited:
        rows.append(("Edited", "scene.py was edited by hand after generation"))
    out.append('<table class="mr-provenance"><tbody>' + "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows) + "</tbody></table>\n")
    if item.reasoning.strip():
        out.append('<details class="mr-reasoning"><summary>The model\'s reasoning</summary>'
                   f"{render_notes(item.reasoning)}</details>\n")
    return "".join(part if part.endswith("\n\n") else part + "\n" for part in out)


def _made_by(item: GalleryItem) -> str:
    if item.provenance == "hand-written":
        return "written by hand"
    if item.provenance == "template":
        return "mathreel anchor template (no model)"
    return f"model {item.generator}" if item.generator else "a model"


def report_markdown(items: list[GalleryItem], report: dict[str, Any]) -> str:
    """The build report page: one row per concept and the totals."""
    out = [_front_matter("Build report"), "# Build report\n"]
    if not report:
        out.append("No build has run yet: run `mathreel build`.\n")
        return "\n".join(out)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    out.append(f"Built {report.get('started', '?')} in {float(report.get('seconds', 0)):.1f} s: "
               + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ".\n")
    rows = []
    for item in items:
        r = item.render
        rows.append(
            f"<tr><td><a href=\"../{concept_dir(item.slug)}/\">{escape(item.concept.title)}</a></td>"
            f"<td>{escape(item.status)}</td><td>{escape(_made_by(item))}</td>"
            f"<td>{r.get('seconds', 0):.1f}</td><td>{r.get('size', 0) / 1e6:.2f}</td>"
            f"<td>{escape((item.error or '').splitlines()[0] if item.error else '')}</td></tr>")
    out.append('<table class="mr-report"><thead><tr><th>Concept</th><th>Status</th><th>Made by</th>'
               "<th>Render s</th><th>Video MB</th><th>Error</th></tr></thead><tbody>"
               + "".join(rows) + "</tbody></table>\n")
    return "\n".join(out)
