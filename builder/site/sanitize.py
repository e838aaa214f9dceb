"""Model-written text is untrusted: Markdown to HTML, then an allowlist sanitizer (nh3).

What survives: ordinary document structure, tables, code, links (http, https, mailto or
relative) and math, which arithmatex leaves as `\\(..\\)` / `\\[..\\]` text for KaTeX. What
goes: scripts, event handlers, styles, iframes, forms, images (they would fetch from other
origins), ids (they could collide with the page's own), and every class but arithmatex's.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "q", "s",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title"},
    "a": {"href"},
    "abbr": {"title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {"span": {"arithmatex"}, "div": {"arithmatex"}}
URL_SCHEMES = {"http", "https", "mailto"}

_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


@cache
def _markdown() -> Any:
    import markdown  # type: ignore[import-untyped, unused-ignore]

    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
        output_format="html",
    )


def clean_html(html: str) -> str:
    """Keep ordinary document HTML; drop scripts, handlers, iframes, styles and unsafe URLs."""
    import nh3

    return str(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         allowed_classes=ALLOWED_CLASSES, url_schemes=URL_SCHEMES,
                         link_rel="noopener nofollow ugc", strip_comments=True))


def shift_headings(html: str, top: int) -> str:
    """Renumber headings so the highest one in `html` becomes `h<top>` (never past h6)."""
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if not levels:
        return html
    delta = top - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + delta))}", html)


def render_notes(markdown_text: str, *, top_heading: int = 3) -> str:
    """Untrusted Markdown with LaTeX math -> sanitized HTML (math left for KaTeX).

    The notes sit under a heading of the page, so their own headings start at `top_heading`.
    """
    md = _markdown()
    md.reset()
    return clean_html(shift_headings(md.convert(markdown_text), top_heading))
