"""Large galleries: above `nav_concepts_limit` concepts leave the sidebar every page repeats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RenderPool, make_project

from builder.build import BuildOptions, build

pytestmark = pytest.mark.integration


def _nav_links(page: Path) -> str:
    html = page.read_text()
    start = html.find('class="md-nav md-nav--primary"')
    end = html.find("</nav>", start)
    return html[start:end]


def test_concepts_leave_the_sidebar_above_the_limit(tmp_path: Path, render_pool: RenderPool) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    render_pool.seed(root)  # this test is about the sidebar, not about rendering
    build(root / "mkdocs.yml", BuildOptions())
    render_pool.add(root)
    page = root / "site" / "report" / "index.html"
    assert "Euler" in _nav_links(page)

    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("      jobs: 0", "      nav_concepts_limit: 1\n      jobs: 0"))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    nav = _nav_links(page)
    assert "Euler" not in nav and "Geometric" not in nav
    assert "Build report" in nav
    assert (root / "site" / "concepts" / "euler-identity" / "index.html").is_file()
