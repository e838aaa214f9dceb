"""The `mathreel` MkDocs plugin: serving and navigation; the pages themselves are real files.

`mathreel build` writes the gallery's pages into the docs folder (see builder.stages.pages), so
a plain `mkdocs build` or `zensical build` makes the site. This plugin adds what only MkDocs
needs: under `mkdocs serve` it brings changed concepts up to date before each rebuild and
watches the concept specs; it shows each concept as one nav entry and drops the concept list
from the sidebar of a large gallery.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files

from builder.errors import MathreelError
from builder.settings import Settings, resolve_settings
from builder.site.config import MathreelConfig

log = logging.getLogger("mkdocs.plugins.mathreel")


class MathreelPlugin(BasePlugin[MathreelConfig]):  # type: ignore[no-untyped-call, unused-ignore]
    """Serving and navigation for the gallery's pages."""

    def __init__(self) -> None:
        self.is_serving = False
        self.concepts = 0

    def settings(self, config: MkDocsConfig) -> Settings:
        """This build's settings, by the one route: mkdocs.yml with the MATHREEL_* variables
        over it (`mathreel serve` hands its flags to the server's rebuilds that way)."""
        return resolve_settings(config, env=os.environ)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Remember whether we are serving (then edits rebuild concepts)."""
        self.is_serving = command == "serve"

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Under `mathreel serve`, bring changed concepts and their pages up to date first."""
        if not (self.is_serving and self.config["pipeline_in_serve"]):
            return
        from builder.build import run_pipeline
        from builder.stages.pages import write_pages

        try:
            settings = self.settings(config)
            run_pipeline(settings)
            write_pages(settings, config)
        except MathreelError as exc:
            log.error("%s", exc)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        """Keep the theme's compiled templates between builds (builder.site.jinja_cache)."""
        from builder.site.jinja_cache import keep_compiled

        return keep_compiled(env)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Count the concept pages (the nav limit applies above `nav_concepts_limit`)."""
        self.concepts = sum(1 for f in files.documentation_pages()
                            if f.src_uri.startswith("concepts/") and f.src_uri.count("/") == 2)
        return files

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        """Show each concept as one nav entry, not a folder holding one page."""
        from mkdocs.structure.nav import Section

        def flatten(items: list[Any]) -> list[Any]:
            out = []
            for entry in items:
                if isinstance(entry, Section):
                    entry.children = flatten(entry.children)
                    if len(entry.children) == 1 and not isinstance(entry.children[0], Section):
                        child = entry.children[0]
                        child.parent = entry.parent
                        out.append(child)
                        continue
                out.append(entry)
            return out

        nav.items = flatten(nav.items)
        if self.concepts > self.config["nav_concepts_limit"]:
            # Hundreds of concepts in every page's sidebar make every page heavy.
            nav.items = [entry for entry in nav.items
                         if not (isinstance(entry, Section) and entry.title.lower() == "concepts")]
        return nav

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Watch the concept specs and scenes too, so an edit rebuilds that concept."""
        settings = self.settings(config)
        for folder in (settings.concepts_dir, settings.scenes_dir):
            if folder.is_dir():
                server.watch(str(folder))
        return server
