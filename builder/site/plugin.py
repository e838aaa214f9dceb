"""The `mathreel` MkDocs plugin: adds the generated pages and media to the site."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from builder.errors import MathreelError
from builder.settings import Settings, env_overrides, settings_from_plugin
from builder.site.config import MathreelConfig
from builder.site.gallery import GalleryItem, collect
from builder.site.pages import (
    concept_dir,
    concept_markdown,
    gallery_html,
    index_markdown,
    report_markdown,
)

log = logging.getLogger("mkdocs.plugins.mathreel")


class MathreelPlugin(BasePlugin[MathreelConfig]):  # type: ignore[no-untyped-call, unused-ignore]
    """Turns the scene store and the render/notes cache into gallery pages."""

    def __init__(self) -> None:
        self.settings_override: Settings | None = None
        self.items: list[GalleryItem] = []
        self.report: dict[str, Any] = {}
        self.is_serving = False

    def settings(self, config: MkDocsConfig) -> Settings:
        """This build's settings (the CLI may pass its overridden copy)."""
        if self.settings_override is not None:
            return self.settings_override
        assert config.config_file_path is not None
        settings = settings_from_plugin(Path(config.config_file_path), Path(config.site_dir), self.config)
        return settings.with_overrides(**env_overrides(os.environ))

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Remember whether we are serving (then edits rebuild concepts)."""
        self.is_serving = command == "serve"

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Under `mathreel serve`, bring changed concepts up to date before each site build."""
        if not (self.is_serving and self.config["pipeline_in_serve"]):
            return
        from builder.build import run_pipeline

        try:
            run_pipeline(self.settings(config))
        except MathreelError as exc:
            log.error("%s", exc)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add one page per concept, its media and downloads, the report, and a default index."""
        settings = self.settings(config)
        try:
            self.items, self.report = collect(settings)
        except MathreelError as exc:
            raise PluginError(str(exc)) from None
        titles = {item.slug: item.concept.title for item in self.items}
        summaries = {item.slug: item.concept.summary for item in self.items}
        built = str(self.report.get("started") or "")
        backlinks: dict[str, list[str]] = {}
        for item in self.items:
            for prereq in item.concept.prerequisites:
                backlinks.setdefault(prereq, []).append(item.slug)
        for item in self.items:
            folder = concept_dir(item.slug)
            page = concept_markdown(item, titles, sorted(backlinks.get(item.slug, [])),
                                    summaries=summaries, built=built)
            files.append(File.generated(config, f"{folder}/index.md", content=page))
            media = {"video.mp4": item.video, "poster.png": item.poster, "preview.webp": item.preview,
                     "notes.pdf": item.pdf, "notes.tex": item.tex, "scene.py": item.scene_path,
                     "video.webm": item.webm, "chapters.vtt": item.chapters_vtt}
            media.update({f"storyboard/{frame.name}": frame for frame, _ in item.storyboard})
            for variant in item.variants:
                base = f"variants/{variant.folder}"
                media.update({f"{base}/video.mp4": variant.video, f"{base}/poster.png": variant.poster,
                              f"{base}/scene.py": variant.scene_path})
            for name, path in media.items():
                if path is not None:
                    files.append(File.generated(config, f"{folder}/{name}", abs_src_path=str(path)))
        files.append(File.generated(config, "report/index.md",
                                    content=report_markdown(self.items, self.report)))
        if files.get_file_from_path("index.md") is None:
            files.append(File.generated(config, "index.md", content=index_markdown(self.items)))
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
        if len(self.items) > self.config["nav_concepts_limit"]:
            # Hundreds of concepts in every page's sidebar make every page heavy.
            nav.items = [entry for entry in nav.items
                         if not (isinstance(entry, Section) and entry.title.lower() == "concepts")]
        return nav

    def gallery(self, page_url: str = "") -> str:
        """The gallery grid as HTML, with links relative to a page at `page_url`."""
        depth = len([part for part in page_url.strip("/").split("/") if part]) if page_url else 0
        return gallery_html(self.items, "../" * depth)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Watch the concept specs and scenes too, so an edit rebuilds that concept."""
        settings = self.settings(config)
        for folder in (settings.concepts_dir, settings.scenes_dir):
            if folder.is_dir():
                server.watch(str(folder))
        return server
