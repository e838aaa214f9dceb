"""The preflight: one cheap run of construct (animations skipped to their ends, the middle
of each play) through the real sandbox seam, and the anchors-seen matcher."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from svgshape import drawing

from builder.checks.dryrun import (
    Preflight,
    PreflightFacts,
    WarmPreflight,
    anchor_times,
    preflight,
    tex_tokens,
    timeout_diagnostic,
)
from builder.runner import CountingRunner
from builder.runner import run as real_run
from builder.sandbox import run_manim
from builder.video.render import scrubbed_env

SCENE = "Demo"

# -- anchors seen (pure) --------------------------------------------------------------------------

ANCHOR_CASES = [
    # (anchor, seen strings with their times, expected time)
    ("a^2 + b^2 = c^2", {"a^2+b^2=c^2": 1.0}, 1.0),               # whitespace
    ("x^{2}", {"x^2 + 1": 2.0}, 2.0),                              # braces around one token
    (r"\frac{1}{2}", {r"y = \frac12 x": 0.5}, 0.5),               # \frac{1}{2} vs \frac12
    (r"\frac{a}{b}", {r"\frac{{a}}{b}": 3.0}, 3.0),                # nested single-token braces
    (r"e^{i\pi}", {r"e^{i \pi} + 1 = 0": 4.0}, 4.0),               # control word, then a brace group
    (r"\alpha x", {r"\alphax": 1.0}, None),                        # `\alpha x` is not `\alphax`
    ("x^{10}", {"x^1 0": 1.0, "x^{10}": 6.0}, 6.0),                # a two-token group keeps its braces
    (r"a \, b", {"a b": 2.5}, 2.5),                                # thin space changes no meaning
    ("E = mc^2", {"$E = mc^2$": 7.0}, 7.0),                        # Tex with inline math
    ("a + b", {"a + b": 9.0, "c = a + b": 3.0}, 3.0),              # earliest of several
    ("a + b", {"a - b": 1.0}, None),                               # never seen
    ("x", {}, None),
]


@pytest.mark.parametrize(("anchor", "seen", "expected"), ANCHOR_CASES)
def test_anchor_times(anchor: str, seen: dict[str, float], expected: float | None) -> None:
    assert anchor_times([anchor], seen) == {anchor: expected}


def test_tex_tokens_keep_meaningful_structure() -> None:
    assert tex_tokens(r"\frac{1}{2}") == (r"\frac", "1", "2")
    assert tex_tokens(r"\frac{12}{3}") == (r"\frac", "{", "1", "2", "}", "3")
    assert tex_tokens(r"\{ x \}") == (r"\{", "x", r"\}")


# -- real Manim through the real sandbox seam -----------------------------------------------------


def _run(tmp_path: Path, body: str, *, budget: float = 60, runner: CountingRunner | None = None,
         header: str = "") -> tuple[Preflight, str]:
    source = f"from manim import *\nimport math\n{header}\n\nclass {SCENE}(Scene):\n    def construct(self):\n{body}"
    result = preflight(source, scene_class=SCENE, runner=runner or CountingRunner(real_run),
                       workdir=tmp_path / "dry", env=scrubbed_env(tmp_path / "home"), budget=budget)
    return result, source


def _line_of(source: str, text: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


@pytest.mark.integration
def test_runtime_error_with_its_line(tmp_path: Path) -> None:
    body = ("        dot = Dot()\n"
            "        self.play(Create(dot))\n"
            "        shift = None\n"
            "        dot.move_to(RIGHT * (shift - 1.0))\n"
            "        self.wait()\n")
    result, source = _run(tmp_path, body)
    (diag,) = result.errors
    assert (diag.step, diag.kind) == ("dryrun", "runtime-error")
    assert diag.line == _line_of(source, "shift - 1.0")
    assert diag.message.startswith("TypeError") and "NoneType" in diag.message
    assert not result.finished and result.facts.plays == 1


@pytest.mark.integration
def test_error_inside_an_updater_surfaces_at_an_interior_moment(tmp_path: Path) -> None:
    # The tracker goes to 4 and back to 0: at the end state sqrt(3 - 0) is fine; only the middle
    # of the play (there_and_back peaks at alpha 0.5) reaches sqrt(3 - 4).
    body = ("        t = ValueTracker(0)\n"
            "        dot = Dot().add_updater(lambda m: m.set_x(math.sqrt(3 - t.get_value())))\n"
            "        self.add(dot)\n"
            "        self.play(t.animate.set_value(4), rate_func=there_and_back, run_time=2)\n"
            "        self.wait()\n")
    result, source = _run(tmp_path, body)
    (diag,) = result.errors
    assert diag.kind == "runtime-error" and "math domain error" in diag.message
    assert diag.line in (_line_of(source, "math.sqrt"), _line_of(source, "there_and_back"))
    assert result.facts.plays == 0 and result.facts.updaters == 0  # it failed inside play 1


@pytest.mark.integration
def test_layout_anchors_facts_and_no_render(tmp_path: Path) -> None:
    body = ("        eq = MathTex(r'a^2 + b^2 = c^2')\n"
            "        self.play(Write(eq))\n"
            "        self.wait(2)\n"
            "        half = MathTex(r'y = \\frac12 x').shift(DOWN * 2)\n"
            "        self.play(FadeIn(half))\n"
            "        far = Text('far away').move_to(RIGHT * 7)\n"
            "        self.play(FadeIn(far), run_time=0.5)\n"
            "        near = Text('on top').move_to(eq)\n"
            "        self.play(FadeIn(near))\n"
            "        self.wait()\n")
    runner = CountingRunner(real_run)
    result, _ = _run(tmp_path, body, runner=runner)
    assert result.diagnostics == () and result.finished
    kinds = {d.kind for d in result.layout}
    assert kinds == {"off-frame", "overlap"}, result.layout
    assert all(d.severity == "warning" for d in result.layout)
    facts = result.facts
    assert facts.plays == 6 and facts.video_seconds == pytest.approx(6.5)
    assert facts.static_seconds == pytest.approx(3.0)
    times = result.anchor_times(["a^2+b^2=c^2", r"y=\frac{1}{2}x", r"\sin x"])
    assert times == {"a^2+b^2=c^2": 0.0, r"y=\frac{1}{2}x": 3.0, r"\sin x": None}
    # two moments (the middle and the end) per moving play; nothing stepped frame by frame
    assert facts.steps == 4 * 2 and facts.frame_s is not None
    assert set(result.estimate) == {"l", "m", "h", "k"}
    assert result.estimate["l"] < result.estimate["m"] < result.estimate["h"] < result.estimate["k"]
    assert runner.count("manim") == 1 and runner.renders() == 0  # a preflight, not a render


BATCHED = ("        a = MathTex(r'\\int_0^1 x^2\\,dx', '=', r'\\frac{1}{3}')\n"
           "        b = Tex(r'Area under $x^2$').to_edge(UP)\n"
           "        c = MathTex(r'\\vec{u} + \\vec{v}', substrings_to_isolate=[r'\\vec{u}'],\n"
           "                    color=BLUE).to_edge(DOWN)\n"
           "        n = 3\n"
           "        d = MathTex(rf'n = {n}').to_corner(UL)\n"
           "        self.play(Write(a), FadeIn(b), FadeIn(c), FadeIn(d))\n")


@pytest.mark.integration
def test_formulas_known_from_the_source_compile_in_one_batch(tmp_path: Path) -> None:
    from manim import MathTex, Tex, tempconfig

    result, _ = _run(tmp_path, BATCHED)
    assert result.diagnostics == () and result.finished
    # the three plain strings come from one batch; only the f-string is compiled on its own
    assert (result.facts.tex_batched, result.facts.tex_compiled) == (3, 1)
    # Each page of the batch is the SVG Manim writes for that formula by itself, under the
    # same name: the same drawing (tests/svgshape.py says what that compares).
    with tempconfig({"tex_dir": str(tmp_path / "manim")}):
        MathTex(r"\int_0^1 x^2\,dx", "=", r"\frac{1}{3}")
        Tex(r"Area under $x^2$")
        MathTex(r"\vec{u} + \vec{v}", substrings_to_isolate=[r"\vec{u}"])
    ours = {p.name: p for p in (tmp_path / "dry" / "Tex").glob("*.svg")}
    manims = sorted((tmp_path / "manim").glob("*.svg"))
    assert len(manims) == 3 and all(p.name in ours for p in manims)
    for path in manims:
        assert drawing(ours[path.name]) == drawing(path), path.name


@pytest.mark.integration
def test_a_long_error_message_is_reported_whole(tmp_path: Path) -> None:
    # The preflight prints a failure as a plain traceback: one line per message however long
    # (Manim's rich one wraps it at the terminal's width, and costs a highlighter per frame).
    message = "the slope is undefined: " + "the two points share an x value; " * 10
    body = f"        dot = Dot()\n        raise ValueError({message!r})\n"
    result, source = _run(tmp_path, body)
    (diag,) = result.errors
    assert diag.line == _line_of(source, "raise ValueError")
    assert diag.message.startswith(f"ValueError: {message.strip()}"), diag.message


@pytest.mark.integration
def test_an_error_before_the_first_formula_does_not_wait_for_the_batch(tmp_path: Path) -> None:
    # The batch compiles beside construct: a scene that fails before it shows any formula is
    # reported without waiting for latex and dvisvgm (300 pages take seconds; the error, none).
    formulas = "".join(f"        self.add(MathTex(r'x_{{{i}}} + y_{{{i}}}'))\n" for i in range(300))
    result, source = _run(tmp_path, "        slope = 3.0 / (1.0 - 1.0)\n" + formulas)
    (diag,) = result.errors
    assert diag.line == _line_of(source, "slope =") and diag.message.startswith("ZeroDivisionError")
    batch = json.loads((tmp_path / "dry" / "tex_batch.json").read_text())
    assert len(batch) == 300
    assert result.facts.tex_batched == 0  # it ended before the batch did (waited for: 300)
    assert not list((tmp_path / "dry" / "Tex").glob("*.svg"))


@pytest.mark.integration
def test_a_single_formula_is_left_to_manim(tmp_path: Path) -> None:
    # one formula costs Manim about what a batch costs: no batch for it
    result, _ = _run(tmp_path, "        self.add(MathTex(r'e^{i\\pi} + 1 = 0'))\n")
    assert result.finished and (result.facts.tex_batched, result.facts.tex_compiled) == (0, 1)
    assert not (tmp_path / "dry" / "tex_batch.json").exists()


@pytest.mark.integration
def test_a_bad_formula_drops_the_batch_and_is_reported_with_its_line(tmp_path: Path) -> None:
    body = ("        ok = MathTex(r'x^2')\n"
            "        bad = MathTex(r'\\frac{1}')\n"
            "        self.add(ok, bad)\n")
    result, source = _run(tmp_path, body)
    (diag,) = result.errors
    assert diag.line == _line_of(source, "frac{1}") and "LaTeX" in diag.message
    assert result.facts.tex_batched == 0
    assert not list((tmp_path / "dry" / "Tex").glob("mathreel-batch*"))


SLOW = """\
        for k in range(300):
            dots = VGroup(*[Dot(RIGHT * (i % 7) + UP * (k % 4)) for i in range(30)])
            busy = sum(i * i for i in range(60000))
            self.play(FadeIn(dots), run_time=0.5 + busy * 0)
"""


@pytest.mark.integration
def test_a_slow_correct_scene_is_slow_not_broken(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, SLOW, budget=5)
    (diag,) = result.diagnostics
    assert (diag.kind, diag.severity) == ("slow", "warning"), diag
    assert result.errors == () and not result.finished
    assert result.facts.plays >= 3, result.facts
    assert f"after play {result.facts.plays} (scene time" in diag.message
    assert "not necessarily broken" in diag.message and "loop" not in diag.message
    assert result.estimate == {}


@pytest.mark.integration
def test_a_stalled_scene_may_be_called_a_loop(tmp_path: Path) -> None:
    body = ("        self.play(Create(Dot()))\n"
            "        n = 0\n"
            "        while n >= 0:\n"
            "            n += 1\n"
            "        self.wait()\n")
    result, source = _run(tmp_path, body, budget=7)
    (diag,) = result.diagnostics
    assert (diag.kind, diag.severity) == ("endless-loop", "error"), diag
    assert diag.line in (_line_of(source, "while n"), _line_of(source, "n += 1"))
    assert "after play 1" in diag.message
    assert result.facts.construct_s is not None and 0 < result.facts.construct_s < 7


LOOP_SOURCE = "from manim import *\n\n\nclass Demo(Scene):\n    def construct(self):\n        while True:\n            pass\n"


def _timed_out(*, construct_s: float | None, last_progress_s: float, samples: int = 6) -> PreflightFacts:
    return PreflightFacts(plays=1, video_seconds=1.0, wall_s=7.0, construct_s=construct_s,
                          last_progress_s=last_progress_s, stalled_lines=(6,), stalled_samples=samples,
                          phase="building mobjects after play 1", line=6, recorded=True)


def test_a_slow_start_does_not_hide_a_loop() -> None:
    # A loaded machine: Python and Manim's import took 4 s of a 7 s budget; construct made
    # its last progress at 4.3 s and then stayed on one line. 2.7 s is most of the 3 s it ran.
    diag = timeout_diagnostic(_timed_out(construct_s=4.0, last_progress_s=4.3), 7, LOOP_SOURCE)
    assert (diag.kind, diag.line, diag.severity) == ("endless-loop", 6, "error"), diag


@pytest.mark.parametrize("facts", [
    _timed_out(construct_s=1.0, last_progress_s=4.0),             # progress half-way: slow, not stuck
    _timed_out(construct_s=4.0, last_progress_s=4.3, samples=2),  # too few samples to say
])
def test_a_timeout_without_a_measured_stall_is_slow(facts: PreflightFacts) -> None:
    diag = timeout_diagnostic(facts, 7, LOOP_SOURCE)
    assert (diag.kind, diag.severity) == ("slow", "warning"), diag


# -- a warm preflight: started before its scene is known (mathreel check FILE) ---------------------


def _warm(tmp_path: Path, budget: float = 60) -> WarmPreflight:
    return WarmPreflight(tmp_path / "warm", runner=CountingRunner(real_run), env=scrubbed_env(tmp_path / "home"),
                         budget=budget)


def _source(body: str) -> str:
    return f"from manim import *\nimport math\n\n\nclass {SCENE}(Scene):\n    def construct(self):\n{body}"


@pytest.mark.integration
def test_a_warm_preflight_reports_what_a_cold_one_does(tmp_path: Path) -> None:
    body = ("        self.play(Create(Circle()))\n"
            "        x = [1, 2][5]\n")
    warm = _warm(tmp_path)
    time.sleep(2)  # the child is up and waiting: nothing of the scene is there yet
    assert not (tmp_path / "warm" / "scene.py").exists()
    ran = warm.run(_source(body), SCENE)
    cold, source = _run(tmp_path, body)
    assert [(d.kind, d.line, d.message) for d in ran.diagnostics] == \
        [(d.kind, d.line, d.message) for d in cold.diagnostics]
    assert ran.diagnostics[0].line == _line_of(source, "[5]")
    assert ran.facts.plays == cold.facts.plays == 1


@pytest.mark.integration
def test_a_cancelled_warm_preflight_runs_nothing(tmp_path: Path) -> None:
    warm = _warm(tmp_path)
    warm.cancel()  # the child leaves as soon as it reads that, and is waited for
    (outcome,) = warm._outcome
    assert not warm._thread.is_alive() and outcome.completed.returncode == 0, outcome
    folder = tmp_path / "warm"
    assert not (folder / "scene.py").exists() and not (folder / "media").exists()
    assert not any((folder / "Tex").iterdir())
    warm.cancel()  # twice is harmless
    with pytest.raises(RuntimeError):
        warm.run(_source("        self.wait()\n"), SCENE)


@pytest.mark.integration
def test_a_warm_preflights_budget_counts_from_the_hand_over(tmp_path: Path) -> None:
    # each play follows about half a second of work: the plays finished count the scene's time
    body = ("        for k in range(60):\n"
            "            busy = sum(i * i for i in range(4_000_000))\n"
            "            self.play(FadeIn(Dot(RIGHT * (k % 5))), run_time=0.1 + busy * 0)\n")
    warm = _warm(tmp_path, budget=7)
    time.sleep(8)  # longer than the budget, before the scene is handed over
    result = warm.run(_source(body), SCENE)
    (diag,) = result.diagnostics
    # the scene ran for its budget and ran out of it: slow, not broken
    assert (diag.kind, diag.severity) == ("slow", "warning"), diag
    assert result.facts.timed_out and not result.finished
    assert result.facts.plays >= 4, result.facts


TEN_SECONDS = """\
        shapes = [Circle(), Square(), Triangle(), Star(), RegularPolygon(6)]
        for i, shape in enumerate(shapes):
            self.play(Create(shape.shift(LEFT * 4 + RIGHT * 2 * i)), run_time=1)
            self.play(shape.animate.rotate(PI / 3).set_color(YELLOW), run_time=1)
"""


@pytest.mark.integration
def test_preflight_costs_much_less_than_a_render(tmp_path: Path) -> None:
    result, source = _run(tmp_path, TEN_SECONDS)
    assert result.finished and result.facts.video_seconds == pytest.approx(10.0)
    work = tmp_path / "render"
    work.mkdir()
    (work / "scene.py").write_text(source, encoding="utf-8")
    (work / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n", encoding="utf-8")
    began = time.monotonic()
    done = run_manim(["render", "-ql", "--progress_bar", "none", "--media_dir", "media", "scene.py", SCENE],
                     work, runner=real_run, env=scrubbed_env(tmp_path / "home"), timeout=120).completed
    render_wall = time.monotonic() - began
    assert done.returncode == 0, done.stderr[-2000:]
    # Timing is printed, not asserted (bench/ owns speed goals).
    print(f"\npreflight {result.wall_s:.2f} s, -ql render {render_wall:.2f} s, "
          f"estimate -ql {result.estimate['l']:.2f} s, -qh {result.estimate['h']:.2f} s")


@pytest.mark.integration
def test_scenes_of_a_file_run_side_by_side_and_report_in_order(tmp_path: Path) -> None:
    """Chapters are preflighted `workers` at a time, each in its own process; the results keep
    the file's order, and an error names its own scene."""
    import threading

    from builder.checks.dryrun import preflight_scenes

    source = ("from manim import *\n\n\n"
              "class One(Scene):\n    def construct(self):\n        self.play(FadeIn(Dot()))\n\n\n"
              "class Two(Scene):\n    def construct(self):\n        self.play(FadeIn(Square(side=None * 2)))\n\n\n"
              "class Three(Scene):\n    def construct(self):\n        self.play(FadeIn(Circle()))\n")
    lock, in_flight, most = threading.Lock(), [0], [0]

    def overlapping(argv, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return real_run(argv, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    runs = preflight_scenes(source, scene_class="Three", runner=overlapping, workdir=tmp_path / "dry",
                            env=scrubbed_env(tmp_path / "home"), workers=2)
    assert [name for name, _ in runs.runs] == ["One", "Two", "Three"]
    assert [bool(run.errors) for _, run in runs.runs] == [False, True, False]
    (error,) = runs.errors
    assert error.line == _line_of(source, "side=None") and "NoneType" in error.message
    assert most[0] == 2, "two scenes ran at once"
    # the summary's wall time is the time the runs took together, not the sum of their own
    assert runs.summary()["wall_s"] < sum(run.wall_s for _, run in runs.runs)


@pytest.mark.integration
def test_the_builds_check_starts_its_preflight_early_and_publishes_the_formulas(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build's check of a model answer starts the preflight child before the static checks
    (Manim loads meanwhile) and hands the scene over after them. The formulas the child
    compiled go into the source's part of the gallery's TeX cache; a second check of the same
    source runs cold and reads them there."""
    import builder.checks
    from builder.checks import dryrun
    from builder.sandbox import bwrap_works
    from builder.spec import validate_text
    from builder.stages.generate import check_code
    from builder.video.render import tex_cache_for

    if not bwrap_works():
        pytest.skip("the early start needs bubblewrap (elsewhere the run starts after the checks)")
    concept, problems = validate_text(Path("concepts/pythagoras.yaml"),
                                      "title: Pythagoras\nprompt: Show it.\nanchors:\n"
                                      "  - label: Theorem\n    latex: 'a^2 + b^2 = c^2'\n")
    assert concept is not None, problems
    code = (f"from manim import *\n\n\nclass {concept.scene_class}(Scene):\n    def construct(self):\n"
            "        a = MathTex(r'a^2 + b^2 = c^2')\n"
            "        b = MathTex(r'e^{i\\pi} + 1 = 0').next_to(a, DOWN)\n"
            "        self.play(Write(a), Write(b))\n"
            "        for k in range(2):\n"
            "            self.add(MathTex(f'x_{k}').to_edge(UP))\n")
    seen: list[str] = []
    real = (dryrun.WarmPreflight.__init__, dryrun.WarmPreflight.run, dryrun.WarmPreflight.cancel,
            builder.checks.check_scene)

    def init(self: WarmPreflight, *args: object, **kwargs: object) -> None:
        seen.append("start")
        real[0](self, *args, **kwargs)  # type: ignore[arg-type]

    def run(self: WarmPreflight, *args: object, **kwargs: object) -> Preflight:
        seen.append("run")
        return real[1](self, *args, **kwargs)  # type: ignore[arg-type]

    def cancel(self: WarmPreflight) -> None:
        seen.append("cancel")
        real[2](self)

    def check_scene(*args: object, **kwargs: object) -> object:
        seen.append("static")
        return real[3](*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dryrun.WarmPreflight, "__init__", init)
    monkeypatch.setattr(dryrun.WarmPreflight, "run", run)
    monkeypatch.setattr(dryrun.WarmPreflight, "cancel", cancel)
    monkeypatch.setattr(builder.checks, "check_scene", check_scene)
    tex = tmp_path / "tex"
    facts: dict[str, object] = {}
    fixed, errors, _ = check_code(code, concept, runner=real_run, workdir=tmp_path / "one", tex_cache=tex,
                                  workers=2, facts=facts)
    assert errors == [] and seen == ["start", "static", "run", "cancel"]
    part = tex_cache_for(tex, fixed, trusted=False)
    published = sorted(p.name for p in part.glob("*.svg"))
    assert len(published) == 4, published  # two batched, two compiled by Manim as it ran
    assert facts["tex_batched"] == 2 and facts["tex_compiled"] == 2, facts

    seen.clear()
    facts.clear()
    check_code(code, concept, runner=real_run, workdir=tmp_path / "two", tex_cache=tex, workers=2, facts=facts)
    # the child is let go (the second cancel, after the run, does nothing): a cold run reads the cache
    assert seen[:3] == ["start", "static", "cancel"] and "run" not in seen, seen
    assert facts["tex_batched"] == 0 and facts["tex_compiled"] == 0, facts
    assert sorted(p.name for p in part.glob("*.svg")) == published
