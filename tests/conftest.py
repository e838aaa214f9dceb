"""Shared fixtures: tiny gallery projects in temp dirs, built from the repo's own config."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # Without the pages a build of this checkout wrote there (docs/concepts, docs/report).
    shutil.copytree(REPO / "docs", dest / "docs", ignore=shutil.ignore_patterns("concepts", "report"))
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


# --------------------------------------------------------------------------- counting by outcomes
# What a build did is counted by what it left (published cache entries and their mtimes) and by
# the progress events it reported, not by guessing at the command lines it ran.


def cache_snapshot(root: Path, stage: str = "render") -> dict[str, int]:
    """Every file of the published entries of `.cache/<stage>/`, by relative path, with its mtime."""
    folder = root / ".cache" / stage
    if not folder.is_dir():
        return {}
    return {str(path.relative_to(folder)): path.stat().st_mtime_ns
            for entry in folder.iterdir() if not entry.name.startswith(".")
            for path in entry.rglob("*") if path.is_file()}


def published(root: Path, stage: str = "render") -> set[str]:
    """Keys of the published entries of `.cache/<stage>/` (staging folders are hidden)."""
    folder = root / ".cache" / stage
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")} if folder.is_dir() else set()


@dataclass
class RecordingProgress:
    """A build's Progress that keeps every event: tests count renders by what the build reported."""

    events: list[tuple[str, str, str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stage(self, name: str, total: int) -> None:
        """A stage starts (not recorded)."""

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        """One item reached a status in a stage."""
        with self._lock:
            self.events.append((stage, slug, status, detail))

    def model(self, slug: str, event: Any) -> None:
        """Live model progress (not recorded)."""

    def slugs(self, stage: str, status: str) -> list[str]:
        """Items that reached `status` in `stage`, in order (e.g. "render", "done")."""
        with self._lock:
            return [slug for s, slug, st, _ in self.events if s == stage and st == status]


# --------------------------------------------------------------------------- one render cache per run


class RenderPool:
    """Renders, notes and TeX shared by the whole test run, keyed as the build keys them.

    Tests that need rendered media but do not test caching seed a fresh project from the pool
    and add what they rendered back: the same tiny scenes are rendered once per run, not once
    per test module. Entries are published by rename only, so a reader never sees half of one.
    """

    STAGES = ("render", "notes")

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def seed(self, root: Path) -> int:
        """Copy every pooled entry into the project's cache; returns how many."""
        return self._copy(self.folder, root / ".cache")

    def add(self, root: Path) -> int:
        """Copy the project's published entries the pool lacks into the pool; returns how many."""
        return self._copy(root / ".cache", self.folder)

    @classmethod
    def _copy(cls, source: Path, dest: Path) -> int:
        copied = 0
        for stage in cls.STAGES:
            if not (source / stage).is_dir():
                continue
            (dest / stage).mkdir(parents=True, exist_ok=True)
            for entry in (source / stage).iterdir():
                target = dest / stage / entry.name
                if entry.name.startswith(".") or not entry.is_dir() or target.exists():
                    continue
                tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".partial", dir=dest / stage))
                shutil.copytree(entry, tmp, dirs_exist_ok=True)
                try:
                    os.rename(tmp, target)
                    copied += 1
                except OSError:  # another copy won the race: the entry is there either way
                    shutil.rmtree(tmp, ignore_errors=True)
        # the TeX cache: its top folder and the parts kept per model-written scene source
        for svg in (source / "tex").rglob("*.svg") if (source / "tex").is_dir() else ():
            target = dest / "tex" / svg.relative_to(source / "tex")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(svg, target.parent / f".{svg.name}.tmp")
                os.replace(target.parent / f".{svg.name}.tmp", target)
        return copied


@pytest.fixture(scope="session")
def render_pool(tmp_path_factory: pytest.TempPathFactory) -> RenderPool:
    """The run's shared render cache (see RenderPool); never for tests about caching itself.

    Under pytest-xdist every worker has its own base folder inside the run's; the pool sits in
    the run's folder, so a scene one worker rendered is not rendered again by the other.
    """
    base = tmp_path_factory.getbasetemp()
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = run / "render-pool"
    folder.mkdir(exist_ok=True)
    return RenderPool(folder)
