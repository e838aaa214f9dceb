"""Model-written text is untrusted: Markdown to HTML, then an allowlist sanitizer (nh3)."""

from __future__ import annotations

from functools import cache
from typing import Any

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "q", "s",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}


@cache
def _markdown() -> Any:
    import markdown

    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
        output_format="html",
    )


def clean_html(html: str) -> str:
    """Keep ordinary document HTML; drop scripts, handlers, iframes, styles and unsafe URLs."""
    import nh3

    return str(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow"))


def render_notes(markdown_text: str) -> str:
    """Untrusted Markdown with LaTeX math -> sanitized HTML (math left for KaTeX)."""
    md = _markdown()
    md.reset()
    return clean_html(md.convert(markdown_text))
