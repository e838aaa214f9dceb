"""Slow is not broken: the preflight's estimate decides the quality before a render starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_project

from builder.build import BuildOptions, build
from builder.video.render import plan_quality

EST = {"l": 20.0, "m": 200.0, "h": 900.0, "k": 3000.0}


@pytest.mark.parametrize(("quality", "budget", "expected", "note", "refused"), [
    ("m", 900, "m", None, False),          # fits: as asked
    ("h", 900, "m", "instead of h", False),  # 900 s > 0.8 x 900: one step down
    ("k", 300, "m", "instead of k", False),  # h is over 0.8 x 300; m (200 s) is the best that fits
    ("h", 100, "l", "instead of h", False),  # only l (20 s) fits 0.8 x 100
    ("m", 20, "m", None, True),            # even l (20 s) is over 0.8 x 20: refused, nothing runs
])
def test_plan_quality(quality: str, budget: float, expected: str, note: str | None, refused: bool) -> None:
    plan = plan_quality(EST, quality, budget, video_seconds=40)
    assert plan.quality == expected
    assert (plan.note is not None and note is not None and note in plan.note) or (plan.note is None and note is None)
    assert (plan.refusal is not None) is refused
    if refused:
        assert plan.refusal is not None
        assert "too slow at this quality" in plan.refusal and "frames/s" in plan.refusal
        assert "quality: l" in plan.refusal and "opengl" in plan.refusal
        assert "endless loop" not in plan.refusal


def test_no_estimate_renders_as_asked() -> None:
    assert plan_quality({}, "h", 10).quality == "h"


SCENE = '''from manim import *


class EulerIdentityScene(Scene):
    def construct(self):
        self.play(Create(Circle()), run_time=1)
'''


def _model_scene(root: Path, estimate: dict[str, float]) -> None:
    from builder.keys import sha256_text

    folder = root / "scenes" / "euler-identity"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scene.py").write_text(SCENE, encoding="utf-8")
    (folder / "notes.md").write_text("Notes.\n", encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps({
        "schema": 1, "slug": "euler-identity", "provenance": "model", "model": "test-model",
        "scene_class": "EulerIdentityScene", "scene_sha256": sha256_text(SCENE),
        "notes_sha256": sha256_text("Notes.\n"),
        "preflight": {"estimate": estimate, "video_seconds": 1.0, "finished": True}}), encoding="utf-8")


@pytest.mark.integration
def test_a_slow_model_scene_renders_lower_with_a_note(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny", quality="m")
    _model_scene(root, {"l": 3.0, "m": 5000.0, "h": 9000.0, "k": 20000.0})
    report = build(root / "mkdocs.yml", BuildOptions(only=("euler-identity",)))
    item = report.concepts["euler-identity"]
    assert item.status == "built", item.error
    assert item.render is not None and item.render.quality == "l"
    assert "instead of m" in item.render.quality_note
    page = (root / "site/concepts/euler-identity/index.html").read_text(encoding="utf-8")
    assert "<dt>Quality</dt> <dd>rendered at quality l instead of m" in page


@pytest.mark.integration
def test_a_scene_too_slow_everywhere_is_not_rendered(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny", quality="m")
    _model_scene(root, {"l": 4000.0, "m": 5000.0, "h": 9000.0, "k": 20000.0})
    report = build(root / "mkdocs.yml", BuildOptions(site=False, only=("euler-identity",)))
    item = report.concepts["euler-identity"]
    assert item.status == "failed" and "too slow at this quality" in (item.error or "")
    assert not (root / ".cache/render").exists() or not any((root / ".cache/render").iterdir())
