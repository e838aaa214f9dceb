"""The sandbox fails closed, and its probe works where the interpreter is reached through links.

Model-written code never runs outside bubblewrap unless the user opted out in so many words;
scenes a person wrote still run with the weaker fallback, and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, make_project
from modelserver import ModelServer

from builder import sandbox
from builder.build import BuildOptions, build
from builder.sandbox import Policy, Probe, SandboxUnavailable

pytestmark = pytest.mark.integration

MODEL_SCENE = '''from manim import *


class EulerIdentityScene(Scene):
    def construct(self):
        self.play(Write(MathTex(r"e^{i\\pi} + 1 = 0")))
'''


@pytest.fixture
def broken_bwrap(monkeypatch: pytest.MonkeyPatch) -> Probe:
    """bubblewrap 'cannot start here', as in a container without user namespaces."""
    failed = Probe(False, "bubblewrap failed: bwrap: No permissions to creating new namespace "
                          "(forced by the test)\n    fix: enable user namespaces")
    monkeypatch.setattr(sandbox, "probe", lambda: failed)
    return failed


def _as_model_scene(root: Path, slug: str, scene_class: str) -> None:
    """Turn a concept's stored scene into a cached model answer (untrusted code)."""
    folder = root / "scenes" / slug
    folder.mkdir(parents=True, exist_ok=True)
    source = MODEL_SCENE.replace("EulerIdentityScene", scene_class)
    (folder / "scene.py").write_text(source, encoding="utf-8")
    (folder / "notes.md").write_text("Notes.\n", encoding="utf-8")
    from builder.keys import sha256_text

    (folder / "meta.json").write_text(json.dumps({
        "schema": 1, "slug": slug, "provenance": "model", "model": "test-model",
        "scene_class": scene_class, "scene_sha256": sha256_text(source),
        "notes_sha256": sha256_text("Notes.\n")}), encoding="utf-8")


def test_confine_refuses_untrusted_code_when_the_sandbox_cannot_start(broken_bwrap: Probe) -> None:
    with pytest.raises(SandboxUnavailable) as caught:
        sandbox.confine(["python", "scene.py"], Path("/nonexistent"))
    message = str(caught.value)
    assert "No permissions to creating new namespace" in message  # bubblewrap's own words
    assert "sandbox: off" in message and "--unsafe-no-sandbox" in message  # and the way out
    # A person's scene, or an explicit opt-out, runs unwrapped (and is labelled so).
    assert sandbox.confine(["python"], Path("/x"), trusted=True) == ["python"]
    assert sandbox.confine(["python"], Path("/x"), policy=Policy(unconfined_ok=True)) == ["python"]
    assert sandbox.confinement(trusted=True, policy=Policy()).startswith("weaker")
    assert sandbox.confinement(trusted=False, policy=Policy(unconfined_ok=True)).startswith("NONE")


def test_forced_probe_failure_refuses_model_scenes_and_publishes_hand_written(
        tmp_path: Path, broken_bwrap: Probe) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    _as_model_scene(root, "euler-identity", "EulerIdentityScene")
    report = build(root / "mkdocs.yml", BuildOptions(site=False))
    model = report.concepts["euler-identity"]
    assert model.status == "failed" and model.error_stage == "render"
    assert "refused to run" in (model.error or "")
    assert "sandbox: off" in (model.error or "")
    assert not list((root / ".cache" / "render").glob(f"{model.render_key}*"))
    # The template concept is the anchor template: a person's code, published with the weaker
    # confinement named in its record.
    template = report.concepts["geometric-series"]
    assert template.status == "built", template.error
    assert template.render is not None and template.render.sandbox.startswith("weaker")


def test_opting_out_runs_model_code_unconfined_and_says_so(tmp_path: Path, broken_bwrap: Probe) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    _as_model_scene(root, "euler-identity", "EulerIdentityScene")
    report = build(root / "mkdocs.yml", BuildOptions(only=("euler-identity",)),
                   overrides={"sandbox": False})
    item = report.concepts["euler-identity"]
    assert item.status == "built", item.error
    assert item.render is not None and item.render.sandbox.startswith("NONE")
    # The page's provenance card says so.
    page = (root / "site" / "concepts" / "euler-identity" / "index.html").read_text(encoding="utf-8")
    assert "<dt>Sandbox</dt> <dd>NONE: sandbox turned off by the user" in page


def test_no_model_call_is_paid_for_an_answer_that_could_not_run(
        tmp_path: Path, broken_bwrap: Probe, model_server: ModelServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATHREEL_BASE_URL", model_server.base_url)
    monkeypatch.setenv("MATHREEL_MODEL", "test-model")
    monkeypatch.setenv("MATHREEL_API_KEY", "sk-test")
    root = make_project(tmp_path / "gallery", "tiny", offline=False)
    report = build(root / "mkdocs.yml", BuildOptions(site=False, only=("euler-identity",)))
    assert model_server.request_count == 0
    item = report.concepts["euler-identity"]
    assert item.status == "failed" and "refused to run a model answer" in (item.error or "")


def test_sandbox_setting_reads_on_and_off(tmp_path: Path) -> None:
    from builder.errors import ConfigError
    from builder.settings import load_settings

    root = make_project(tmp_path / "gallery", "tiny")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "- mathreel:" in text
    for value, expected in (("off", False), ("on", True), ('"off"', False)):
        config.write_text(text.replace("- mathreel:", f"- mathreel:\n      sandbox: {value}"), "utf-8")
        assert load_settings(config)[0].sandbox is expected
    config.write_text(text.replace("- mathreel:", "- mathreel:\n      sandbox: maybe"), "utf-8")
    with pytest.raises(ConfigError, match="sandbox: off"):
        load_settings(config)


def test_a_project_with_a_linked_venv_renders_sandboxed(tmp_path: Path) -> None:
    """A copied project whose .venv is a symbolic link (the probe used to fail there)."""
    root = make_project(tmp_path / "gallery", "tiny")
    venv = Path(sys.prefix)
    assert (venv / "pyvenv.cfg").is_file(), "run the tests from the project's virtualenv"
    (root / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    python = root / ".venv" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "from builder.sandbox import probe; p = probe(); print(p.works, p.detail)"],
        cwd=root, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert probe.stdout.startswith("True"), probe.stdout + probe.stderr
    done = subprocess.run(
        [str(root / ".venv" / "bin" / "mathreel"), "build", "--no-site", "--only", "euler-identity",
         "--quiet"], cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((root / ".cache" / "build" / "report.json").read_text(encoding="utf-8"))
    assert report["concepts"]["euler-identity"]["render"]["sandbox"].startswith("bubblewrap")


# --- The host trusts nothing a scene leaves in its work folder ---------------------------------

HOST_SECRET = "host-secret-7d41"


@pytest.fixture
def hostile_work(tmp_path: Path) -> Path:
    """A work folder as a hostile scene could leave it: links, a FIFO, a hard link, a huge file."""
    secret = tmp_path / "host" / "secret.svg"
    secret.parent.mkdir()
    secret.write_text(f"<svg>{HOST_SECRET}</svg>", encoding="utf-8")
    work = tmp_path / "work"
    tex = work / "Tex"
    tex.mkdir(parents=True)
    (tex / "00000000000000aa.svg").write_text("<svg>a formula</svg>", encoding="utf-8")  # fine
    (tex / "00000000000000bb.svg").symlink_to(secret)                                      # link
    os.mkfifo(tex / "00000000000000cc.svg")                                                 # FIFO
    os.link(secret, tex / "00000000000000dd.svg")                                           # hard link
    with open(tex / "00000000000000ee.svg", "wb") as huge:                                  # huge
        huge.write(b"<svg>")
        huge.truncate(5 * 2**20)
    (tex / "not-a-hash.svg").write_text("<svg>odd name</svg>", encoding="utf-8")
    (work / "layout.json").symlink_to(tmp_path / "host" / "layout.json")
    (tmp_path / "host" / "layout.json").write_text(json.dumps([{"kind": HOST_SECRET}]), "utf-8")
    videos = work / "media" / "videos" / "scene" / "480p15"
    videos.mkdir(parents=True)
    (videos / "Scene.mp4").symlink_to(secret)
    return work


def test_only_regular_formula_files_cross_into_the_shared_tex_cache(hostile_work: Path,
                                                                   tmp_path: Path) -> None:
    from builder.video.render import publish_tex

    shared = tmp_path / "shared-tex"
    refused = publish_tex(hostile_work, hostile_work / "Tex", shared)
    assert sorted(p.name for p in shared.iterdir()) == ["00000000000000aa.svg"]
    assert refused == 4  # the link, the FIFO, the hard link and the huge file
    assert HOST_SECRET not in "".join(p.read_text(encoding="utf-8") for p in shared.iterdir())


def test_layout_json_through_a_link_is_not_read(hostile_work: Path) -> None:
    from builder.video.render import read_layout

    assert read_layout(hostile_work) == []
    (hostile_work / "layout.json").unlink()
    (hostile_work / "layout.json").write_text(json.dumps(
        [{"kind": "overlap", "names": ["A", 3], "boxes": [[0, 0, "x", 1]], "time": "soon"}, 7]), "utf-8")
    assert read_layout(hostile_work) == [
        {"kind": "overlap", "names": ["A", "3"], "boxes": [[0.0, 0.0, 1.0]], "time": 0.0, "count": 1}]


def test_a_linked_video_or_media_folder_is_not_taken(hostile_work: Path, tmp_path: Path) -> None:
    from builder.errors import RenderError
    from builder.video.render import render_job, take_video

    job = render_job("hostile", "", "Scene", "l")
    with pytest.raises(RenderError, match="rendered nothing"):
        take_video(job, hostile_work, tmp_path / "video.mp4")  # a link is not a video
    # A link higher up (media -> a host folder holding a real file) does not lead out either.
    host_media = tmp_path / "host-media" / "videos" / "scene" / "480p15"
    host_media.mkdir(parents=True)
    (host_media / "Scene.mp4").write_bytes(b"host video bytes")
    import shutil

    shutil.rmtree(hostile_work / "media")
    (hostile_work / "media").symlink_to(tmp_path / "host-media")
    with pytest.raises(RenderError, match="rendered nothing"):
        take_video(job, hostile_work, tmp_path / "video.mp4")
    assert not (tmp_path / "video.mp4").exists()


def test_read_untrusted_refuses_links_fifos_and_size(hostile_work: Path) -> None:
    from builder.fsutil import UntrustedFile, list_untrusted, read_untrusted

    assert read_untrusted(hostile_work, "Tex/00000000000000aa.svg", max_bytes=100) == b"<svg>a formula</svg>"
    for name, why in (("00000000000000bb.svg", "link"), ("00000000000000cc.svg", "regular"),
                      ("00000000000000dd.svg", "hard link"), ("00000000000000ee.svg", "limit")):
        with pytest.raises(UntrustedFile) as caught:
            read_untrusted(hostile_work, f"Tex/{name}", max_bytes=2**20)
        assert why in str(caught.value) or caught.value.errno in (40, 20), (name, caught.value)
    with pytest.raises(UntrustedFile):
        read_untrusted(hostile_work, "../host/secret.svg", max_bytes=2**20)
    listed = list_untrusted(hostile_work)
    assert "layout.json" not in listed and "Tex/00000000000000bb.svg" not in listed
    assert "Tex/00000000000000aa.svg" in listed


FORMULA_SCENE = '''from manim import *


class FormulaScene(Scene):
    def construct(self):
        self.add(MathTex(r"y = 2").scale(3))
        self.wait({wait})
'''


def test_renders_read_formulas_from_the_shared_tex_cache_without_copying_it(tmp_path: Path) -> None:
    """A formula compiled once is read from the read-only shared cache, not compiled again
    (two trusted scenes: they share the cache's folder for trusted scenes)."""
    from PIL import Image

    from builder.video.media import ink
    from builder.video.render import render_job, render_scene

    shared = tmp_path / "tex"
    first = render_scene(render_job("formula", FORMULA_SCENE.format(wait=0.5), "FormulaScene", "l", trusted=True),
                         render_dir=tmp_path / "render", tex_dir=shared, timeout=120)
    svgs = sorted(shared.rglob("*.svg"))
    assert len(svgs) == 1, svgs  # the new formula was published back as a plain file
    # Swap the cached formula for a big filled block: a render that reuses the cache shows it.
    svgs[0].write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10" '
                       'viewBox="0 0 20 10"><path d="M0 0H20V10H0Z" fill="black"/></svg>', "utf-8")
    second = render_scene(render_job("formula", FORMULA_SCENE.format(wait=0.6), "FormulaScene", "l", trusted=True),
                          render_dir=tmp_path / "render", tex_dir=shared, timeout=120)
    with Image.open(first.poster) as a, Image.open(second.poster) as b:
        assert ink(b) > 3 * ink(a), (ink(a), ink(b))
    assert sorted(shared.rglob("*.svg")) == svgs  # nothing else written into the shared cache


BLOCK_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10" viewBox="0 0 20 10">'
             '<path d="M0 0H20V10H0Z" fill="black"/></svg>')


def test_what_a_scene_leaves_in_the_tex_cache_never_reaches_another_scene(tmp_path: Path) -> None:
    """A model's scene can leave anything under a formula's name in its Tex/ folder. What it
    publishes is read only by runs of the same source, never by another concept's render."""
    from PIL import Image

    from builder.video.media import ink
    from builder.video.render import render_job, render_scene, tex_cache_for

    clean = render_scene(render_job("clean", FORMULA_SCENE.format(wait=0.5), "FormulaScene", "l"),
                         render_dir=tmp_path / "render", tex_dir=tmp_path / "clean-tex", timeout=120)
    (name,) = [p.name for p in (tmp_path / "clean-tex").rglob("*.svg")]
    shared = tmp_path / "tex"
    forger = ("from manim import *\n\n\nclass Forger(Scene):\n    def construct(self):\n"
              f"        with open('Tex/{name}', 'w') as handle:\n"
              f"            handle.write({BLOCK_SVG!r})\n"
              "        self.add(Circle())\n        self.wait(0.5)\n")
    render_scene(render_job("forger", forger, "Forger", "l"), render_dir=tmp_path / "render",
                 tex_dir=shared, timeout=120)
    # the forgery went into the forger's own part of the cache, nowhere else
    assert [p.relative_to(shared) for p in shared.rglob("*.svg")] == [
        tex_cache_for(shared, forger, trusted=False).relative_to(shared) / name]
    # another concept's scene with the same formula
    victim = render_scene(render_job("victim", FORMULA_SCENE.format(wait=0.6), "FormulaScene", "l"),
                          render_dir=tmp_path / "render", tex_dir=shared, timeout=120)
    with Image.open(clean.poster) as a, Image.open(victim.poster) as b:
        assert abs(ink(b) - ink(a)) < 0.1 * ink(a), (ink(a), ink(b))


def test_the_probe_started_ahead_is_the_one_every_caller_gets(monkeypatch: pytest.MonkeyPatch) -> None:
    # `mathreel check` and `build` start the probe before their first run needs it; a caller
    # arriving meanwhile waits for that probe instead of starting bubblewrap a second time.
    import threading
    import time

    calls: list[Probe] = []
    started = threading.Event()

    def slow_probe() -> Probe:
        started.set()
        time.sleep(0.3)
        calls.append(Probe(True, ""))
        return calls[-1]

    monkeypatch.setattr(sandbox, "_probe", slow_probe)
    monkeypatch.setattr(sandbox, "_probed", [])
    sandbox.probe_ahead()
    assert started.wait(10)
    found = sandbox.probe()
    assert len(calls) == 1 and found is calls[0]
    sandbox.probe_ahead()  # answered: starts nothing
    assert sandbox.probe() is found and len(calls) == 1


def test_a_file_gone_while_the_work_folder_is_handed_over_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A warm preflight's thread hands its folder to the sandbox user while the host writes the
    # hand-over (handover.json.tmp, renamed into place): a file listed and then gone is skipped.
    (tmp_path / "handover.json.tmp").write_text("{}", encoding="utf-8")
    (tmp_path / "scene.py").write_text("", encoding="utf-8")
    handed: list[str] = []
    real_chown = os.chown

    def chown(path: Path, uid: int, gid: int, *, follow_symlinks: bool = True) -> None:
        if Path(path).name == "handover.json.tmp":
            raise FileNotFoundError(2, "No such file or directory", str(path))
        handed.append(Path(path).name)
        real_chown(path, os.getuid(), os.getgid(), follow_symlinks=follow_symlinks)

    monkeypatch.setattr(sandbox, "probe", lambda: Probe(True, ""))
    monkeypatch.setattr(sandbox, "drops_to_nobody", lambda: True)
    monkeypatch.setattr(sandbox.os, "chown", chown)
    sandbox.prepare_workdir(tmp_path)
    assert sorted(handed) == sorted([tmp_path.name, "scene.py"])
