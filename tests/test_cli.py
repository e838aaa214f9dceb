"""The command line: help for every command, `new`, invalid specs, status and doctor."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.cli import main

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
    for name in ("manim", "latex", "dvisvgm", "pdflatex", "pandoc", "katex", "sandbox", "model"):
        assert f"] {name}:" in out
    assert code == 0, out


def test_outside_a_project_says_where_to_run(tmp_path: Path) -> None:
    done = _run(["build"], tmp_path)
    assert done.returncode == 1
    assert "no mkdocs.yml" in done.stderr


def test_environment_overrides_reach_the_plugin(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mathreel serve -q l` hands its options to the server's rebuilds through the environment."""
    from builder.settings import env_overrides, load_settings

    assert env_overrides({"MATHREEL_QUALITY": "l", "MATHREEL_JOBS": "3", "MATHREEL_OFFLINE": "1"}) == {
        "quality": "l", "jobs": 3, "offline": True}
    assert env_overrides({"MATHREEL_QUALITY": "x", "MATHREEL_JOBS": "many"}) == {}
    monkeypatch.setenv("MATHREEL_QUALITY", "h")
    _, config = load_settings(project / "mkdocs.yml")
    plugin = config.plugins["mathreel"]
    assert plugin.settings(config).quality == "h"
