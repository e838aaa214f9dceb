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


#: Unprivileged user the scene runs as when the build runs as root.
NOBODY = 65534


def _parents(paths: Sequence[str]) -> list[str]:
    """Every ancestor folder of the bound paths, outermost first (created 0755 in the sandbox)."""
    out: list[str] = []
    for path in paths:
        for parent in reversed(Path(path).parents):
            text = str(parent)
            if text not in ("/", "/tmp") and text not in out and not text.startswith("/usr"):
                out.append(text)
    return out


def drops_to_nobody() -> bool:
    """True when the scene will run as `nobody` (the build runs as root and setpriv exists)."""
    import os

    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def bwrap_argv(argv: Sequence[str], work: Path, *, x11: bool = False) -> list[str]:
    """argv run inside bubblewrap with `work` as the only writable folder."""
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    system = [f for f in READ_ONLY if Path(f).exists() and not Path(f).is_symlink()]
    roots = _python_roots()
    # Folders bwrap creates on the way to a bind are 0700: make them passable for `nobody`.
    for parent in _parents([*system, *roots, str(work)]):
        cmd += ["--perms", "0755", "--dir", parent]
    for folder in system:
        cmd += ["--ro-bind", folder, folder]
    for target, link in SYMLINKS:
        if Path(link).is_symlink():
            cmd += ["--symlink", target, link]
    for root in roots:
        cmd += ["--ro-bind", root, root]
    if x11 and Path("/tmp/.X11-unix").is_dir():
        cmd += ["--ro-bind", "/tmp/.X11-unix", "/tmp/.X11-unix"]  # the X socket, for OpenGL
    cmd += ["--bind", str(work), str(work), "--chdir", str(work), "--"]
    if drops_to_nobody():
        # Not root inside: process limits apply, and nothing root-only is reachable.
        cmd += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"]
    return cmd + list(argv)


def prepare_workdir(work: Path) -> None:
    """Hand the work folder to the sandbox user, so the scene can write only there."""
    import os

    if not (bwrap_works() and drops_to_nobody()):
        return
    for path in [work, *work.rglob("*")]:
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


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
        user = ", runs as nobody" if drops_to_nobody() else ""
        return ("bubblewrap: no network, read-only system, private /tmp, only the work folder "
                f"writable{user}")
    if shutil.which("bwrap"):
        return ("WEAKER: bubblewrap is installed but cannot start here (user namespaces off?); "
                "renders run with a scrubbed environment and resource limits only")
    return ("WEAKER: bubblewrap is not installed (apt-get install bubblewrap); renders run "
            "with a scrubbed environment and resource limits only")


def confine(argv: Sequence[str], work: Path, *, x11: bool = False) -> list[str]:
    """argv wrapped in the strongest sandbox available (call prepare_workdir first)."""
    return bwrap_argv(argv, work, x11=x11) if bwrap_works() else list(argv)
