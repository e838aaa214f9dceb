"""Renders started early (beside the preflight): the cancel scope that stops them, and the
registry the render stage takes them from. Real processes, real Manim through the sandbox."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from builder.errors import RenderError
from builder.runner import Cancelled, CancelScope, CountingRunner, run
from builder.stages.speculate import EarlyRenders
from builder.video.render import render_job

QUICK = ("from manim import *\n\n\nclass Demo(Scene):\n    def construct(self):\n"
         "        self.play(FadeIn(Square()), run_time=0.5)\n")
#: About 3000 frames that all differ: half a minute or more of rendering at -ql.
LONG = ("from manim import *\n\n\nclass Demo(Scene):\n    def construct(self):\n"
        "        square = Square()\n"
        "        for _ in range(200):\n"
        "            self.play(Rotate(square, 0.3), run_time=1)\n")
BROKEN = ("from manim import *\n\n\nclass Demo(Scene):\n    def construct(self):\n"
          "        self.play(FadeIn(Square()), run_time=0.5)\n"
          "        self.add(Circle(radius=[1][3]))\n")


def test_a_cancelled_scope_stops_what_runs_and_what_would_start(tmp_path: Path) -> None:
    scope, errors = CancelScope(), []

    def work() -> None:
        with scope:
            for argv in (["sleep", "30"], ["true"]):
                try:
                    run(argv, cwd=tmp_path, timeout=60)
                except Cancelled as exc:
                    errors.append(str(exc))

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(0.5)
    began = time.monotonic()
    scope.cancel()
    thread.join(20)
    assert not thread.is_alive() and time.monotonic() - began < 10
    assert errors == ["sleep was stopped: cancelled", "true was not started: cancelled"]
    # the scope belongs to the thread that entered it: runs elsewhere go on as before
    assert run(["true"], cwd=tmp_path).returncode == 0


@pytest.fixture
def early(tmp_path: Path) -> EarlyRenders:
    return EarlyRenders(tmp_path / "render", tmp_path / "tex", 300, CountingRunner(run))


def _published(tmp_path: Path) -> list[str]:
    folder = tmp_path / "render"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.integration
def test_an_early_render_is_taken_by_its_key(tmp_path: Path, early: EarlyRenders) -> None:
    job = render_job("demo", QUICK, "Demo", "l", "cairo")
    early.start("demo", job)
    output = early.take("demo", job.key)
    assert output is not None and output.key == job.key and output.video.is_file()
    assert _published(tmp_path) == [job.key]
    assert early.take("demo", job.key) is None, "taken once"
    early.start("demo", job)  # rendered already: nothing starts
    assert early.runner.renders() == 1  # type: ignore[attr-defined]


@pytest.mark.integration
def test_an_early_render_of_another_key_or_left_over_is_stopped_and_publishes_nothing(
        tmp_path: Path, early: EarlyRenders) -> None:
    job = render_job("long", LONG, "Demo", "l", "cairo")
    early.start("long", job)
    time.sleep(3)  # Manim is drawing by now
    began = time.monotonic()
    assert early.take("long", "another key") is None
    early.start("long", job)
    time.sleep(1)
    early.close()  # the build is over: what no one took is stopped
    assert time.monotonic() - began < 20
    assert _published(tmp_path) == []
    early.start("long", job)  # after close, nothing starts
    assert early.take("long", job.key) is None and _published(tmp_path) == []


@pytest.mark.integration
def test_an_early_render_that_fails_on_the_scene_reports_it(tmp_path: Path, early: EarlyRenders) -> None:
    job = render_job("broken", BROKEN, "Demo", "l", "cairo")
    early.start("broken", job)
    with pytest.raises(RenderError, match="IndexError"):
        early.take("broken", job.key)
    assert _published(tmp_path) == []


@pytest.mark.integration
def test_early_renders_run_at_most_limit_at_once(tmp_path: Path, early: EarlyRenders) -> None:
    assert early.limit == 1
    busy, quick = render_job("long", LONG, "Demo", "l", "cairo"), render_job("demo", QUICK, "Demo", "l", "cairo")
    early.start("long", busy)
    early.start("demo", quick)  # no place: the render stage renders it as usual
    assert early.take("demo", quick.key) is None
    early.cancel("long")
    early.start("demo", quick)  # the place is free again
    assert early.take("demo", quick.key) is not None
    assert _published(tmp_path) == [quick.key]


# -- warm children: started before the scene is known ----------------------------------------


def _waits(runner: CountingRunner) -> list[tuple[str, ...]]:
    """The Manim runs started warm (waiting for their scene)."""
    return [args for args in runner.manim_runs() if "--mathreel-wait" in args]


@pytest.mark.integration
def test_a_warm_child_renders_the_job_handed_to_it(tmp_path: Path, early: EarlyRenders) -> None:
    job = render_job("demo", QUICK, "Demo", "l", "cairo")
    assert early.prewarm("demo", "l", "cairo")
    assert early.prewarm("demo", "l", "cairo")  # the same flags: the same child
    time.sleep(0.5)  # Manim loads; no scene is in its folder yet
    (stage,) = (tmp_path / "render").iterdir()
    assert stage.name.startswith(".warm-") and not (stage / "work" / "scene.py").exists()
    early.start("demo", job)
    output = early.take("demo", job.key)
    assert output is not None and output.video.is_file() and output.poster.is_file()
    assert output.info.quality == "l" and output.storyboard()
    assert _published(tmp_path) == [job.key]  # the warm folder became the published entry
    runner = early.runner
    assert isinstance(runner, CountingRunner)
    assert runner.renders() == 1 and len(_waits(runner)) == 1  # the one run was the warm child
    assert not (output.folder / "work").exists()  # nothing the scene left beside the video


@pytest.mark.integration
def test_a_warm_child_that_does_not_fit_is_let_go_and_the_render_runs_cold(
        tmp_path: Path, early: EarlyRenders) -> None:
    guess, job = render_job("demo", QUICK, "Demo", "l", "cairo"), render_job("demo", QUICK, "Demo", "m", "cairo")
    assert early.prewarm("demo", guess.quality, guess.renderer)
    early.start("demo", job)  # another quality than the answer first suggested
    output = early.take("demo", job.key)
    assert output is not None and output.info.quality == "m"
    assert _published(tmp_path) == [job.key]
    runner = early.runner
    assert isinstance(runner, CountingRunner)
    assert len(_waits(runner)) == 1 and len(runner.manim_runs()) == 2


@pytest.mark.integration
def test_a_warm_child_is_let_go_without_its_scene_and_holds_a_place_until_then(
        tmp_path: Path, early: EarlyRenders) -> None:
    other = render_job("other", QUICK, "Demo", "m", "cairo")
    assert early.prewarm("demo", "l", "cairo")
    assert not early.prewarm("other", "m", "cairo")  # one place (limit 1), held by the warm child
    early.start("other", other)  # no place, and the waiting child does not fit
    assert early.take("other", other.key) is None
    began = time.monotonic()
    early.cancel("demo")  # the static checks failed: the scene never reaches the child
    assert time.monotonic() - began < 10
    assert _published(tmp_path) == []
    assert early.prewarm("other", "l", "cairo")  # the place is free again
    early.close()  # the build ended before its checks did
    assert _published(tmp_path) == []


@pytest.mark.integration
def test_a_warm_render_that_fails_on_the_scene_reports_it_and_one_cancelled_publishes_nothing(
        tmp_path: Path, early: EarlyRenders) -> None:
    broken = render_job("broken", BROKEN, "Demo", "l", "cairo")
    assert early.prewarm("broken", "l", "cairo")
    early.start("broken", broken)
    with pytest.raises(RenderError, match="IndexError"):
        early.take("broken", broken.key)
    assert _published(tmp_path) == []

    long = render_job("long", LONG, "Demo", "l", "cairo")
    assert early.prewarm("long", "l", "cairo")
    early.start("long", long)
    time.sleep(3)  # Manim is drawing by now
    began = time.monotonic()
    assert early.take("long", "another key") is None  # the render stage wants another render
    assert time.monotonic() - began < 10
    assert _published(tmp_path) == []


@pytest.mark.integration
def test_a_waiting_child_renders_whichever_answer_passes_first(tmp_path: Path, early: EarlyRenders) -> None:
    # The child one concept started before its model answered renders another concept's scene
    # whose checks passed first (same flags); the first concept starts another when it can.
    assert early.prewarm("waiting", "l", "cairo")
    job = render_job("first", QUICK, "Demo", "l", "cairo")
    early.start("first", job)
    output = early.take("first", job.key)
    assert output is not None and _published(tmp_path) == [job.key]
    runner = early.runner
    assert isinstance(runner, CountingRunner)
    assert len(runner.manim_runs()) == 1 and len(_waits(runner)) == 1
    assert early.prewarm("waiting", "l", "cairo")  # its own, now that the place is free
    early.close()
    assert _published(tmp_path) == [job.key]


@pytest.mark.integration
def test_a_model_call_that_fails_lets_its_waiting_child_go(
        tmp_path: Path, early: EarlyRenders, monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.model.client
    from builder.errors import GenerateError
    from builder.settings import default_settings
    from builder.spec import validate_text
    from builder.stages.generate import generate_with_repair

    concept, problems = validate_text(Path("concepts/demo.yaml"), "title: Demo\nprompt: Show it.\nanchors:\n"
                                      "  - label: One\n    latex: 'x = 1'\n")
    assert concept is not None, problems
    asked: list[str] = []

    def failing(*args: object, **kwargs: object) -> object:
        asked.append("generate")  # the child is waiting by now
        (waiting,) = (tmp_path / "render").iterdir()
        assert waiting.name.startswith(".warm-")
        raise GenerateError("the model endpoint refused the request")

    monkeypatch.setattr(builder.model.client, "generate", failing)
    with pytest.raises(GenerateError):
        generate_with_repair(concept, default_settings(tmp_path), None, runner=run, env={}, early=early)
    assert asked == ["generate"]
    assert _published(tmp_path) == []  # let go: its folder is gone
    assert early.prewarm("other", "l", "cairo")  # and its place is free
    early.close()


@pytest.mark.integration
def test_a_child_that_stopped_waiting_is_not_handed_a_scene(tmp_path: Path, early: EarlyRenders) -> None:
    # A child waits WAIT_S for its scene (a slow model can answer later): one that has ended is
    # let go, and the render runs cold instead of reporting the child's end as the scene's error.
    from builder.checks.dryrun import hand_over
    from builder.stages.speculate import WarmRender

    assert early.prewarm("demo", "l", "cairo")
    (stage,) = (tmp_path / "render").iterdir()
    hand_over(stage / "work", {"scene": None})  # as if its wait ran out: it leaves by itself
    deadline = time.monotonic() + 30
    while (stage / "work").exists() and any(t.name == "warm-render" and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    job = render_job("demo", QUICK, "Demo", "l", "cairo")
    early.start("demo", job)
    output = early.take("demo", job.key)
    assert output is not None and _published(tmp_path) == [job.key]

    # and one past its time to wait, though alive, is not used either
    child = WarmRender(tmp_path / "render", quality="l", renderer="cairo", timeout=60, runner=run)
    assert child.fits(job)
    child.started -= child.wait_s
    assert not child.fits(job) and not child.usable()
    child.cancel()
    assert _published(tmp_path) == [job.key]
