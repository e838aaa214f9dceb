"""Renderer choice: Cairo for 2D, OpenGL under Xvfb where asked or measured faster, Cairo fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RecordingProgress, cache_snapshot, make_project, published

from builder.build import BuildOptions, build
from builder.runner import Completed, CountingRunner, manim_scene_args
from builder.video.choose import choose, frame_difference, is_three_d
from builder.video.render import cached_render

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
def test_auto_decides_from_one_preflight_without_rendering_and_caches(tmp_path: Path) -> None:
    runner = CountingRunner()
    first = choose(SURFACE, "ProbeScene", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path,
                   tex_dir=tmp_path / "tex", runner=runner)
    # A short, light surface: Cairo has drawn it before OpenGL would have started.
    assert first.renderer == "cairo" and "3D" in first.reason, first.reason
    assert first.measured is not None and first.measured["cairo_frame_s"] > 0
    assert first.measured["opengl_estimate_s"] > first.measured["cairo_estimate_s"]
    assert runner.renders() == 0  # no trial render with either renderer
    assert len(runner.manim_runs()) == 1  # one preflight (animations skipped)
    again = choose(SURFACE, "ProbeScene", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path,
                   tex_dir=tmp_path / "tex", runner=runner)
    assert again.renderer == first.renderer and len(runner.manim_runs()) == 1  # cached
    # A model answer brings its facts from meta.json: no Manim child at all.
    fresh = CountingRunner()
    given = choose(SURFACE, "ProbeScene", wanted="auto", where="mkdocs.yml", cache_dir=tmp_path / "x",
                   tex_dir=tmp_path / "tex", runner=fresh, facts={"three_d": 64, "frame_s": 0.004})
    assert given.renderer == "cairo" and fresh.calls == []


@pytest.mark.parametrize(("facts", "quality", "renderer", "why"), [
    ({"three_d": 0, "frame_s": 0.5, "video_seconds": 60}, "l", "cairo", "no 3D mobject"),
    ({"three_d": 12, "frame_s": None, "video_seconds": 60}, "l", "cairo", "did not time a frame"),
    # measured here: 5 s surfaces, 0.11 s and 0.37 s a Cairo frame: OpenGL 2x and 2.6x faster
    ({"three_d": 64, "frame_s": 0.115, "video_seconds": 5}, "l", "opengl", "115 ms each"),
    ({"three_d": 576, "frame_s": 0.37, "video_seconds": 5}, "l", "opengl", "370 ms each"),
    # the same surfaces as six short chapters: OpenGL would start six times
    ({"three_d": 64, "frame_s": 0.115, "video_seconds": 5, "scenes": ["S1", "S2", "S3", "S4", "S5", "S6"]},
     "l", "cairo", "with its start"),
    # a short light 3D scene is over before OpenGL has started
    ({"three_d": 64, "frame_s": 0.02, "video_seconds": 1.4}, "l", "cairo", "with its start"),
    # the same light scene, long and at 1080p60: now worth OpenGL's start
    ({"three_d": 64, "frame_s": 0.02, "video_seconds": 60}, "h", "opengl", "frames of 3D"),
])
def test_decide_from_facts(facts: dict[str, object], quality: str, renderer: str, why: str) -> None:
    from builder.video.choose import decide

    choice = decide(facts, quality)
    assert choice.renderer == renderer and why in choice.reason, choice.reason


@pytest.mark.integration
def test_opengl_render_and_cairo_fallback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "threed")
    first_runner, first_progress = CountingRunner(), RecordingProgress()
    report = build(root / "mkdocs.yml", BuildOptions(site=False), runner=first_runner, progress=first_progress)
    surface = report.concepts["paraboloid"]
    assert surface.status == "built", surface.error
    assert surface.render is not None and surface.render.renderer.renderer == "opengl"
    output = cached_render(root / ".cache/render", surface.render_key or "")
    assert output is not None and output.duration > 1.0
    fallback = report.concepts["gl-only"]
    assert fallback.status == "built", fallback.error
    assert fallback.render is not None and fallback.render.renderer.renderer == "cairo"
    assert "OpenGL failed" in fallback.render.renderer.fallback
    meta = json.loads((root / "scenes/gl-only/meta.json").read_text())
    assert "needs the Cairo renderer" in meta["renderer"]["fallback"]
    # Three renders ran (paraboloid in OpenGL, gl-only in OpenGL then Cairo); two were published.
    assert first_runner.renders() == 3, first_runner.manim_runs()
    assert sorted(first_progress.slugs("render", "done")) == ["gl-only", "paraboloid"]
    assert first_progress.slugs("render", "retry") == ["gl-only"]
    assert published(root) == {surface.render_key, fallback.render_key}

    # The next build reuses the Cairo fallback without trying OpenGL again: no Manim child at
    # all, no render reported, no cache entry written or replaced.
    renders_before = cache_snapshot(root)
    runner, progress = CountingRunner(), RecordingProgress()
    again = build(root / "mkdocs.yml", BuildOptions(site=False), runner=runner, progress=progress)
    assert cache_snapshot(root) == renders_before
    assert [e for e in progress.events if e[0] == "render" and e[2] != "finished"] == []
    assert runner.manim_runs() == []
    assert again.concepts["gl-only"].status == "cached"
    assert again.concepts["paraboloid"].status == "cached"
    assert again.concepts["gl-only"].render_key == fallback.render_key


# --------------------------------------------------------------------------- counting Manim runs

PY = "/srv/venv/bin/python3"
BWRAP = ["bwrap", "--unshare-net", "--ro-bind", "/srv/venv/lib/python3.11/site-packages/manim",
         "/srv/venv/lib/python3.11/site-packages/manim", "--bind", "/w", "/w", "--chdir", "/w", "--"]
SETPRIV = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize(("argv", "expected", "renders"), [
    ([*BWRAP, *SETPRIV, PY, "layout_hook.py", "render", "-ql", "--media_dir", "/w/media", "scene.py", "A"],
     ("render", "-ql", "--media_dir", "/w/media", "scene.py", "A"), 1),
    ([PY, "layout_hook.py", "render", "--dry_run", "-ql", "scene.py", "A"],
     ("render", "--dry_run", "-ql", "scene.py", "A"), 0),
    ([*BWRAP, PY, "-m", "manim", "render", "-s", "scene.py", "A"], ("render", "-s", "scene.py", "A"), 0),
    (["/srv/venv/bin/manim", "-qm", "scene.py", "A"], ("-qm", "scene.py", "A"), 1),
    ([PY, "/w/layout_hook.py", "render", "-ql", "-n", "0,3", "--renderer=opengl", "scene.py", "A"],
     ("render", "-ql", "-n", "0,3", "--renderer=opengl", "scene.py", "A"), 1),
    (["manim", "checkhealth"], None, 0),
    (["/srv/venv/bin/manim", "--version"], None, 0),
    ([*BWRAP, PY, "-c", "print('ok')"], None, 0),
    (["pdflatex", "-interaction=nonstopmode", "notes.tex"], None, 0),
    (["pandoc", "--version"], None, 0),
])
def test_counting_runner_recognises_manim_whatever_wraps_it(
        argv: list[str], expected: tuple[str, ...] | None, renders: int) -> None:
    assert manim_scene_args(argv) == expected
    runner = CountingRunner(inner=lambda argv, **_: Completed(tuple(argv), 0, "", ""))
    runner(argv, cwd=Path("/w"))
    assert runner.renders() == renders
    assert runner.count("manim") == (expected is not None)
    assert runner.count("pdflatex") == (argv[0] == "pdflatex")


def test_the_child_freezes_the_collector_last_as_it_exits() -> None:
    """Every preflight and render child skips the shutdown walk over Manim's object cycles:
    gc.freeze is registered first, so it runs after the handlers that write the run's records."""
    import ast

    hook = Path(__file__).resolve().parent.parent / "builder" / "templates" / "layout_hook.py"
    registered = [ast.unparse(node.value.args[0]) for node in ast.parse(hook.read_text()).body
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                  and ast.unparse(node.value.func) == "atexit.register"]
    assert registered[0] == "gc.freeze" and "_save" in registered[1:], registered


def test_a_failed_render_names_the_scene_line_and_the_whole_message(tmp_path: Path) -> None:
    # What the page and the repair loop get of a failed render: the scene's line and the last
    # line of the traceback, whole (the child prints plain tracebacks: no wrapping, no cut).
    from builder.errors import RenderError
    from builder.video.render import render_job, render_scene

    message = "the slope is undefined: " + "the two points share an x value; " * 10
    source = ("from manim import *\n\n\nclass Broken(Scene):\n    def construct(self):\n"
              f"        self.add(Dot())\n        raise ValueError({message!r})\n")
    with pytest.raises(RenderError) as caught:
        render_scene(render_job("broken", source, "Broken", "l"), render_dir=tmp_path / "render",
                     tex_dir=tmp_path / "tex", timeout=120)
    text = str(caught.value)
    assert "scene.py line 7 (in construct)" in text, text
    assert f"ValueError: {message.strip()}" in text, text
