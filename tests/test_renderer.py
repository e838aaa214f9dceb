"""Renderer choice: Cairo for 2D, OpenGL under Xvfb where asked or measured faster, Cairo fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_project

from builder.build import BuildOptions, build
from builder.render import cached_render
from builder.renderer import choose, frame_difference, is_three_d
from builder.runner import CountingRunner

SURFACE = '''from manim import *


class ProbeScene(ThreeDScene):
    def construct(self):
        self.set_camera_orientation(phi=60 * DEGREES, theta=-45 * DEGREES)
        surface = Surface(lambda u, v: np.array([u, v, 0.3 * (u * u + v * v)]),
                          u_range=[-1.5, 1.5], v_range=[-1.5, 1.5], resolution=(8, 8))
        self.play(Create(surface), run_time=0.6)
        self.play(Rotate(surface, PI / 4, axis=OUT), run_time=0.6)
        self.wait(0.2)
'''


def test_two_d_scenes_stay_on_cairo_without_a_probe(tmp_path: Path) -> None:
    runner = CountingRunner()
    source = "from manim import *\nclass A(Scene):\n    def construct(self):\n        self.play(Create(Circle()))\n"
    choice = choose(source, "A", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path, tex_dir=tmp_path, runner=runner)
    assert choice.renderer == "cairo" and "2D" in choice.reason
    assert runner.calls == []
    assert is_three_d(SURFACE) and not is_three_d(source)


def test_explicit_choice_is_respected(tmp_path: Path) -> None:
    choice = choose(SURFACE, "ProbeScene", wanted="opengl", where="concepts/x.yaml",
                    cache_dir=tmp_path, tex_dir=tmp_path)
    assert choice.renderer == "opengl" and "concepts/x.yaml" in choice.reason


def test_frame_difference_bounds() -> None:
    from PIL import Image

    black = Image.new("RGB", (64, 36))
    white = Image.new("RGB", (64, 36), "white")
    assert frame_difference(black, black) == 0.0
    assert frame_difference(black, white) == 1.0


@pytest.mark.integration
def test_auto_probe_measures_once_and_caches(tmp_path: Path) -> None:
    runner = CountingRunner()
    first = choose(SURFACE, "ProbeScene", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path,
                   tex_dir=tmp_path / "tex", runner=runner)
    assert first.renderer in ("cairo", "opengl")
    assert first.measured is not None and first.measured["cairo_s"] and first.measured["opengl_s"], first
    assert "frame_difference" in first.measured, first.reason
    assert len(runner.calls) == 2  # one probe per renderer
    again = choose(SURFACE, "ProbeScene", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path,
                   tex_dir=tmp_path / "tex", runner=runner)
    assert again.renderer == first.renderer and len(runner.calls) == 2


@pytest.mark.integration
def test_opengl_render_and_cairo_fallback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "threed")
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    surface = report.concepts["paraboloid"]
    assert surface.status == "built", surface.error
    assert surface.render["renderer"]["renderer"] == "opengl"
    output = cached_render(root / ".cache/render", surface.render_key or "")
    assert output is not None and output.duration > 1.0
    fallback = report.concepts["gl-only"]
    assert fallback.status == "built", fallback.error
    assert fallback.render["renderer"]["renderer"] == "cairo"
    assert "OpenGL failed" in fallback.render["renderer"]["fallback"]
    meta = json.loads((root / "scenes/gl-only/meta.json").read_text())
    assert "needs the Cairo renderer" in meta["renderer"]["fallback"]
    # the next build reuses the Cairo fallback without trying OpenGL again
    runner = CountingRunner()
    again = build(root / "mkdocs.yml", BuildOptions(site=False), runner=runner)
    assert again.concepts["gl-only"].status == "cached"
    assert runner.count("manim") == 0
