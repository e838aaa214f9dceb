"""Faults and interruptions: nothing half-written is ever published, and nothing is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_project

from builder.errors import LockError
from builder.fsutil import atomic_write_text, project_lock, staging_dir
from builder.notes import cached_notes
from builder.render import cached_render

KILLS = 20


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _published(cache: Path) -> tuple[list[Path], list[Path]]:
    """(complete entries, incomplete entries) among the published (non-hidden) cache folders."""
    good, bad = [], []
    for stage, check in (("render", cached_render), ("notes", cached_notes)):
        folder = cache / stage
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.startswith("."):
                continue  # a staging folder: never read, swept by the next build
            (good if check(folder, entry.name) is not None else bad).append(entry)
    return good, bad


@pytest.mark.integration
def test_sigkill_at_random_points_never_publishes_partial_entries(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    rng = random.Random(20261126)
    spec = root / "concepts" / "geometric-series.yaml"
    original = spec.read_text()
    kills = 0
    for round_number in range(KILLS):
        if round_number % 4 == 0:  # new work now and then, so kills land inside renders
            spec.write_text(original.replace("r^n", f"r^{{n+{round_number}}}"))
        proc = subprocess.Popen([sys.executable, "-m", "builder", "build", "--no-site", "--quiet"],
                                cwd=root, env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 6.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        _, bad = _published(root / ".cache")
        assert bad == [], f"round {round_number}: partial entries published: {bad}"
        for scene in (root / "scenes").rglob("*"):
            assert not scene.name.endswith(".tmp"), f"half-written scene file left: {scene}"
    assert kills >= KILLS // 2, "most rounds must really interrupt a build"

    # The next build finishes and redoes only what was unfinished.
    good_before, _ = _published(root / ".cache")
    done = subprocess.run([sys.executable, "-m", "builder", "build", "--no-site"], cwd=root,
                          env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((root / ".cache/build/report.json").read_text())
    for item in report["concepts"].values():
        assert item["status"] in ("built", "cached")
        render_dir = root / ".cache/render" / item["render_key"]
        if render_dir in good_before:
            assert not any(r.startswith("render:") for r in item["redone"])
    assert not [p for p in (root / ".cache").rglob("*.partial")], "leftovers are swept"


def test_second_build_refuses_while_one_runs(tmp_path: Path) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    with project_lock(root / ".cache" / "build.lock"):
        done = subprocess.run([sys.executable, "-m", "builder", "build", "--no-site"], cwd=root,
                              env=_env(), capture_output=True, text=True, timeout=120)
        with pytest.raises(LockError, match="another mathreel build is running"), \
                project_lock(root / ".cache" / "build.lock"):
            pass
    assert done.returncode == 1
    assert "another mathreel build is running" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (root / "scenes").exists() or not list((root / "scenes").iterdir())


def test_failed_stage_leaves_previous_entry_intact(tmp_path: Path) -> None:
    final = tmp_path / "render" / "key"
    with staging_dir(final) as stage:
        (stage / "video.mp4").write_bytes(b"good")
    with pytest.raises(RuntimeError), staging_dir(final) as stage:
        (stage / "video.mp4").write_bytes(b"half")
        raise RuntimeError("disk full")
    assert (final / "video.mp4").read_bytes() == b"good"
    assert [p.name for p in final.parent.iterdir()] == ["key"]


def test_disk_full_during_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "scene.py"
    atomic_write_text(target, "old")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(target, "new and longer")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["scene.py"]


def test_corrupt_cache_entry_is_a_miss_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    entry = tmp_path / "render" / "abc"
    entry.mkdir(parents=True)
    (entry / "render.json").write_text("{truncated")
    assert cached_render(tmp_path / "render", "abc") is None
    assert "ignoring unreadable" in caplog.text
