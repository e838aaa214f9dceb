"""mkdocs-macros pluglet: `{{ gallery() }}` places the concept grid in a hand-written page."""

from __future__ import annotations

from typing import Any


def define_env(env: Any) -> None:
    """Register the gallery macros with mkdocs-macros."""

    def _plugin() -> Any:
        plugin = env.conf["plugins"].get("mathreel")
        if plugin is None:
            raise RuntimeError("the gallery() macro needs the mathreel plugin in mkdocs.yml")
        return plugin

    @env.macro  # type: ignore[misc, untyped-decorator, unused-ignore]
    def gallery() -> str:
        """The card grid of every concept."""
        page = getattr(env, "page", None)
        url = page.url if page is not None else ""
        return str(_plugin().gallery(url))

    @env.macro  # type: ignore[misc, untyped-decorator, unused-ignore]
    def concept_count() -> int:
        """How many concepts the gallery holds."""
        return len(_plugin().items)
