"""Shared fixtures: tiny gallery projects in temp dirs, built from the repo's own config."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

if (Path(__file__).parent / "modelserver.py").is_file():
    pytest_plugins = ["modelserver"]  # the test model server, a real HTTP server on 127.0.0.1


def make_project(dest: Path, fixture: str = "gallery", *, quality: str = "l", offline: bool = True) -> Path:
    """Copy the repo's mkdocs.yml, docs/ and site_overrides/ plus a fixture's concepts/scenes."""
    katex = REPO / "site_overrides" / "assets" / "katex" / "katex.min.js"
    if not katex.is_file():
        pytest.fail("KaTeX assets are missing: run `make test` (it runs scripts/setup-assets.sh)")
    dest.mkdir(parents=True, exist_ok=True)
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("quality: m ", f"quality: {quality} ")
    if offline:
        config = config.replace("offline: false", "offline: true")
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copytree(REPO / "docs", dest / "docs")
    shutil.copytree(REPO / "site_overrides", dest / "site_overrides")
    source = FIXTURES / fixture
    for name in ("concepts", "scenes"):
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name)
    (dest / "concepts").mkdir(exist_ok=True)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the fixture gallery (two good concepts, one broken)."""
    yield make_project(tmp_path / "gallery")
