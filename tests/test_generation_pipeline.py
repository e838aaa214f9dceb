"""Generation in the build, against the test model server (a real HTTP server on 127.0.0.1).

The real `openai` client talks to it; the checks, the dry run and the renders are real. Tests that
do not test caching share the run's render cache (conftest.RenderPool), so a scene the server
writes the same way for several tests is rendered once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import RecordingProgress, RenderPool, cache_snapshot, make_project, published
from modelserver import ModelServer, default_answer, ok

from builder.build import BuildOptions, build
from builder.runner import NO_VIDEO_OPTIONS, Completed, CountingRunner, manim_scene_args, run

pytestmark = pytest.mark.integration

SECRET = "sk-test-secret-4f1c2b9e7d"


@pytest.fixture
def model_env(model_server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> ModelServer:
    for name in ("DEEPSEEK_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MATHREEL_BASE_URL", model_server.base_url)
    monkeypatch.setenv("MATHREEL_MODEL", "test-model")
    monkeypatch.setenv("MATHREEL_API_KEY", SECRET)
    return model_server


#: When each render (a Manim run that writes a video) started, in the run's clock.
RENDERS_STARTED: list[float] = []


def _timed(argv: Sequence[str], **kwargs: Any) -> Completed:
    args = manim_scene_args(argv)
    if args is not None and not any(a in NO_VIDEO_OPTIONS for a in args):
        RENDERS_STARTED.append(time.monotonic())
    return run(argv, **kwargs)


@dataclass
class TimedProgress(RecordingProgress):
    """RecordingProgress that also notes when each concept's generate stage finished."""

    generated: list[float] = field(default_factory=list)

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        if stage == "generate" and status == "done":
            self.generated.append(time.monotonic())
        super().item(stage, slug, status, detail)


def _gallery(tmp_path: Path) -> Path:
    return make_project(tmp_path / "gallery", "tiny", offline=False)


@pytest.fixture
def gallery(tmp_path: Path, render_pool: RenderPool) -> Iterator[Path]:
    """The tiny gallery seeded from the run's render cache; what it renders goes back to it."""
    root = _gallery(tmp_path)
    render_pool.seed(root)
    yield root
    render_pool.add(root)


def test_model_scenes_are_generated_cached_and_regenerated_on_change(
        tmp_path: Path, model_env: ModelServer, render_pool: RenderPool) -> None:
    root = _gallery(tmp_path)  # a cache of its own: this test is about what the cache saves
    first_runner, first_progress = CountingRunner(_timed), TimedProgress()
    report = build(root / "mkdocs.yml", BuildOptions(site=False), runner=first_runner, progress=first_progress)
    assert {c.status for c in report.concepts.values()} == {"built"}
    assert model_env.request_count == 2
    # The first build rendered both scenes, and every way of counting renders sees it.
    assert sorted(first_progress.slugs("render", "done")) == ["euler-identity", "geometric-series"]
    assert published(root) == {c.render_key for c in report.concepts.values()}
    assert first_runner.renders() == 2, first_runner.manim_runs()
    # An answer began rendering once its static checks passed, beside its preflight (before the
    # generate stage was over; one early render at a time on two cores): the render stage took
    # it, and made no other render of that scene.
    assert len(RENDERS_STARTED) == 2 and min(RENDERS_STARTED) < max(first_progress.generated), \
        (RENDERS_STARTED, first_progress.generated)
    # One of them in a child that loaded Manim while the model answered (it waits for its scene).
    assert [args for args in first_runner.manim_runs() if args[0] == "--mathreel-wait"], \
        first_runner.manim_runs()
    # the prompt carries every anchor verbatim (LaTeX anchoring)
    prompts = " ".join(r.prompt for r in model_env.requests)
    assert r"\sum_{n=0}^{\infty} r^n = \frac{1}{1-r}" in prompts
    assert r"e^{i\pi} + 1 = 0" in prompts
    meta = json.loads((root / "scenes/euler-identity/meta.json").read_text())
    assert meta["provenance"] == "model"
    assert meta["model"] == "test-model"
    assert meta["endpoint_host"].startswith("127.0.0.1:")
    assert meta["attempts"][0]["ok"] is True

    # Nothing changed: zero model calls, zero renders (no entry written, none replaced).
    renders_before = cache_snapshot(root)
    runner, progress = CountingRunner(), RecordingProgress()
    again = build(root / "mkdocs.yml", BuildOptions(site=False), runner=runner, progress=progress)
    assert cache_snapshot(root) == renders_before
    assert progress.slugs("render", "start") == [] and progress.slugs("render", "done") == []
    assert runner.manim_runs() == []
    assert model_env.request_count == 2
    assert {c.status for c in again.concepts.values()} == {"cached"}

    # One anchor changed: exactly that concept is regenerated, and the build says why.
    spec = root / "concepts/euler-identity.yaml"
    spec.write_text(spec.read_text().replace("e^{i\\pi} + 1 = 0", "e^{i\\pi} = -1"))
    progress = RecordingProgress()
    third = build(root / "mkdocs.yml", BuildOptions(site=False), progress=progress)
    assert model_env.request_count == 3
    assert third.concepts["geometric-series"].status == "cached"
    assert progress.slugs("render", "done") == ["euler-identity"]
    assert published(root) == {c.render_key for c in report.concepts.values()} | {
        third.concepts["euler-identity"].render_key}
    redone = third.concepts["euler-identity"].redone
    assert any(line.startswith("generate: ") and "anchors changed" in line for line in redone), redone
    assert r"e^{i\pi} = -1" in model_env.requests[-1].prompt
    render_pool.add(root)  # it never reads the shared cache, but others may use what it rendered


def test_key_never_written_anywhere(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    report = build(root / "mkdocs.yml", BuildOptions())
    assert report.site_error is None
    assert model_env.requests[0].authorization == f"Bearer {SECRET}"
    leaks = [p for p in root.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []
    assert (root / "site/concepts/euler-identity/index.html").is_file()


def test_repair_loop_fixes_on_second_attempt(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    (root / "concepts/geometric-series.yaml").unlink()
    broken = ("```python\nfrom manim import *\n\nclass EulerIdentityScene(Scene):\n"
              "    def construct(self):\n        self.play(ShowCreation(Circle()))\n"
              "        self.play(Write(MathTex(r\"\\frac{1}{\")))\n```\n\n## Notes\n\nSome notes.\n")
    fixed = default_answer  # the server's valid answer, made from the repair prompt
    model_env.script(ok(broken))
    model_env.responder = lambda request: ok(fixed(request))
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["euler-identity"]
    assert item.status == "built", item.error
    meta = json.loads((root / "scenes/euler-identity/meta.json").read_text())
    attempts = meta["attempts"]
    assert [a["ok"] for a in attempts] == [False, True]
    assert "unbalanced" in attempts[0]["diagnostics"].lower() or "brace" in attempts[0]["diagnostics"].lower()
    assert any("ShowCreation" in r for r in attempts[0]["rewrites"])
    assert model_env.request_count == 2
    assert "Fix" in model_env.requests[1].prompt or "fix" in model_env.requests[1].prompt


def test_repeated_error_stops_early_and_keeps_last_good(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    (root / "concepts/geometric-series.yaml").unlink()
    first = build(root / "mkdocs.yml", BuildOptions(site=False))
    assert first.concepts["euler-identity"].status == "built"
    good_scene = (root / "scenes/euler-identity/scene.py").read_text()
    good_render = first.concepts["euler-identity"].render_key

    broken = ("```python\nfrom manim import *\n\nclass EulerIdentityScene(Scene):\n"
              "    def construct(self):\n        self.play(Write(MathTex(r\"\\frac{1}{\")))\n```\n")
    model_env.default = ok(broken)
    requests_before = model_env.request_count
    report = build(root / "mkdocs.yml", BuildOptions(site=False, regenerate=True))
    item = report.concepts["euler-identity"]
    assert item.status == "failed"
    assert item.error_stage == "generate"
    assert "same error" in (item.error or "")
    assert model_env.request_count - requests_before == 2, "stopped after the repeat, not at the bound"
    assert (root / "scenes/euler-identity/scene.py").read_text() == good_scene
    assert item.render_key == good_render, "the last good scene is still rendered"
    meta = json.loads((root / "scenes/euler-identity/meta.json").read_text())
    assert len(meta["last_failure"]["attempts"]) == 2


def test_model_that_never_fixes_is_bounded(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    (root / "concepts/geometric-series.yaml").unlink()
    answers = iter(range(100))

    def always_broken(request: object) -> object:
        n = next(answers)
        return ok("```python\nfrom manim import *\n\nclass EulerIdentityScene(Scene):\n"
                  f"    def construct(self):\n        self.play(Write(MathTex(r\"x_{{{n}\")))\n```\n")

    model_env.responder = always_broken
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["euler-identity"]
    assert item.status == "failed"
    assert model_env.request_count == 4  # one generation + 3 repairs (the default bound)
    # no previous scene: the anchor template stands in, so the gallery still has a video
    meta = json.loads((root / "scenes/euler-identity/meta.json").read_text())
    assert meta["provenance"] == "template"
    assert item.render_key is not None


def test_auth_error_names_the_variable(gallery: Path, model_env: ModelServer) -> None:
    from modelserver import status

    root = gallery
    model_env.default = status(401)
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    item = report.concepts["euler-identity"]
    assert item.status == "failed"
    assert "MATHREEL_API_KEY" in (item.error or "")
    assert SECRET not in (item.error or "")


def test_offline_flag_never_calls_the_model(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    report = build(root / "mkdocs.yml", BuildOptions(site=False), overrides={"offline": True})
    assert model_env.request_count == 0
    assert {c.provenance for c in report.concepts.values()} == {"template"}


def test_multi_model_variants_render_on_one_page(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    (root / "concepts/geometric-series.yaml").unlink()
    spec = root / "concepts/euler-identity.yaml"
    spec.write_text(spec.read_text() + "models: [model-a, model-b]\n")
    model_env.responder = lambda request: ok(default_answer(request).replace(
        "def construct(self):", f"def construct(self):\n        # written by {request.body['model']}"))
    report = build(root / "mkdocs.yml", BuildOptions())
    assert report.site_error is None
    asked = sorted(r.body["model"] for r in model_env.requests)
    assert asked == ["model-a", "model-b"]
    item = report.concepts["euler-identity"]
    assert item.status == "built"
    assert json.loads((root / "scenes/euler-identity/meta.json").read_text())["model"] == "model-a"
    variant = root / "scenes/euler-identity/variants/model-b"
    assert json.loads((variant / "meta.json").read_text())["model"] == "model-b"
    assert [v.model for v in item.variants] == ["model-b"]
    assert item.variants[0].status == "built"
    html = (root / "site/concepts/euler-identity/index.html").read_text()
    assert "model-a" in html and "model-b" in html
    assert html.count("<video") >= 2
    assert (root / "site/concepts/euler-identity/variants/model-b/video.mp4").is_file()
    # nothing changed: no model call for either variant
    build(root / "mkdocs.yml", BuildOptions(site=False))
    assert model_env.request_count == 2


def test_layout_warnings_go_back_for_repair_when_asked(gallery: Path, model_env: ModelServer) -> None:
    root = gallery
    (root / "concepts/geometric-series.yaml").unlink()
    crowded = ("```python\nfrom manim import *\n\nclass EulerIdentityScene(Scene):\n"
               "    def construct(self):\n"
               "        a = MathTex(r\"e^{i\\pi} + 1 = 0\")\n"
               "        b = MathTex(r\"e^{i\\theta} = \\cos\\theta + i\\sin\\theta\").move_to(a)\n"
               "        self.play(Write(a), Write(b))\n```\n\n## Notes\n\nNotes.\n")
    model_env.script(ok(crowded))
    model_env.responder = lambda request: ok(default_answer(request))
    report = build(root / "mkdocs.yml", BuildOptions(site=False), overrides={"repair_layout": True})
    item = report.concepts["euler-identity"]
    assert item.status == "built", item.error
    attempts = json.loads((root / "scenes/euler-identity/meta.json").read_text())["attempts"]
    assert [a["ok"] for a in attempts] == [False, True]
    assert "overlap" in attempts[0]["diagnostics"]
    assert "overlap" in model_env.requests[1].prompt
