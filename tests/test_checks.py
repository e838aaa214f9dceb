"""The static check ladder over the broken-scene corpus, plus clean scenes, rewrites and dry runs."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder.checks import CheckResult, Diagnostic, check_scene, dry_run, format_diagnostics
from builder.checks.dryrun import parse_failure
from builder.checks.latex import tex_document, tex_strings
from builder.runner import Completed, CountingRunner, Limits
from builder.runner import run as real_run

CORPUS = Path(__file__).parent / "corpus" / "broken"
SCENE = "Demo"
_EXPECT = re.compile(r"^# expect: (.+)$", re.M)


@dataclass(frozen=True)
class Case:
    """One corpus file and the expectation its header declares."""

    path: Path
    step: str
    kind: str
    line: int
    fixable: bool
    #: what the preflight alone finds on the same line (for errors a static step finds first)
    preflight: str | None = None

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def load_corpus() -> list[Case]:
    """Every broken scene with its `# expect: step=... kind=... line=N fixable=yes|no` header
    (and `preflight=KIND` where the preflight run would find it too, had no static step)."""
    cases = []
    for path in sorted(CORPUS.glob("*.py")):
        header = _EXPECT.search(path.read_text(encoding="utf-8"))
        assert header, f"{path.name} has no '# expect:' header"
        fields = dict(re.findall(r"(\w+)=(\S+)", header.group(1)))
        cases.append(Case(path, fields["step"], fields["kind"], int(fields["line"]), fields["fixable"] == "yes",
                          fields.get("preflight")))
    return cases


CASES = load_corpus()
STATIC = [c for c in CASES if c.step != "dryrun"]
DRYRUN = [c for c in CASES if c.step == "dryrun"]
#: Run-time errors a static step finds first: the preflight must find them too, should the rule miss one.
SEEN_EARLY = [c for c in CASES if c.preflight]
FIXABLE = [c for c in STATIC if c.fixable]


def ids(cases: Sequence[Case]) -> list[str]:
    return [c.path.stem for c in cases]


def check(source: str, tmp_path: Path, *, fix: bool, runner: CountingRunner | None = None,
          anchors: Sequence[str] = ()) -> CheckResult:
    return check_scene(source, scene_class=SCENE, runner=runner or CountingRunner(), workdir=tmp_path,
                       fix=fix, anchors=anchors)


def scene_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not re.search(r"KEY|TOKEN|SECRET", k)}


# -- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", STATIC, ids=ids(STATIC))
def test_declared_step_catches_it(case: Case, tmp_path: Path) -> None:
    result = check(case.source, tmp_path, fix=False)
    assert not result.ok
    assert {d.step for d in result.errors} == {case.step}, format_diagnostics(result.diagnostics)
    hits = [d for d in result.errors if d.kind == case.kind and d.line == case.line]
    assert hits, f"expected {case.kind} on line {case.line}, got:\n{format_diagnostics(result.diagnostics)}"
    assert hits[0].fixable is case.fixable
    assert hits[0].message
    assert result.source == case.source and result.rewrites == ()


@pytest.mark.parametrize("case", FIXABLE, ids=ids(FIXABLE))
def test_fixable_scene_passes_after_the_fix(case: Case, tmp_path: Path) -> None:
    fixed = check(case.source, tmp_path, fix=True)
    assert fixed.ok, format_diagnostics(fixed.diagnostics)
    assert fixed.rewrites and fixed.source != case.source
    again = check(fixed.source, tmp_path, fix=False)
    assert again.ok, format_diagnostics(again.diagnostics)
    assert again.source == fixed.source


@pytest.mark.parametrize("case", STATIC, ids=ids(STATIC))
def test_only_what_every_step_passed_is_handed_on_before_the_latex_compile(case: Case, tmp_path: Path) -> None:
    # The build hands a model answer's scene to its render as soon as `on_safe` gets the source:
    # every step but the LaTeX compile passed it, and the safety step passed it as rewritten.
    from builder.checks.contract import check_contract
    from builder.checks.safety import iter_rejections
    from builder.pyast import parse_python

    handed: list[str] = []
    runner = CountingRunner()
    result = check_scene(case.source, scene_class=SCENE, runner=runner, workdir=tmp_path, fix=True,
                         on_safe=lambda source: handed.append(source) or runner.count("latex") == 0 or
                         pytest.fail("handed on after the LaTeX compile"))
    before_compile = {d.step for d in result.errors} & {"syntax", "safety", "contract", "api"}
    if before_compile or any(d.step == "latex" and d.kind != "latex-error" for d in result.errors):
        assert handed == [], "handed on although a step before the compile refused it"
    else:
        assert handed == [result.source]  # once, with every rewrite in it
    for source in handed:
        assert list(iter_rejections(source)) == []
        _, found, _ = check_contract(parse_python(source), source, scene_class=SCENE, fix=False)
        assert not [d for d in found if d.severity == "error"]


@pytest.mark.parametrize("case", [c for c in STATIC if not c.fixable],
                         ids=ids([c for c in STATIC if not c.fixable]))
def test_unfixable_scene_still_fails_with_fix(case: Case, tmp_path: Path) -> None:
    result = check(case.source, tmp_path, fix=True)
    assert not result.ok
    assert any(d.kind == case.kind for d in result.errors)


@pytest.mark.integration
@pytest.mark.parametrize("case", DRYRUN, ids=ids(DRYRUN))
def test_dry_run_catches_runtime_errors(case: Case, tmp_path: Path) -> None:
    static = check(case.source, tmp_path, fix=False)
    assert static.ok, format_diagnostics(static.diagnostics)
    diags = dry_run(static.source, scene_class=SCENE, runner=real_run, workdir=tmp_path / "dry", env=scene_env())
    assert len(diags) == 1, diags
    (diag,) = diags
    assert (diag.step, diag.kind, diag.line) == ("dryrun", case.kind, case.line), diag
    assert re.match(r"\w+(Error|Exception)", diag.message), diag.message
    assert diag.snippet and diag.snippet in case.source


@pytest.mark.integration
@pytest.mark.parametrize("case", SEEN_EARLY, ids=ids(SEEN_EARLY))
def test_the_preflight_finds_what_a_static_step_finds_first(case: Case, tmp_path: Path) -> None:
    diags = dry_run(case.source, scene_class=SCENE, runner=real_run, workdir=tmp_path / "dry", env=scene_env())
    assert [(d.step, d.kind, d.line) for d in diags] == [("dryrun", case.preflight, case.line)], diags
    assert re.match(r"\w+(Error|Exception)", diags[0].message), diags[0].message


# -- clean scenes ---------------------------------------------------------------------------------

GOOD = '''\
from manim import *
import numpy as np


class Demo(Scene):
    def construct(self):
        axes = Axes(x_range=[-3, 3, 1], y_range=[-1, 5, 1], x_length=6, y_length=4, tips=False)
        graph = axes.plot(lambda x: x**2, color=BLUE, x_range=[-2, 2])
        label = axes.get_graph_label(graph, label=r"x^2")
        title = Tex(r"The parabola $y = x^2$").to_edge(UP)
        eq = MathTex(r"\\int_0^1 x^2\\,dx", "=", r"\\frac{1}{3}").next_to(title, DOWN, buff=0.3)
        t = ValueTracker(0)
        dot = always_redraw(lambda: Dot(axes.c2p(t.get_value(), t.get_value() ** 2), color=YELLOW))
        arrow = Arrow(LEFT, RIGHT, buff=0, stroke_width=3)
        self.play(Create(axes), Write(title), run_time=1.5)
        self.play(Create(graph), FadeIn(label, shift=UP), GrowArrow(arrow))
        self.add(dot)
        self.play(t.animate.set_value(2), Write(eq), rate_func=smooth, run_time=2)
        self.wait(1)
        self.play(LaggedStart(*[FadeIn(Dot(axes.c2p(x, x * x))) for x in np.linspace(0, 1, 5)], lag_ratio=0.1))
'''

SMALL = '''\
from manim import *


class Demo(Scene):
    def construct(self):
        c = Circle(color=BLUE)
        self.play(Create(c), run_time=0.5)
        self.wait(0.2)
'''


def test_good_scene_passes_every_static_step_with_one_latex_run(tmp_path: Path) -> None:
    runner = CountingRunner()
    result = check(GOOD, tmp_path, fix=True, runner=runner)
    assert result.ok, format_diagnostics(result.diagnostics)
    assert result.diagnostics == () and result.rewrites == ()
    assert result.source == GOOD
    assert runner.count("latex") == 1
    assert len(runner.calls) == 1


def test_anchors_compile_in_the_same_batch(tmp_path: Path) -> None:
    runner = CountingRunner()
    result = check(GOOD, tmp_path, fix=True, runner=runner, anchors=[r"a^2 + b^2 = c^2", r"\sum_{k=1}^n k"])
    assert result.ok
    assert runner.count("latex") == 1


def test_bad_anchor_is_reported_without_a_line(tmp_path: Path) -> None:
    result = check(GOOD, tmp_path, fix=True, anchors=[r"e^{i\pi} + 1 = 0", r"\nosuchmacro{x}"])
    (diag,) = result.errors
    assert (diag.step, diag.kind, diag.line) == ("latex", "anchor-error", None)
    assert diag.snippet == r"\nosuchmacro{x}"
    assert r"\nosuchmacro" in diag.message


def test_no_latex_run_without_tex_strings_or_with_latex_off(tmp_path: Path) -> None:
    runner = CountingRunner()
    assert check(SMALL, tmp_path, fix=True, runner=runner).ok
    assert check_scene(GOOD, scene_class=SCENE, runner=runner, latex=False).ok
    assert runner.calls == []


def test_two_bad_strings_are_both_located(tmp_path: Path) -> None:
    source = SMALL + '        a = MathTex(r"x + 1")\n        b = MathTex(r"\\badone{x}")\n' \
                     '        c = Tex(r"fine")\n        d = MathTex(r"\\frac{1}")\n        self.add(a, b, c, d)\n'
    result = check(source, tmp_path, fix=True)
    errors = [(d.kind, d.line) for d in result.errors]
    assert errors == [("latex-error", 10), ("latex-error", 12)], format_diagnostics(result.diagnostics)
    assert r"\badone" in result.errors[0].message



def test_formulas_of_classes_imported_from_manim_submodules_are_compiled(tmp_path: Path) -> None:
    # Models often import MathTex from its submodule; it is still Manim's class, so its strings
    # are checked. A name the scene binds itself (`import ... as`, a def) stays the scene's own.
    body = '        a = MathTex(r"\\badone{x}")\n        self.add(a)\n'
    own = SMALL.replace("from manim import *", "from manim import *\n"
                        "from manim.mobject.text.tex_mobject import MathTex")
    result = check(own + body, tmp_path, fix=True)
    assert [(d.kind, d.line) for d in result.errors] == [("latex-error", 10)], format_diagnostics(result.diagnostics)
    shadowed = own.replace("import MathTex", "import Tex\n\n\ndef MathTex(*parts):\n    return Tex(*parts)\n")
    assert [i.label for i in tex_strings(shadowed + body)] == []

# -- rewrites -------------------------------------------------------------------------------------


def test_rewrites_are_recorded_and_keep_other_bytes(tmp_path: Path) -> None:
    source = SMALL.replace("Create(c)", "ShowCreation(c)").replace(
        "self.wait(0.2)", 'self.play(Write(TexMobject("\\frac{a}{b}")))  # keep   this  comment')
    result = check(source, tmp_path, fix=True)
    assert result.ok, format_diagnostics(result.diagnostics)
    assert result.rewrites == ("line 7: ShowCreation -> Create", "line 8: TexMobject -> MathTex",
                               "line 8: \\frac in a non-raw string -> made it a raw string")
    assert result.source == SMALL.replace(
        "self.wait(0.2)", 'self.play(Write(MathTex(r"\\frac{a}{b}")))  # keep   this  comment')


def test_fix_false_leaves_the_source_alone(tmp_path: Path) -> None:
    source = SMALL.replace("Create(c)", "ShowCreation(c)")
    result = check(source, tmp_path, fix=False)
    assert result.source == source and result.rewrites == ()
    (diag,) = result.errors
    assert (diag.kind, diag.line, diag.fixable) == ("old-api", 7, True)


def test_nonraw_string_with_real_escapes_doubles_backslashes(tmp_path: Path) -> None:
    source = SMALL.replace("self.wait(0.2)", 'self.add(MathTex("\\theta \\\\\\\\ \\frac{1}{2}"))')
    result = check(source, tmp_path, fix=True)
    assert result.ok, format_diagnostics(result.diagnostics)
    assert 'MathTex("\\\\theta \\\\\\\\ \\\\frac{1}{2}")' in result.source


def test_fade_in_from_rewrites_the_whole_call(tmp_path: Path) -> None:
    source = SMALL.replace("Create(c)", "FadeInFrom(c, LEFT)").replace(
        "self.wait(0.2)", "self.play(FadeOutAndShift(c, DOWN * 2))")
    result = check(source, tmp_path, fix=True)
    assert result.ok, format_diagnostics(result.diagnostics)
    assert "FadeIn(c, shift=-LEFT)" in result.source
    assert "FadeOut(c, shift=DOWN * 2)" in result.source


def test_camera_frame_rebases_the_scene(tmp_path: Path) -> None:
    source = SMALL.replace("self.wait(0.2)", "self.play(self.camera.frame.animate.scale(0.5))\n"
                           "        self.play(self.camera.frame.animate.scale(2))")
    result = check(source, tmp_path, fix=True)
    assert result.ok
    assert "class Demo(MovingCameraScene):" in result.source
    assert result.rewrites == ("line 4: class base Scene -> MovingCameraScene",)


def test_camera_frame_in_three_d_scene_is_not_fixable(tmp_path: Path) -> None:
    source = SMALL.replace("(Scene)", "(ThreeDScene)").replace("self.wait(0.2)", "f = self.camera.frame")
    (diag,) = check(source, tmp_path, fix=True).errors
    assert (diag.kind, diag.fixable) == ("camera-frame", False)


def test_unknown_kwarg_suggests_a_name(tmp_path: Path) -> None:
    source = SMALL.replace("Circle(color=BLUE)", "Circle(colour=BLUE)")
    (diag,) = check(source, tmp_path, fix=True).errors
    assert diag.kind == "bad-kwarg" and "did you mean color=" in diag.message


def test_method_kwargs_are_checked(tmp_path: Path) -> None:
    source = SMALL.replace("self.wait(0.2)", "c.next_to(ORIGIN, RIGHT, buf=0.2)")
    (diag,) = check(source, tmp_path, fix=True).errors
    assert (diag.kind, diag.line) == ("bad-kwarg", 8) and "buff" in diag.message


def test_safety_fails_closed_and_lint_fails_open(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builder.checks as checks

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(checks, "lint_api", boom)
    result = check(SMALL, tmp_path, fix=True)
    assert result.ok and [(d.step, d.severity) for d in result.diagnostics] == [("api", "warning")]
    monkeypatch.setattr(checks, "check_safety", boom)
    result = check(SMALL, tmp_path, fix=True)
    assert not result.ok and [(d.step, d.kind) for d in result.errors] == [("safety", "internal-error")]


# -- formatting and the LaTeX document ----------------------------------------------------------


def test_format_diagnostics() -> None:
    diags = [Diagnostic("api", "old-api", "ShowCreation does not exist in Manim 0.22: use Create", 7,
                        "self.play(ShowCreation(c))", True),
             Diagnostic("latex", "anchor-error", "LaTeX error in anchor: x", None, "", False, "warning")]
    assert format_diagnostics(diags) == (
        "line 7 [api] ShowCreation does not exist in Manim 0.22: use Create\n"
        "    self.play(ShowCreation(c))\n"
        "scene [latex warning] LaTeX error in anchor: x")


def test_tex_document_wraps_like_manim() -> None:
    items = tex_strings(GOOD)
    assert [i.label for i in items] == ["Tex", "MathTex"]
    assert items[1].text == r"\int_0^1 x^2\,dx = \frac{1}{3}"
    text, spans = tex_document(items)
    lines = text.splitlines()
    assert lines[0] == r"\documentclass[preview]{standalone}"
    assert r"\usepackage{amsmath}" in lines and r"\usepackage{amssymb}" in lines
    start, end = spans[1]
    assert lines[start - 1: end] == [r"\begingroup", r"\begin{align*}", items[1].text, r"\end{align*}",
                                     r"\endgroup", r"\clearpage"]
    assert r"\begin{center}" in text


# -- dry run plumbing (no subprocess) -----------------------------------------------------------


@dataclass
class FakeRunner:
    """Records the call and answers like a failing manim."""

    stderr: str
    seen: dict[str, object]

    def __call__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
                 timeout: float = 600.0, limits: Limits | None = None, check: bool = True) -> Completed:
        self.seen.update(argv=list(argv), cwd=cwd, env=dict(env or {}), check=check)
        return Completed(tuple(argv), 1, "Manim Community v0.22.0\n", self.stderr)


RICH_STDERR = """\
╭──────────── Traceback (most recent call last) ────────────╮
│ /x/manim/manager.py:193 in construct                       │
│ ❱ 193 │   │   self.scene.construct()                       │
│ /tmp/w/scene.py:9 in construct                             │
│ ❱ 9 │   │   c.get_nonexistent()                            │
│ /x/manim/mobject/mobject.py:895 in __getattr__             │
╰────────────────────────────────────────────────────────────╯
AttributeError: Circle object has no attribute 'nonexistent'
"""


def test_dry_run_command_config_and_mapping(tmp_path: Path) -> None:
    seen: dict[str, object] = {}
    source = SMALL + "        c.get_nonexistent()\n"
    (diag,) = dry_run(source, scene_class=SCENE, runner=FakeRunner(RICH_STDERR, seen), workdir=tmp_path,
                      env={"PATH": os.environ.get("PATH", "")}, timeout=30)
    argv = seen["argv"]
    assert isinstance(argv, list)
    from builder.sandbox import bwrap_works
    from builder.video.texformat import tex_format

    if bwrap_works():  # model code runs for the first time here: inside the sandbox
        assert argv[0] == "bwrap" and "--unshare-net" in argv
        argv = argv[argv.index(sys.executable):]
    # the preflight: the entry script in preflight mode, animations skipped to their ends (-s)
    assert argv[1:5] == ["layout_hook.py", "--mathreel-preflight", "render", "-s"]
    assert "--progress_bar" in argv and "-ql" in argv and argv[-2:] == ["scene.py", SCENE]
    # the caller's environment, with HOME and TMPDIR put in the work folder (as the sandbox sees it)
    home = "/scene/home" if bwrap_works() else str(tmp_path / "home")
    # and the host's format of Manim's preamble, read-only (builder/video/texformat.py)
    fmt = tex_format()
    formats = {} if fmt is None else {
        "MATHREEL_TEX_FORMAT": f"/texformat/{fmt.name}" if bwrap_works() else str(fmt.resolve())}
    assert seen["env"] == {"PATH": os.environ.get("PATH", ""), "COLUMNS": "200", "HOME": home,
                           "TMPDIR": f"{home}/tmp", **formats}
    cfg = (tmp_path / "manim.cfg").read_text()
    assert "[CLI]" in cfg and "notify_outdated_version = False" in cfg
    assert (tmp_path / "scene.py").read_text() == source
    assert (diag.step, diag.kind, diag.line) == ("dryrun", "runtime-error", 9)
    assert diag.message.startswith("AttributeError: Circle object has no attribute 'nonexistent'")
    assert diag.snippet == "c.get_nonexistent()"


def test_parse_failure_plain_traceback() -> None:
    stderr = ('Traceback (most recent call last):\n  File "/w/scene.py", line 7, in construct\n'
              "    x = 1 / 0\nZeroDivisionError: division by zero\n")
    diag = parse_failure("a\nb\nc\nd\ne\nf\n    x = 1 / 0\n", "", stderr, 1)
    assert (diag.line, diag.snippet) == (7, "x = 1 / 0")
    assert diag.message.startswith("ZeroDivisionError: division by zero")


@pytest.mark.integration
def test_dry_run_of_a_good_scene_is_clean(tmp_path: Path) -> None:
    assert dry_run(SMALL, scene_class=SCENE, runner=real_run, workdir=tmp_path, env=scene_env()) == ()


def test_keyword_arguments_of_classes_imported_from_manim_submodules_are_checked(tmp_path: Path) -> None:
    source = ("from manim import *\nfrom manim.mobject.geometry.line import Arrow\n\n\nclass Demo(Scene):\n"
              "    def construct(self):\n        self.add(Arrow(LEFT, RIGHT, width=3))\n")
    result = check(source, tmp_path, fix=True)
    assert [(d.step, d.kind, d.line) for d in result.errors] == [("api", "bad-kwarg", 7)]
    # the scene's own Arrow takes what it likes
    own = source.replace("class Demo", "def Arrow(*points, width=1):\n    return Line(*points)\n\n\nclass Demo")
    assert check(own, tmp_path, fix=True).ok


def test_batch_tex_calls_lists_what_is_known_before_the_scene_runs() -> None:
    from builder.checks.latex import batch_tex_calls

    source = '''from manim import *
from manim.mobject.text.tex_mobject import Tex


class Intro(Scene):
    def construct(self):
        self.add(Tex("Chapter one"))


class Demo(Scene):
    def construct(self):
        n = 3
        a = MathTex(r"x^2", "=", "y", substrings_to_isolate=["x"], color=BLUE)
        b = MathTex(rf"n = {n}")
        c = MathTex(r"z", tex_template=TexTemplate())
        d = MathTex(r"w", tex_to_color_map={"w": RED})
        e = MathTex(*["p", "q"])
        self.add(a, b, c, d, e, Axes(axis_config={"include_numbers": True}))
'''
    calls = batch_tex_calls(source, "Demo")
    own = [c for c in calls if c["args"][0] not in "0123456789-."]
    assert own == [
        {"class": "MathTex", "args": ["x^2", "=", "y"], "kwargs": {"substrings_to_isolate": ["x"]}},
        {"class": "MathTex", "args": ["w"], "kwargs": {"tex_to_color_map": {"w": "#FFFFFF"}}},
    ]
    # the axes' numbers: DecimalNumber typesets one MathTex per character
    assert {c["args"][0] for c in calls} - {c["args"][0] for c in own} == set("0123456789-.")
    # the other chapter's title is compiled by its own scene's preflight
    assert [c["args"] for c in batch_tex_calls(source, "Intro")] == [["Chapter one"]]
    assert len(batch_tex_calls(source.replace('"include_numbers": True', ""))) == 3


def test_the_builds_check_hands_the_source_on_once_with_the_rewrites_in_it(tmp_path: Path) -> None:
    # check_code (the build's check of a model answer) hands the source on before the LaTeX
    # compile, with the API step's rewrites already in it: the early render runs the final source.
    from builder.spec import validate_text
    from builder.stages.generate import check_code

    spec = "title: Demo\nprompt: Show it.\nanchors:\n  - label: One\n    latex: 'x = 1'\n"
    concept, problems = validate_text(Path("concepts/demo.yaml"), spec)
    assert concept is not None, problems
    source = (CORPUS / "api_show_creation.py").read_text(encoding="utf-8").replace(
        f"class {SCENE}(", f"class {concept.scene_class}(")
    handed: list[str] = []
    fixed, errors, rewrites = check_code(source, concept, runner=CountingRunner(), workdir=tmp_path,
                                         dry_run=False, on_static_pass=handed.append)
    assert errors == [] and rewrites and fixed != source
    assert handed == [fixed]


def test_a_rewrite_that_opens_a_hole_is_refused_and_never_handed_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A later step's rewrite goes through the safety step again, before the source is handed
    # on and at the end: a lint bug that wrote `import os` must not reach a render.
    import builder.checks

    real = builder.checks.lint_api

    def rewriting(tree: object, source: str, **kwargs: object) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
        source, diags, done = real(tree, source, **kwargs)  # type: ignore[arg-type]
        return "import os\n" + source, diags, (*done, "line 1: import os (a broken rewrite)")

    monkeypatch.setattr(builder.checks, "lint_api", rewriting)
    source = (CORPUS / "api_show_creation.py").read_text(encoding="utf-8")
    handed: list[str] = []
    result = check_scene(source, scene_class=SCENE, runner=CountingRunner(), workdir=tmp_path, fix=True,
                         on_safe=handed.append)
    assert handed == []
    assert not result.ok and {d.step for d in result.errors} == {"safety"}, format_diagnostics(result.diagnostics)
