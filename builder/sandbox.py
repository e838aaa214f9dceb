"""Confinement of model-written scene code: bubblewrap where it works, else a weaker fallback.

With `bwrap` a render sees a read-only view of only the system folders Manim,
Python and TeX need, its own work folder read-write, a private /tmp, no network,
its own PID namespace, and dies with the build. Without it, the render still gets
a scrubbed environment, resource limits and a process-group timeout (runner.py),
and the build log says the sandbox is weaker.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

#: System folders a render needs to read (those that exist are bound read-only).
READ_ONLY = ("/usr", "/etc/fonts", "/etc/alternatives", "/etc/texmf", "/etc/ssl/certs",
             "/etc/ld.so.cache", "/etc/localtime", "/var/lib/texmf", "/var/cache/fontconfig",
             "/usr/share/texmf", "/usr/share/texlive")
SYMLINKS = (("usr/bin", "/bin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/sbin", "/sbin"))


def _python_roots() -> list[str]:
    """The interpreter and venv folders (often outside /usr: pyenv, a venv in the project)."""
    roots = {str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve())}
    return sorted(r for r in roots if not r.startswith("/usr/"))


def bwrap_argv(argv: Sequence[str], work: Path) -> list[str]:
    """argv run inside bubblewrap with `work` as the only writable folder."""
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for folder in READ_ONLY:
        if Path(folder).exists() and not Path(folder).is_symlink():
            cmd += ["--ro-bind", folder, folder]
    for target, link in SYMLINKS:
        if Path(link).is_symlink():
            cmd += ["--symlink", target, link]
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    cmd += ["--bind", str(work), str(work), "--chdir", str(work), "--", *argv]
    return cmd


@cache
def bwrap_works() -> bool:
    """True when bubblewrap is installed and can start a process here (checked once)."""
    if shutil.which("bwrap") is None:
        return False
    probe = Path("/tmp")
    try:
        done = subprocess.run(bwrap_argv([sys.executable, "-c", "print('ok')"], probe),
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "ok"


def describe() -> str:
    """One line for `mathreel doctor` and the build log."""
    if bwrap_works():
        return "bubblewrap: no network, read-only system, private /tmp, only the work folder writable"
    if shutil.which("bwrap"):
        return ("WEAKER: bubblewrap is installed but cannot start here (user namespaces off?); "
                "renders run with a scrubbed environment and resource limits only")
    return ("WEAKER: bubblewrap is not installed (apt-get install bubblewrap); renders run "
            "with a scrubbed environment and resource limits only")


def confine(argv: Sequence[str], work: Path) -> list[str]:
    """argv wrapped in the strongest sandbox available."""
    return bwrap_argv(argv, work) if bwrap_works() else list(argv)
