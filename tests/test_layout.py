"""The layout probe: text off the frame or on top of other text is recorded after each play/wait."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_project

from builder.build import BuildOptions, build

pytestmark = pytest.mark.integration


def test_layout_warnings_are_recorded_with_names_times_and_boxes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "layout")
    (root / "concepts" / "clean.yaml").write_text(
        "title: Clean\nprompt: A tidy anchor scene.\nanchors:\n  - {label: Sum, latex: 'a + b = c'}\n"
        "scene:\n  duration: 5\n")
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    bad = report.concepts["bad-layout"].render
    assert bad is not None
    kinds = {(w["kind"], tuple(w["names"])) for w in bad.layout}
    assert ("off-frame", ("Text('far away')",)) in kinds
    assert ("overlap", ("MathTex('x^2 + y^2')", "Text('Hello there, world')")) in kinds
    overlap = next(w for w in bad.layout if w["kind"] == "overlap")
    assert 0.4 < overlap["time"] < 0.7 and len(overlap["boxes"]) == 2
    off = next(w for w in bad.layout if w["kind"] == "off-frame")
    assert off["boxes"][0][2] > 7.1  # right edge past the frame's half width
    # the anchor template lays itself out cleanly
    clean = report.concepts["clean"].render
    assert clean is not None and clean.layout == ()
