"""Pages stage: the gallery's pages and media, written as real files into the docs folder.

After this stage the docs folder is a plain MkDocs project: `mkdocs build` (Material, the
default) or `zensical build` turns it into the site with no mathreel code running. The stage
owns two folders of the docs folder, `concepts/` and `report/` (each holds a `.mathreel`
marker; a folder of the same name that a person made is never touched), and writes `index.md`
only where the project has none. Files are written only when their content changed and media
are hard links into `.cache`, so a rebuild with nothing new writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import SiteError
from builder.fsutil import atomic_write_text
from builder.settings import Settings

#: Marks a folder (or the index page) as written by this stage.
MARKER = ".mathreel"
INDEX_MARK = "<!-- written by mathreel: delete this line to keep your own edits -->"
#: The gallery grid for the `{{ gallery() }}` macro; links start with ROOT, the site's root.
GALLERY_FILE = ".gallery.json"
ROOT = "mathreel-root:/"
OWNED = ("concepts", "report")


@dataclass(frozen=True)
class PagesWritten:
    """What the stage changed in the docs folder."""

    written: int
    removed: int
    unchanged: int


def docs_dir(mkdocs_config: Any) -> Path:
    """The project's docs folder (mkdocs.yml's `docs_dir`)."""
    return Path(mkdocs_config["docs_dir"])


def write_pages(settings: Settings, mkdocs_config: Any) -> PagesWritten:
    """Write every concept's page and media, the report and the gallery grid into the docs folder."""
    from builder.site.gallery import collect
    from builder.site.pages import (
        concept_dir,
        concept_markdown,
        gallery_html,
        index_markdown,
        report_markdown,
        theme_env,
    )

    docs = docs_dir(mkdocs_config)
    for name in OWNED:
        _claim(docs / name)
    items, record = collect(settings)
    env = theme_env(mkdocs_config, keep=True)
    titles = {item.slug: item.concept.title for item in items}
    summaries = {item.slug: item.concept.summary for item in items}
    backlinks: dict[str, list[str]] = {}
    for item in items:
        for prereq in item.concept.prerequisites:
            backlinks.setdefault(prereq, []).append(item.slug)
    tree = _Tree(docs)
    for item in items:
        folder = concept_dir(item.slug)
        tree.text(f"{folder}/index.md", concept_markdown(
            item, titles, sorted(backlinks.get(item.slug, [])), summaries=summaries, env=env))
        media: dict[str, Path | None] = {
            "video.mp4": item.video, "poster.png": item.poster, "preview.webp": item.preview,
            "notes.pdf": item.pdf, "notes.tex": item.tex, "scene.py": item.scene_path,
            "video.webm": item.webm, "chapters.vtt": item.chapters_vtt}
        media.update({f"storyboard/{frame.name}": frame for frame, _ in item.storyboard})
        for variant in item.variants:
            base = f"variants/{variant.folder}"
            media.update({f"{base}/video.mp4": variant.video, f"{base}/poster.png": variant.poster,
                          f"{base}/scene.py": variant.scene_path})
        for name, path in media.items():
            if path is not None:
                tree.link(f"{folder}/{name}", path)
    tree.text("report/index.md", report_markdown(items, record, env=env))
    tree.text(f"concepts/{GALLERY_FILE}", json.dumps(
        {"count": len(items), "html": gallery_html(items, ROOT, env=env)}, ensure_ascii=False))
    index = docs / "index.md"
    if not index.exists() or index.read_text(encoding="utf-8").startswith(INDEX_MARK):
        tree.text("index.md", f"{INDEX_MARK}\n{index_markdown(items, env=env)}", owned=False)
    removed = tree.prune(OWNED)
    return PagesWritten(tree.written, removed, tree.unchanged)


def _claim(folder: Path) -> None:
    """Take a docs subfolder for generated pages, unless a person's pages are in it."""
    if (folder / MARKER).is_file():
        return
    if folder.exists() and any(folder.iterdir()):
        raise SiteError(f"{folder} holds pages mathreel did not write; mathreel writes the gallery's "
                        f"pages there. Move your pages to another folder of {folder.parent.name}/")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("Written by mathreel build: edits here are replaced.\n",
                                 encoding="utf-8")


class _Tree:
    """Files of the owned folders: written when changed, the rest pruned afterwards."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keep: set[Path] = set()
        self.written = 0
        self.unchanged = 0

    def text(self, name: str, content: str, *, owned: bool = True) -> None:
        path = self.root / name
        if owned:
            self.keep.add(path)
        try:
            if path.read_text(encoding="utf-8") == content:
                self.unchanged += 1
                return
        except (OSError, UnicodeDecodeError):
            pass
        atomic_write_text(path, content)
        self.written += 1

    def link(self, name: str, source: Path) -> None:
        """`name` becomes a hard link to `source` (a copy across file systems)."""
        path = self.root / name
        self.keep.add(path)
        try:
            if os.path.samefile(path, source):
                self.unchanged += 1
                return
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            os.link(source, partial)
        except OSError:
            shutil.copyfile(source, partial)
        os.replace(partial, path)
        self.written += 1

    def prune(self, owned: tuple[str, ...]) -> int:
        """Remove what the owned folders hold that this build did not write."""
        removed = 0
        for top in owned:
            base = self.root / top
            for path in sorted(base.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if path.name == MARKER and path.parent == base:
                    continue
                if path.is_dir() and not path.is_symlink():
                    if not any(path.iterdir()):
                        path.rmdir()
                elif path not in self.keep:
                    path.unlink()
                    removed += 1
        return removed
