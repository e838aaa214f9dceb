"""New concepts don't wait in line: several model requests in flight, never more than the setting.

The model is the test server on 127.0.0.1, answering each request after a delay; the real
`openai` client, the checks and the renders run as in a build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import RenderPool, make_project
from modelserver import ModelServer, default_answer, ok

from builder.build import BuildOptions, build, render_order
from builder.record import BuildRecord, ConceptRecord, RenderFacts
from builder.scenes import SceneEntry
from builder.settings import load_settings
from builder.stages import LogProgress
from builder.stages.generate import Generated

pytestmark = pytest.mark.integration

CONCEPT = """title: Identity {n}
summary: A one-line identity.
level: intro
prompt: Show the identity.
anchors:
  - label: Identity
    latex: 'x_{n} + 0 = x_{n}'
scene:
  duration: 5
"""


def _many(tmp_path: Path, count: int, concurrency: int) -> Path:
    root = make_project(tmp_path / "gallery", "tiny", offline=False)
    for spec in (root / "concepts").glob("*.yaml"):
        spec.unlink()
    for n in range(count):
        (root / "concepts" / f"identity-{n}.yaml").write_text(CONCEPT.format(n=n), encoding="utf-8")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("- mathreel:", f"- mathreel:\n      model_concurrency: {concurrency}"),
                      encoding="utf-8")
    return root


def _still(answer: str) -> str:
    """The default answer with its animations made still: the requests are the point, not the
    render, so each scene renders a few frames."""
    answer = re.sub(r"self\.play\(Write\((eq\d+)\)\)", r"self.add(\1)", answer)
    answer = re.sub(r"self\.play\(FadeOut\((eq\d+)\)\)", r"self.remove(\1)", answer)
    return answer.replace("self.wait(0.5)", "self.wait(0.2)")


def test_model_requests_overlap_up_to_model_concurrency(tmp_path: Path, model_server: ModelServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATHREEL_BASE_URL", model_server.base_url)
    monkeypatch.setenv("MATHREEL_MODEL", "test-model")
    monkeypatch.setenv("MATHREEL_API_KEY", "sk-test")
    model_server.responder = lambda request: ok(_still(default_answer(request)), delay_s=1.5)
    root = _many(tmp_path, 3, concurrency=2)
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    assert model_server.request_count == 3
    assert {c.status for c in report.concepts.values()} == {"built"}, {
        s: c.error for s, c in report.concepts.items()}
    assert model_server.max_in_flight == 2  # several at once, never more than the setting


def test_the_log_says_why_the_anchor_template_stands_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        render_pool: RenderPool) -> None:
    for name in ("DEEPSEEK_API_KEY", "MATHREEL_API_KEY", "MATHREEL_BASE_URL", "MATHREEL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    root = make_project(tmp_path / "gallery", "tiny", offline=False)
    render_pool.seed(root)  # the log line is the point here, not the render
    events: list[tuple[str, str, str, str]] = []

    class Collect:
        def stage(self, name: str, total: int) -> None:
            pass

        def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
            events.append((stage, slug, status, detail))

        def model(self, slug: str, event: object) -> None:
            pass

    build(root / "mkdocs.yml", BuildOptions(site=False, only=("euler-identity",)), progress=Collect())
    render_pool.add(root)
    done = [e for e in events if e[:3] == ("generate", "euler-identity", "done")]
    assert len(done) == 1
    assert "anchor template because no API key" in done[0][3]
    assert "DEEPSEEK_API_KEY" in done[0][3]


def _known(slug: str, seconds: float) -> ConceptRecord:
    return ConceptRecord(slug=slug, title=slug, status="built",
                         render=RenderFacts(key=f"old-{slug}", seconds=seconds, duration=1.0, size=1, quality="l"))


def test_renders_start_longest_first_when_the_last_build_timed_them() -> None:
    # A render the last build timed at 60 s starts before one it timed at 5 s; a model answer
    # without a timed render goes by its preflight estimate; a concept nothing is known of
    # (a new one) goes first, in the order given.
    def generated(slug: str, meta: dict[str, object] | None = None) -> Generated:
        entry = SceneEntry(slug=slug, folder=Path(slug), source="", notes="", meta=meta or {"provenance": "model"})
        return Generated(entry=entry)

    ready = {slug: generated(slug) for slug in ("a-short", "b-new", "c-long", "d-middle", "e-new")}
    ready["d-middle"] = generated("d-middle", {"provenance": "model", "preflight": {"estimate": {"l": 30.0, "m": 90.0}}})
    previous = {"a-short": _known("a-short", 5.0), "c-long": _known("c-long", 60.0)}
    qualities = dict.fromkeys(ready, "l")
    assert render_order(ready, previous, qualities) == ["b-new", "e-new", "c-long", "d-middle", "a-short"]
    qualities["d-middle"] = "m"  # its own quality's estimate
    assert render_order(ready, previous, qualities) == ["b-new", "e-new", "d-middle", "c-long", "a-short"]


def test_a_rebuild_renders_the_longest_first(tmp_path: Path) -> None:
    # The whole gallery renders again (here: its render cache is gone); the last build's record
    # says geometric-series took longest: with one render at a time, it starts first.
    root = make_project(tmp_path / "gallery", "tiny")
    settings, _ = load_settings(root / "mkdocs.yml", cli={"jobs": 1}, env={})
    BuildRecord(concepts={"euler-identity": _known("euler-identity", 2.0),
                          "geometric-series": _known("geometric-series", 40.0)}).save(settings.report_path)
    started: list[str] = []

    class Starts(LogProgress):
        def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
            if (stage, status) == ("render", "start"):
                started.append(slug)

    report = build(root / "mkdocs.yml", BuildOptions(site=False), overrides={"jobs": 1}, progress=Starts())
    assert not report.failed
    assert started == ["geometric-series", "euler-identity"]
