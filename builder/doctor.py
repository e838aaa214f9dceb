"""`mathreel doctor`: check every tool a build needs, and say how to fix what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from builder.errors import MathreelError


@dataclass(frozen=True)
class Check:
    """One finding: ok, warn or fail, with the fix when it fails."""

    name: str
    level: str
    detail: str
    fix: str = ""


def _version(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else ""


def _tool(name: str, argv: list[str], fix: str) -> Check:
    if shutil.which(argv[0]) is None:
        return Check(name, "fail", f"{argv[0]} not found on PATH", fix)
    version = _version(argv)
    return Check(name, "ok" if version is not None else "fail", version or "did not run", fix)


def run_checks(config_file: Path | None) -> list[Check]:
    """All checks, in the order a build needs them."""
    from builder.video.render import manim_version

    apt = "run `make site` (or apt-get install the packages in scripts/setup-system.sh)"
    checks = []
    version = manim_version()
    checks.append(Check("manim", "ok" if version != "not-installed" else "fail",
                        f"Manim Community {version}", "pip install -e . (make site does it)"))
    checks.append(_tool("latex", ["latex", "--version"], apt))
    checks.append(_tool("dvisvgm", ["dvisvgm", "--version"], apt))
    checks.append(_tool("pdflatex", ["pdflatex", "--version"], apt))
    checks.append(_tool("pandoc", ["pandoc", "--version"], apt))
    katex = Path(__file__).resolve().parent.parent / "site_overrides" / "assets" / "katex" / "katex.min.js"
    if config_file is not None:
        katex = config_file.parent / "site_overrides" / "assets" / "katex" / "katex.min.js"
    checks.append(Check("katex", "ok" if katex.is_file() else "fail",
                        "served from the site" if katex.is_file() else f"{katex} missing",
                        "bash scripts/setup-assets.sh (make site does it)"))
    from builder.sandbox import bwrap_works, describe

    checks.append(Check("sandbox", "ok" if bwrap_works() else "warn", describe(),
                        "apt-get install bubblewrap"))
    from builder.video import xserver

    checks.append(Check("opengl", "ok" if (xserver.available() or os.environ.get("DISPLAY")) else "warn",
                        xserver.describe(), "apt-get install xvfb libgl1-mesa-dri"))
    checks.append(_mirror_check())
    checks.append(_model_check(config_file))
    return checks


def _mirror_check() -> Check:
    """The API mirror the static checks read instead of importing Manim (builder/checks/world.py)."""
    from builder.checks import world

    path = world.mirror_path()
    if path is None:
        return Check("api mirror", "warn", "no cache folder: the checks import Manim each time",
                     "make ~/.cache (or $XDG_CACHE_HOME) writable")
    if path.is_file():
        return Check("api mirror", "ok", f"recorded for this installation: {path}")
    return Check("api mirror", "ok", "not recorded yet: the first check records it (about 2 s, once)")


def _model_check(config_file: Path | None) -> Check:
    if config_file is None:
        return Check("model", "warn", "no mkdocs.yml found: cannot read the model settings")
    try:
        from builder.settings import load_settings

        settings, _ = load_settings(config_file)
    except MathreelError as exc:
        return Check("config", "fail", str(exc), "fix mkdocs.yml")
    if settings.offline:
        return Check("model", "ok", "offline: the anchor template stands in for the model")
    try:
        from builder.model.providers import model_available, resolve_model
    except ImportError:
        return Check("model", "warn", "model generation is not available in this version")
    try:
        model = resolve_model(settings.model, env=os.environ)
    except MathreelError as exc:
        return Check("model", "fail", str(exc), "fix `model:` under the mathreel plugin in mkdocs.yml")
    if model_available(model, os.environ):
        return Check("model", "ok", f"{model.model} at {model.endpoint_host()} (key found)")
    return Check("model", "warn", f"{model.model} at {model.endpoint_host()}: no key in "
                 f"${model.api_key_env}; builds use cached scenes and the anchor template")
