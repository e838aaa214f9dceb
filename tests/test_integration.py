"""End to end with the real tools: Manim, LaTeX, pandoc and MkDocs on a three-concept fixture.

One concept's hand-written scene is broken on purpose: the others must still be built,
the build must report the failure, and the failed concept must get an error page. The good
concepts' media come from the run's shared render cache when another module rendered them first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import RecordingProgress, RenderPool, cache_snapshot, make_project

from builder.build import BuildOptions, BuildRecord, build
from builder.runner import CountingRunner

pytestmark = pytest.mark.integration

GOOD = ("euler-identity", "geometric-series")


@dataclass
class Built:
    root: Path
    report: BuildRecord
    runner: CountingRunner


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, render_pool: RenderPool) -> Iterator[Built]:
    root = make_project(tmp_path_factory.mktemp("integration") / "gallery")
    render_pool.seed(root)
    runner = CountingRunner()
    report = build(root / "mkdocs.yml", BuildOptions(), runner=runner)
    render_pool.add(root)
    yield Built(root, report, runner)


def _site(built: Built, *parts: str) -> Path:
    return built.root.joinpath("site", *parts)


def test_good_concepts_built_and_broken_one_failed(built: Built) -> None:
    statuses = {slug: c.status for slug, c in built.report.concepts.items()}
    assert statuses == {"euler-identity": "built", "geometric-series": "built", "broken-scene": "failed"}
    broken = built.report.concepts["broken-scene"]
    assert broken.error_stage == "render"
    assert "undefined_distance" in (broken.error or "")
    assert "line 8" in (broken.error or ""), "the error points at the user's line"
    assert built.report.site_error is None


def test_template_scenes_written_with_meta(built: Built) -> None:
    import json

    for slug in GOOD:
        folder = built.root / "scenes" / slug
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["provenance"] == "template"
        assert meta["scene_class"] in (folder / "scene.py").read_text()
        assert len(meta["generate_key"]) == 64
    # the hand-written broken scene is never overwritten
    assert "undefined_distance" in (built.root / "scenes/broken-scene/scene.py").read_text()


def test_video_decodes_and_lasts(built: Built) -> None:
    import av

    for slug in GOOD:
        video = _site(built, "concepts", slug, "video.mp4")
        with av.open(str(video)) as container:
            assert container.duration / 1e6 > 1.0
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.codec_context.width, stream.codec_context.height) == (854, 480)
            frames = sum(1 for _ in container.decode(video=0))
            assert frames > 15
        assert _site(built, "concepts", slug, "poster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_has_the_title(built: Built) -> None:
    pdf = _site(built, "concepts", "euler-identity", "notes.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Euler's identity" in text or "Euler’s identity" in text
    tex = _site(built, "concepts", "euler-identity", "notes.tex").read_text()
    assert r"e^{i\pi} + 1 = 0" in tex


def test_concept_page_has_video_anchors_notes_downloads(built: Built) -> None:
    html = _site(built, "concepts", "euler-identity", "index.html").read_text()
    assert '<video class="mr-video" controls preload="none"' in html
    assert 'poster="poster.png"' in html and 'src="video.mp4"' in html
    assert r"e^{i\pi} + 1 = 0" in html
    assert r"e^{i\theta} = \cos\theta + i\sin\theta" in html
    for link in ("notes.pdf", "video.mp4", "scene.py", "notes.tex"):
        assert f'href="{link}"' in html
    assert "Study notes" in html
    assert "Walk around the unit circle" in html


def test_index_links_every_concept(built: Built) -> None:
    html = _site(built, "index.html").read_text()
    for slug in (*GOOD, "broken-scene"):
        assert f'href="concepts/{slug}/"' in html
    assert 'src="concepts/euler-identity/poster.png"' in html
    assert "Five constants in one equation." in html


def test_failed_concept_page_shows_error_and_retry(built: Built) -> None:
    html = _site(built, "concepts", "broken-scene", "index.html").read_text()
    assert "failed to build" in html
    assert "mathreel build --only broken-scene" in html
    assert "undefined_distance" in html


def test_no_request_leaves_the_site(built: Built) -> None:
    html = _site(built, "concepts", "euler-identity", "index.html").read_text()
    assert "fonts.googleapis" not in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert _site(built, "assets", "katex", "katex.min.js").is_file()


def test_second_build_redoes_nothing_and_keeps_mtimes(built: Built) -> None:
    cache = built.root / ".cache"
    outputs = [p for p in cache.rglob("*") if p.is_file() and p.parent.parent.name in ("render", "notes")]
    scenes = list((built.root / "scenes").rglob("*.*"))
    before = {p: p.stat().st_mtime_ns for p in outputs + scenes}
    renders_before = cache_snapshot(built.root, "render")
    assert renders_before, "the first build published renders"
    runner, progress = CountingRunner(), RecordingProgress()
    report = build(built.root / "mkdocs.yml", BuildOptions(), runner=runner, progress=progress)
    # Counted three ways: by the renders published, by what the build reported, by the children
    # it ran. Only the broken scene (never cached: it failed) is tried again.
    assert cache_snapshot(built.root, "render") == renders_before, "no render entry written or replaced"
    assert progress.slugs("render", "start") == ["broken-scene"]
    assert progress.slugs("notes", "done") == []
    good_renders = [args for args in runner.manim_runs() if not args[-1].startswith("Broken")]
    assert good_renders == []
    assert runner.renders() == 1, runner.manim_runs()
    assert runner.count("pdflatex") == 0
    assert not [call for call in runner.calls if call[0] == "pandoc" and "--version" not in call]
    assert {report.concepts[s].status for s in GOOD} == {"cached"}
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_cli_exit_code_and_summary(built: Built) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    done = subprocess.run([sys.executable, "-m", "builder", "build", "--only", "broken-scene", "--no-site"],
                          cwd=built.root, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    assert "FAILED broken-scene (render)" in done.stderr
    assert "retry: mathreel build --only broken-scene" in done.stderr


def test_mkdocs_strict_builds_the_same_site(built: Built) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", "strict-site"],
                          cwd=built.root, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (built.root / "strict-site" / "concepts" / "euler-identity" / "video.mp4").is_file()
