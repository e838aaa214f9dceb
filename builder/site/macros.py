"""mkdocs-macros module: `{{ gallery() }}` places the concept grid in a hand-written page.

It reads the grid that `mathreel build` wrote into the docs folder, so it works under MkDocs
and under Zensical alike (Zensical runs macros modules but not the mathreel plugin).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.stages.pages import GALLERY_FILE, ROOT


def _grid(env: Any) -> dict[str, Any]:
    path = Path(str(env.conf["docs_dir"])) / "concepts" / GALLERY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"count": 0, "html": '<p class="mr-empty">No gallery yet: run <code>mathreel build</code>.</p>'}
    return data if isinstance(data, dict) else {"count": 0, "html": ""}


def define_env(env: Any) -> None:
    """Register the gallery macros with mkdocs-macros."""

    @env.macro  # type: ignore[misc, untyped-decorator, unused-ignore]
    def gallery() -> str:
        """The card grid of every concept, with links relative to the page it is on."""
        page = getattr(env, "page", None)
        url = str(getattr(page, "url", "") or "")
        depth = len([part for part in url.strip("/").split("/") if part])
        return str(_grid(env).get("html", "")).replace(ROOT, "../" * depth)

    @env.macro  # type: ignore[misc, untyped-decorator, unused-ignore]
    def concept_count() -> int:
        """How many concepts the gallery holds."""
        count = _grid(env).get("count", 0)
        return count if isinstance(count, int) else 0
