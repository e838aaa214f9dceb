"""The command line: help for every command, `new`, invalid specs, status and doctor."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builder.cli import TerminalProgress, main

COMMANDS = ("new", "build", "serve", "status", "doctor")


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_help_is_fast_and_lists_commands(tmp_path: Path) -> None:
    started = time.monotonic()
    done = _run(["--help"], tmp_path)
    assert done.returncode == 0
    for name in COMMANDS:
        assert name in done.stdout
    # --help must not import manim, mkdocs or openai
    probe = subprocess.run([sys.executable, "-c",
                            "import sys, builder.cli; builder.cli.make_parser();"
                            "print(sorted(m for m in ('manim','mkdocs','openai') if m in sys.modules))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: mathreel " + command in capsys.readouterr().out


def test_new_writes_a_valid_commented_spec(project: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["new", "Fourier series"]) == 0
    path = project / "concepts" / "fourier-series.yaml"
    text = path.read_text()
    assert text.startswith("# A mathreel concept")
    assert 'title: "Fourier series"' in text
    assert main(["new", "Fourier series"]) == 1
    assert "already exists" in capsys.readouterr().err
    from builder.spec import load_concepts

    slugs = {c.slug for c in load_concepts(project / "concepts")}
    assert "fourier-series" in slugs


def test_invalid_spec_stops_everything_before_any_write(project: Path) -> None:
    (project / "concepts" / "bad.yaml").write_text("title: Bad\nprompt: x\nanchors: []\nsumary: y\n")
    scenes_before = sorted(p.relative_to(project) for p in (project / "scenes").rglob("*"))
    done = _run(["build", "--no-site"], project)
    assert done.returncode == 1
    assert "concepts/bad.yaml:3: 'anchors' is empty" in done.stderr
    assert "concepts/bad.yaml:4: unknown key 'sumary' (did you mean 'summary'?)" in done.stderr
    assert "fix:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".cache").exists()
    assert not (project / "site").exists()
    assert sorted(p.relative_to(project) for p in (project / "scenes").rglob("*")) == scenes_before


def test_unknown_only_slug_is_an_error(project: Path) -> None:
    done = _run(["build", "--only", "nope", "--no-site"], project)
    assert done.returncode == 1
    assert "no concept named nope" in done.stderr


def test_status_lists_every_concept(project: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    for slug in ("euler-identity", "geometric-series", "broken-scene"):
        assert slug in out
    assert "not built" in out
    assert "hand-written" in out


def test_doctor_checks_the_tools(project: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    code = main(["doctor"])
    out = capsys.readouterr().out
    for name in ("manim", "latex", "dvisvgm", "pdflatex", "pandoc", "katex", "sandbox", "api mirror", "model"):
        assert f"] {name}:" in out
    assert code == 0, out


def test_outside_a_project_says_where_to_run(tmp_path: Path) -> None:
    done = _run(["build"], tmp_path)
    assert done.returncode == 1
    assert "no mkdocs.yml" in done.stderr


def test_environment_overrides_reach_the_plugin(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mathreel serve -q l` hands its options to the server's rebuilds through the environment."""
    from builder.settings import env_for, load_settings

    env = env_for({"quality": "l", "jobs": 3, "offline": True, "sandbox": None})
    assert env == {"MATHREEL_QUALITY": "l", "MATHREEL_JOBS": "3", "MATHREEL_OFFLINE": "1"}
    settings, _ = load_settings(project / "mkdocs.yml", env=env)
    assert (settings.quality, settings.jobs, settings.offline) == ("l", 3, True)
    settings, _ = load_settings(project / "mkdocs.yml", env={"MATHREEL_QUALITY": "x", "MATHREEL_JOBS": "many"})
    assert (settings.quality, settings.jobs) == ("l", 0)  # the project's mkdocs.yml says quality: l
    monkeypatch.setenv("MATHREEL_QUALITY", "h")
    _, config = load_settings(project / "mkdocs.yml")
    plugin = config.plugins["mathreel"]
    assert plugin.settings(config).quality == "h"


# -- the terminal progress ------------------------------------------------------------------------


@dataclass
class Event:
    kind: str
    elapsed_s: float = 1.5
    tokens: int = 42
    reasoning_delta: str = ""
    message: str = ""


def _drive(progress: TerminalProgress) -> None:
    with progress:
        progress.stage("generate", 1)
        progress.model("euler", Event("request"))
        progress.model("euler", Event("reasoning", reasoning_delta="think about e^{i pi}"))
        progress.model("euler", Event("content", tokens=99))
        progress.model("euler", Event("done", message="stop"))
        progress.item("generate", "euler", "done", "new spec")
        progress.item("generate", "euler", "finished")
        progress.stage("render", 2)
        progress.item("render", "euler", "start", "new (cairo)")
        progress.item("render", "euler", "warn", "text off-frame [x]")
        progress.item("render", "broken", "failed", "NameError: Circel")
        progress.item("render", "euler", "finished")
        progress.item("render", "broken", "finished")


def test_progress_off_a_terminal_is_plain_lines() -> None:
    out = io.StringIO()
    _drive(TerminalProgress(stream=out, tty=False))
    text = out.getvalue()
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "== generate (1)"
    assert "generate euler: " in lines[1] and "tokens" in lines[1]
    assert "== render (2)" in lines
    assert any(ln.endswith("render   broken                       failed  NameError: Circel") for ln in lines)
    assert any("warn    text off-frame [x]" in ln for ln in lines)
    assert "think about" not in text  # the reasoning streams only on a terminal


def test_quiet_progress_shows_only_failures_and_warnings() -> None:
    for tty in (False, True):
        out = io.StringIO()
        _drive(TerminalProgress(quiet=True, stream=out, tty=tty))
        text = out.getvalue()
        assert "NameError: Circel" in text and "text off-frame [x]" in text
        assert "new (cairo)" not in text and "==" not in text and "tokens" not in text
        assert "━" not in text  # no bar


def test_progress_on_a_terminal_has_bars_and_colour() -> None:
    out = io.StringIO()
    progress = TerminalProgress(stream=out, tty=True)
    _drive(progress)
    text = out.getvalue()
    assert "\x1b[" in text  # coloured
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "broken" in plain and "failed" in plain and "NameError: Circel" in plain
    assert "text off-frame [x]" in plain  # slugs and details are never read as markup
    assert "1/1" in plain and "2/2" in plain  # one bar per stage, done/total
    assert "tokens" in plain
    assert progress.bars is not None and not progress.bars.live.is_started


# -- mathreel check: linter conventions ------------------------------------------------------------

HEAD = "from manim import *\n\n\n"
CLEAN = HEAD + "class Demo(Scene):\n    def construct(self):\n        self.play(Create(Circle()))\n"
FIXABLE = HEAD + "class Demo(Scene):\n    def construct(self):\n        self.play(ShowCreation(Circle()))\n"
UNFIXABLE = HEAD + "class Demo(Scene):\n    def build(self):\n        self.play(Create(Circle()))\n"
# a fixable old name on line 6 and an unknown keyword (not fixable) on line 7
MIXED = FIXABLE + "        self.play(Create(Square(), bogus_kw=3))\n"


def check_file(tmp_path: Path, source: str, *flags: str,
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    path = tmp_path / "scene.py"
    path.write_text(source, encoding="utf-8")
    code = main(["check", str(path), "--no-latex", *flags])
    return code, capsys.readouterr().out, path


def test_check_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, path = check_file(tmp_path, CLEAN, "--static", capsys=capsys)
    assert code == 0, out
    assert out.strip() == f"{path}: all checks passed."


def test_check_fixable_only_exits_1_and_writes_nothing(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, path = check_file(tmp_path, FIXABLE, "--static", capsys=capsys)
    assert code == 1
    assert f"{path}:6: [api/old-api] ShowCreation" in out
    assert out.splitlines()[0].endswith("[*]")
    assert out.splitlines()[-1] == "Found 1 problem (1 fixable with --fix)."
    assert path.read_text() == FIXABLE


def test_check_unfixable_exits_1_with_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check_file(tmp_path, UNFIXABLE, "--static", capsys=capsys)
    assert code == 1
    assert "scene.py:4: [contract/no-construct] class Demo has no `construct(self)`" in out
    assert "Found 1 problem (0 fixable with --fix)." in out
    code, out, path = check_file(tmp_path, UNFIXABLE, "--static", "--fix", capsys=capsys)
    assert code == 1 and path.read_text() == UNFIXABLE
    assert "Found 1 problem (0 fixed, 1 remaining)." in out


def test_check_fix_leaving_nothing_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, path = check_file(tmp_path, FIXABLE, "--static", "--fix", capsys=capsys)
    assert code == 0, out
    assert f"{path}:6: fixed: [api/old-api]" in out
    assert "Found 1 problem (1 fixed, 0 remaining)." in out
    assert path.read_text() == CLEAN
    assert main(["check", str(path), "--no-latex", "--static"]) == 0


def test_check_fix_leaving_something_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, path = check_file(tmp_path, MIXED, "--static", "--fix", capsys=capsys)
    assert code == 1
    assert "Create(Circle())" in path.read_text() and "ShowCreation" not in path.read_text()
    assert f"{path}:7: [api/bad-kwarg]" in out
    assert "Found 2 problems (1 fixed, 1 remaining)." in out


def test_check_reports_lines_of_the_file_on_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fix adds an import line; without --fix the remaining problem keeps its line in the file."""
    source = MIXED.removeprefix(HEAD)
    code, out, path = check_file(tmp_path, source, "--static", "--scene-class", "Demo", capsys=capsys)
    assert code == 1
    assert f"{path}:1: [api/missing-import]" in out
    assert f"{path}:4: [api/bad-kwarg]" in out
    assert "Found 3 problems (2 fixable with --fix)." in out


def test_check_diff_shows_the_rewrites_without_writing(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, path = check_file(tmp_path, MIXED, "--diff", capsys=capsys)
    assert code == 1
    assert out.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert "\n-        self.play(ShowCreation(Circle()))\n+        self.play(Create(Circle()))\n" in out
    assert "bogus_kw" not in [ln for ln in out.splitlines() if ln[:1] in "+-"]
    assert path.read_text() == MIXED
    code, out, _ = check_file(tmp_path, CLEAN, "--diff", capsys=capsys)
    assert code == 0 and out == ""


def test_check_accepts_chapters_and_the_old_dry_run_flag(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    story = HEAD + "".join(f"class Scene{i}(Scene):\n    def construct(self):\n        self.wait()\n\n\n"
                           for i in (1, 2, 3))
    code, out, _ = check_file(tmp_path, story, "--static", "--dry-run", capsys=capsys)
    assert code == 0, out
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "--dry-run" not in capsys.readouterr().out


def test_check_runs_the_scene_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An error only running the scene finds: the static steps pass, the default check fails on its line."""
    source = HEAD + ("class Demo(Scene):\n    def construct(self):\n        sizes = [1, 2]\n"
                     "        self.add(Circle(radius=sizes[5]))\n")
    code, out, _ = check_file(tmp_path, source, "--static", capsys=capsys)
    assert code == 0, out
    code, out, path = check_file(tmp_path, source, capsys=capsys)
    assert code == 1
    assert f"{path}:7: [dryrun/" in out and "IndexError" in out


def test_check_runs_the_scene_only_once_nothing_needs_a_fix(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A file that still needs a fix is not run (the run would be of a scene that is not on disk);
    `--fix` applies the fixes and runs the fixed scene, which finds the run-time error."""
    source = FIXABLE + "        sizes = [1, 2]\n        self.add(Circle(radius=sizes[5]))\n"
    code, out, path = check_file(tmp_path, source, capsys=capsys)
    assert code == 1
    assert f"{path}:6: [api/old-api]" in out and "[dryrun/" not in out
    assert f"{path}: the scene was not run: `--fix` applies the fixes above and runs it" in out
    assert out.splitlines()[-1] == "Found 1 problem (1 fixable with --fix)."
    code, out, path = check_file(tmp_path, source, "--fix", capsys=capsys)
    assert code == 1
    assert f"{path}:8: [dryrun/" in out and "IndexError" in out
    assert "not run" not in out


def test_check_starts_the_run_early_and_hands_over_only_what_passed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The preflight child of `check FILE` starts once the steps before the LaTeX compile passed
    (it loads Manim while the formulas compile); a scene refused sooner never starts one."""
    from builder.checks import dryrun
    from builder.sandbox import bwrap_works

    if not bwrap_works():
        pytest.skip("the early start needs bubblewrap (elsewhere the run starts after the checks)")
    seen: list[str] = []
    real_init = dryrun.WarmPreflight.__init__
    real_run, real_cancel = dryrun.WarmPreflight.run, dryrun.WarmPreflight.cancel

    def init(self: dryrun.WarmPreflight, *args: Any, **kwargs: Any) -> None:
        seen.append("start")
        real_init(self, *args, **kwargs)

    def run(self: dryrun.WarmPreflight, source: str, scene_class: str, **kwargs: Any) -> dryrun.Preflight:
        seen.append(f"run {scene_class}")
        return real_run(self, source, scene_class, **kwargs)

    def cancel(self: dryrun.WarmPreflight) -> None:
        seen.append("cancel")
        real_cancel(self)

    monkeypatch.setattr(dryrun.WarmPreflight, "__init__", init)
    monkeypatch.setattr(dryrun.WarmPreflight, "run", run)
    monkeypatch.setattr(dryrun.WarmPreflight, "cancel", cancel)
    hostile = HEAD + "import os\n\n\nclass Demo(Scene):\n    def construct(self):\n        os.system('id')\n"
    code, out, _ = check_file(tmp_path, hostile, capsys=capsys)
    assert code == 1 and "[safety/" in out
    assert seen == []
    source = HEAD + ("class Demo(Scene):\n    def construct(self):\n        sizes = [1, 2]\n"
                     "        self.add(Circle(radius=sizes[5]))\n")
    code, out, path = check_file(tmp_path, source, capsys=capsys)
    assert code == 1 and f"{path}:7: [dryrun/" in out and "IndexError" in out
    assert seen == ["start", "run Demo", "cancel"]  # the cancel after a run does nothing


def test_check_pairs_two_fixes_on_one_line_with_their_own_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = tmp_path / "two.py"
    scene.write_text("from manim import *\n\n\nclass Two(Scene):\n    def construct(self):\n"
                     "        s = Square()\n"
                     "        self.play(ShowCreation(s), FadeInFromDown(Circle()))\n", encoding="utf-8")
    assert main(["check", str(scene), "--static", "--no-latex"]) == 1
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ":7:" in ln]
    assert len(lines) == 2, lines
    for line in lines:
        reported = line.split("]", 1)[1].split(" does not exist", 1)[0].strip()
        fix = line.rsplit("(", 1)[1]
        assert fix.startswith(reported + " ->"), line  # each problem with its own rewrite


def test_the_model_stream_shows_as_the_generate_bar_note() -> None:
    progress = TerminalProgress(stream=io.StringIO(), tty=True)
    with progress:
        progress.stage("generate", 2)
        assert progress.bars is not None
        note = lambda: progress.bars.tasks[0].fields["note"]  # noqa: E731
        progress.model("euler", Event("request"))
        progress.model("euler", Event("reasoning", reasoning_delta="think\nabout e"))
        assert note().startswith("euler:   1.5 s, 42 tokens") and note().endswith("think about e")
        progress.model("geo", Event("request"))
        progress.model("geo", Event("content", tokens=7))
        assert note() == "geo:   1.5 s, 7 tokens  (+1 streaming)"
        progress.model("geo", Event("done"))
        progress.model("euler", Event("done"))
        assert note() == ""


def test_check_of_a_concept_uses_the_gallerys_tex_cache(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """`check SLUG` runs as the build runs, formulas from and into the gallery's TeX cache; a file
    is checked cold, touching no gallery."""
    from builder.spec import load_concepts

    concept = next(c for c in load_concepts(project / "concepts") if c.slug == "euler-identity")
    scene = project / "scenes" / "euler-identity" / "scene.py"
    scene.parent.mkdir(parents=True)
    scene.write_text(HEAD + f"class {concept.scene_class}(Scene):\n    def construct(self):\n"
                     "        self.add(MathTex(r'e^{i\\pi} + 1 = 0').shift(UP),\n"
                     "                 MathTex(r'e^{i\\theta} = \\cos\\theta + i\\sin\\theta').shift(DOWN))\n",
                     encoding="utf-8")
    monkeypatch.chdir(project)
    tex = project / ".cache" / "tex"
    assert main(["check", "euler-identity"]) == 0, capsys.readouterr().out
    assert len(list(tex.rglob("*.svg"))) == 2
    for svg in tex.rglob("*.svg"):
        svg.unlink()
    assert main(["check", str(scene)]) == 0, capsys.readouterr().out
    assert list(tex.rglob("*.svg")) == []


def test_the_console_script_freezes_the_collector_as_it_ends(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # Interpreter shutdown would otherwise walk every cycle Manim and the rest left behind.
    import gc

    from builder.cli import entry

    monkeypatch.setattr(sys, "argv", ["mathreel"])
    gc.unfreeze()
    try:
        assert entry() == 2  # no command: help, exit status 2, as main gives
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert "build" in capsys.readouterr().out
