"""The pages stage: the gallery written as real files into the docs folder (no renders needed:
concepts that were never built get their page too)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_project

from builder.errors import SiteError
from builder.settings import load_settings
from builder.stages.pages import GALLERY_FILE, INDEX_MARK, MARKER, ROOT, write_pages


def _write(root: Path) -> tuple[int, int, int]:
    settings, config = load_settings(root / "mkdocs.yml", env={})
    done = write_pages(settings, config)
    return done.written, done.removed, done.unchanged


def test_pages_are_files_written_once_and_pruned_when_a_concept_goes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    docs = root / "docs"
    written, removed, _ = _write(root)
    slugs = sorted(p.stem for p in (root / "concepts").glob("*.yaml"))
    for slug in slugs:
        page = (docs / "concepts" / slug / "index.md").read_text(encoding="utf-8")
        assert page.startswith("---\n") and "# " in page  # a page, though never built
    assert (docs / "report" / "index.md").is_file() and (docs / "concepts" / MARKER).is_file()
    grid = json.loads((docs / "concepts" / GALLERY_FILE).read_text(encoding="utf-8"))
    assert grid["count"] == len(slugs) and f'href="{ROOT}concepts/{slugs[0]}/"' in grid["html"]
    assert written >= len(slugs) + 2 and removed == 0
    # The project has its own index.md (with the gallery macro): it is never touched.
    assert not (docs / "index.md").read_text(encoding="utf-8").startswith(INDEX_MARK)

    # Nothing changed: nothing written (so MkDocs and Zensical see no new mtimes).
    stamps = {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}
    written, removed, unchanged = _write(root)
    assert (written, removed) == (0, 0) and unchanged >= len(slugs) + 2
    assert stamps == {p: p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}

    # A later build that changed nothing but its own time rewrites the report page alone.
    from builder.record import BuildRecord, load_build_record

    settings, _ = load_settings(root / "mkdocs.yml", env={})
    BuildRecord(concepts=load_build_record(settings.report_path).concepts,
                started="2031-01-01T00:00:00+00:00").save(settings.report_path)
    written, _, _ = _write(root)
    assert written == 1 and "2031-01-01" in (docs / "report" / "index.md").read_text(encoding="utf-8")

    # A concept removed from concepts/ loses its page; a stray file in an owned folder goes too.
    (root / "concepts" / f"{slugs[0]}.yaml").unlink()
    (docs / "concepts" / "stray.md").write_text("x", encoding="utf-8")
    _, removed, _ = _write(root)
    assert not (docs / "concepts" / slugs[0]).exists() and not (docs / "concepts" / "stray.md").exists()
    assert removed >= 2 and (docs / "concepts" / slugs[1] / "index.md").is_file()


def test_a_folder_of_pages_a_person_wrote_is_never_touched(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    mine = root / "docs" / "report" / "index.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("# My own report\n", encoding="utf-8")
    with pytest.raises(SiteError, match=r"report holds pages mathreel did not write.*Move your pages"):
        _write(root)
    assert mine.read_text(encoding="utf-8") == "# My own report\n"


def test_a_project_without_index_gets_one_it_can_take_over(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    index = root / "docs" / "index.md"
    index.unlink()
    _write(root)
    text = index.read_text(encoding="utf-8")
    assert text.startswith(INDEX_MARK) and 'class="mr-gallery"' in text
    # Once the person deletes the mark line, the page is theirs.
    index.write_text(text.split("\n", 1)[1] + "\nMine.\n", encoding="utf-8")
    _write(root)
    assert index.read_text(encoding="utf-8").endswith("Mine.\n")


def test_media_are_hard_links_into_the_cache(tmp_path: Path) -> None:
    from builder.stages.pages import _Tree

    source = tmp_path / "cache" / "video.mp4"
    source.parent.mkdir()
    source.write_bytes(b"video")
    tree = _Tree(tmp_path / "docs")
    tree.link("concepts/x/video.mp4", source)
    target = tmp_path / "docs" / "concepts" / "x" / "video.mp4"
    assert os.path.samefile(target, source) and tree.written == 1
    tree.link("concepts/x/video.mp4", source)
    assert tree.unchanged == 1
