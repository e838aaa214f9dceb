"""The build's record: typed, versioned, and never a crash when a file is old or damaged."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from builder.record import (
    SCHEMA,
    AnchorTime,
    BuildRecord,
    ConceptRecord,
    NotesFacts,
    RendererDecision,
    RenderFacts,
    RenderInfo,
    SceneFacts,
    Tokens,
    VariantRecord,
    load_build_record,
    read_render_info,
)
from builder.video.chapters import Chapter

RECORD = ConceptRecord(
    slug="euler", title="Euler", status="built", provenance="model", generator="m",
    scene_class="EulerScene", render_key="r1",
    render=RenderFacts(key="r1", seconds=2.5, duration=4.0, size=1234, quality="l",
                       renderer=RendererDecision("cairo", "2D", {"cairo_s": 1.0}, "OpenGL failed: x"),
                       sandbox="bubblewrap as nobody", parts={"manim": "0.19"},
                       layout=({"kind": "overlap", "names": ["a", "b"], "time": 1.0},),
                       chapters=(Chapter("One", 0.0, 2.0, "A"), Chapter("Two", 2.0, 4.0, "B")),
                       anchors=(AnchorTime("Euler", "e^{i\\pi}", 1.5), AnchorTime("Unseen", "x", None)),
                       quality_note="", webm_key="abc123"),
    notes=NotesFacts("n1", 3, {"pandoc": "3.1"}), redone=("render: new",),
    variants=(VariantRecord("model-b", "model-b", "built", "r2"),))


def test_a_record_reads_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    BuildRecord(concepts={"euler": RECORD}, started="2026-01-01T00:00:00+00:00", seconds=1.0,
                versions={"manim": "0.19"}).save(path)
    loaded = load_build_record(path)
    # Scene facts live in meta.json (the scene store), not in the report.
    assert loaded.concepts["euler"] == RECORD
    assert loaded.started.startswith("2026") and loaded.versions == {"manim": "0.19"}


@pytest.mark.parametrize("content, says", [
    ("{not json", "damaged"),
    (json.dumps({"schema": SCHEMA - 1, "concepts": {"euler": {"slug": "euler"}}}), "another mathreel version"),
])
def test_an_old_or_damaged_report_is_a_cache_miss_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, says: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        record = load_build_record(path)
    assert record.concepts == {}
    assert says in caplog.text and str(path) in caplog.text


def test_one_damaged_concept_record_leaves_the_others(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "report.json"
    data = BuildRecord(concepts={"euler": RECORD}).to_json()
    data["concepts"]["broken"] = ["not", "a", "record"]
    # Wrong types inside a record read as absent, not as a crash.
    data["concepts"]["euler"]["render"]["chapters"] = [{"title": "x", "start": "soon"}]
    data["concepts"]["euler"]["render"]["seconds"] = "slow"
    path.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        record = load_build_record(path)
    assert set(record.concepts) == {"euler"} and "broken" in caplog.text
    render = record.concepts["euler"].render
    assert render is not None and render.chapters == () and render.seconds == 0.0


def test_tokens_read_the_shape_the_generate_stage_writes() -> None:
    # builder.stages.generate.generate_with_repair sums usage into exactly this dict.
    facts = SceneFacts.from_meta({"tokens": {"prompt": 900, "completion": 400, "reasoning": 250},
                                  "attempts": [{"attempt": 1, "ok": False, "diagnostics": "E1"},
                                               {"attempt": 2, "ok": True}],
                                  "date": "2026-11-29T10:00:00+00:00"})
    assert facts.tokens == Tokens(prompt=900, completion=400, reasoning=250)
    assert facts.tokens.total == 1300
    assert [a.ok for a in facts.attempts] == [False, True] and facts.attempts[0].diagnostics == "E1"
    assert facts.date.startswith("2026-11-29")
    assert not SceneFacts.from_meta({"tokens": "lots"}).tokens


def test_render_info_refuses_a_render_json_without_its_facts(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "abc"
    folder.mkdir()
    (folder / "render.json").write_text(json.dumps({"seconds": 1, "duration": 2.0, "quality": "l"}))
    with caplog.at_level(logging.WARNING):
        assert read_render_info(folder) is None
    assert "size" in caplog.text
    info = RenderInfo(key="abc", seconds=1.0, duration=2.0, size=3, quality="l",
                      storyboard=(), tex_seen={"x": 0.5})
    (folder / "render.json").write_text(json.dumps(
        {**info.to_json(), "storyboard": [{"file": "../../etc/passwd", "time": 1},
                                          {"file": "storyboard/f.png", "time": 1.5, "chapter": 0}]}))
    read = read_render_info(folder)
    assert read is not None and [f.file for f in read.storyboard] == ["storyboard/f.png"]
    assert read.tex_seen == {"x": 0.5}
