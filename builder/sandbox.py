"""Confinement of scene code, and the one seam through which every Manim child process runs.

With `bwrap` a child sees a read-only view of only the system folders Manim, Python and TeX
need, its own work folder read-write, a private /tmp, no network, its own PID namespace, runs
as `nobody` when the build is root, and dies with the build. Inside, `guard.py` adds a runtime
audit hook (no programs but Manim's TeX tools, no files outside the work folder, no sockets).

The sandbox fails closed: when bubblewrap cannot start, model-written code does not run at all,
unless the user opted out in so many words (`sandbox: off` in mkdocs.yml, or
`--unsafe-no-sandbox`). Scenes a person wrote (hand-written, the anchor template) still run
with the weaker fallback (scrubbed environment, resource limits, process-group timeout), and
the build says so.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from builder.errors import MathreelError
from builder.runner import Completed, Limits, Runner
from builder.video.texformat import tex_format

log = logging.getLogger(__name__)

#: System folders a child needs to read (those that exist are bound read-only).
READ_ONLY = ("/usr", "/etc/fonts", "/etc/alternatives", "/etc/texmf", "/etc/ssl/certs",
             "/etc/ld.so.cache", "/etc/localtime", "/var/lib/texmf", "/var/cache/fontconfig",
             "/usr/share/texmf", "/usr/share/texlive")
SYMLINKS = (("usr/bin", "/bin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/sbin", "/sbin"))

#: Unprivileged user the scene runs as when the build runs as root.
NOBODY = 65534

#: Files of builder/templates/ copied next to scene.py: the entry script, the runtime guard and
#: the reviewed style module scenes may import (`from mathreel_style import ...`; the child's
#: cwd and sys.path[0] are the work folder, inside the sandbox and out).
CHILD_FILES = ("layout_hook.py", "guard.py", "mathreel_style.py")
ENTRY = "layout_hook.py"

#: Resource limits of any child that runs scene code (render, preflight, probe).
SCENE_LIMITS = Limits(cpu_seconds=900, address_space_bytes=16 * 2**30,
                      file_size_bytes=4 * 2**30, processes=512)


class SandboxUnavailable(MathreelError):
    """Model-written code was about to run, and the sandbox cannot start here."""


@dataclass(frozen=True)
class Policy:
    """What the user allows: `unconfined_ok` is only ever set by an explicit opt-out."""

    unconfined_ok: bool = False

    @property
    def label(self) -> str:
        """How the user set it, for messages."""
        return "sandbox: off" if self.unconfined_ok else "sandbox: on"


#: The default: model code runs only inside bubblewrap.
SANDBOXED = Policy()


@dataclass(frozen=True)
class Probe:
    """Whether bubblewrap can start a child here, and if not, its own words and the fix."""

    works: bool
    detail: str


@dataclass(frozen=True)
class ManimRun:
    """A finished child run and the confinement it actually ran under."""

    completed: Completed
    confinement: str


def _resolved_roots() -> list[tuple[str, str]]:
    """(real folder, path the interpreter uses) for the interpreter and venv outside /usr.

    A venv reached through a symbolic link (`.venv -> /elsewhere/venv`), pyenv or a
    project-local interpreter must be visible at the path `sys.executable` names, so the real
    folder is bound and the linked path recreated as a link inside the sandbox.
    """
    found: dict[str, str] = {}
    for raw in (sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).parent)):
        path = Path(os.path.abspath(raw))
        real = path.resolve()
        if str(real).startswith("/usr/") and str(path).startswith("/usr/"):
            continue  # under the read-only /usr already
        found.setdefault(str(path), str(real))
    # A folder inside another one (the venv's bin/ inside the venv) comes along with it.
    outer = {p: r for p, r in found.items()
             if not any(p != q and p.startswith(q + "/") for q in found)}
    return sorted((real, path) for path, real in outer.items())


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
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


#: Where a scene's work folder appears inside the sandbox: short, so tracebacks keep the
#: scene's line on one line (a long host path wraps in Manim's boxed traceback), and the
#: same for every render, so nothing of the host's layout shows.
INSIDE = "/scene"


def bwrap_argv(argv: Sequence[str], work: Path, *, x11: bool = False,
               inside: str | None = None,
               read_only: Sequence[tuple[Path, str]] = ()) -> list[str]:
    """argv run inside bubblewrap with `work` as the only writable folder (at `inside`, if given)."""
    work = Path(os.path.abspath(work))
    real_work = work.resolve()
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    system = [f for f in READ_ONLY if Path(f).exists() and not Path(f).is_symlink()]
    roots = _resolved_roots()
    bound = [*system, *(real for real, _ in roots), str(real_work)]
    links = [path for real, path in roots if path != real]
    if work != real_work:
        links.append(str(work))
    # Folders bwrap creates on the way to a bind are 0700: make them passable for `nobody`.
    for parent in _parents([*bound, *links]):
        if not any(parent == b or parent.startswith(b + "/") for b in bound):
            cmd += ["--perms", "0755", "--dir", parent]
    for folder in system:
        cmd += ["--ro-bind", folder, folder]
    for target, link in SYMLINKS:
        if Path(link).is_symlink():
            cmd += ["--symlink", target, link]
    for real, _ in roots:
        cmd += ["--ro-bind", real, real]
    if x11 and Path("/tmp/.X11-unix").is_dir():
        cmd += ["--ro-bind", "/tmp/.X11-unix", "/tmp/.X11-unix"]  # the X socket, for OpenGL
    for host, seen_as in read_only:
        cmd += ["--ro-bind", str(Path(host).resolve()), seen_as]
    if inside is not None:
        cmd += ["--bind", str(real_work), inside]
    else:
        cmd += ["--bind", str(real_work), str(real_work)]
    linked = [(r, p) for r, p in roots if p != r]
    if inside is None:
        linked.append((str(real_work), str(work)))  # the work folder reached through a link
    for real, path in linked:
        if path != real and not any(path == b or path.startswith(b + "/") for b in bound):
            cmd += ["--symlink", real, path]
    cmd += ["--chdir", inside or str(real_work), "--"]
    if drops_to_nobody():
        # Not root inside: process limits apply, and nothing root-only is reachable.
        cmd += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"]
    return cmd + list(argv)


def prepare_workdir(work: Path) -> None:
    """Hand the work folder to the sandbox user, so the scene can write only there."""
    if not (probe().works and drops_to_nobody()):
        return
    for path in [work, *work.rglob("*")]:
        try:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        except FileNotFoundError:
            # Gone since the listing: a warm preflight's hand-over is renamed into place while
            # this runs on the child's thread. The host's own files need no handing over.
            continue


#: What the probe child runs: the interpreter as renders start it, reading its site-packages.
_PROBE_CODE = "import importlib.util as u; assert u.find_spec('manim'); print('ok')"


_probed: list[Probe] = []
_probing = threading.Lock()


def probe() -> Probe:
    """Can bubblewrap start the interpreter here, as renders start it? (checked once a process)"""
    with _probing:  # a caller arriving while `probe_ahead`'s thread probes waits for its answer
        if not _probed:
            _probed.append(_probe())
        return _probed[0]


def probe_ahead() -> None:
    """Start the probe in the background (about 0.1 s), so that the first run finds it done."""
    if not _probed:
        threading.Thread(target=probe, daemon=True, name="sandbox-probe").start()


def _probe() -> Probe:
    if shutil.which("bwrap") is None:
        return Probe(False, "bubblewrap is not installed: run `make setup` or "
                            "`apt-get install bubblewrap`")
    with tempfile.TemporaryDirectory(prefix="mathreel-probe-") as tmp:
        work = Path(tmp)
        if drops_to_nobody():
            os.chown(work, NOBODY, NOBODY)
        try:
            done = subprocess.run(bwrap_argv([sys.executable, "-c", _PROBE_CODE], work),
                                  capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Probe(False, f"bubblewrap could not be started: {exc}")
    if done.returncode == 0 and done.stdout.strip() == "ok":
        return Probe(True, "")
    said = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return Probe(False, f"bubblewrap failed: {said}\n    fix: {_advice(said)}")


def _advice(said: str) -> str:
    """A fix for bubblewrap's own error message."""
    lowered = said.lower()
    if "namespace" in lowered or "operation not permitted" in lowered or "permission denied" in lowered:
        return ("user namespaces are not available here (a container without them, or "
                "kernel.unprivileged_userns_clone=0): run the build where they are, e.g. a container "
                "started with --security-opt seccomp=unconfined, or enable them with "
                "`sysctl kernel.unprivileged_userns_clone=1`")
    if "no such file" in lowered or "failed to execute" in lowered:
        return (f"the interpreter {sys.executable} is not visible inside the sandbox; please report "
                "this with the output of `mathreel doctor`")
    return "run `mathreel doctor` and check that bubblewrap works: `bwrap --ro-bind / / true`"


def bwrap_works() -> bool:
    """True when bubblewrap is installed and can start the interpreter here."""
    return probe().works


def describe() -> str:
    """One line for `mathreel doctor` and the build log."""
    found = probe()
    if found.works:
        user = ", runs as nobody" if drops_to_nobody() else ""
        return ("bubblewrap: no network, read-only system, private /tmp, only the work folder "
                f"writable{user}; runtime guard in the child")
    return (f"UNAVAILABLE: {found.detail}\n    model-written scenes will not run (set `sandbox: off` "
            "in mkdocs.yml or pass --unsafe-no-sandbox to run them anyway); hand-written and "
            "template scenes run with a scrubbed environment and resource limits only")


def confinement(*, trusted: bool, policy: Policy) -> str:
    """How a child will be confined here, in words (recorded in render.json and on the page)."""
    if probe().works:
        return "bubblewrap" + (" as nobody" if drops_to_nobody() else "")
    if trusted:
        return "weaker: scrubbed environment and limits (bubblewrap unavailable; trusted scene)"
    if policy.unconfined_ok:
        return "NONE: sandbox turned off by the user (sandbox: off / --unsafe-no-sandbox)"
    return "refused"


def require(*, trusted: bool, policy: Policy, what: str) -> None:
    """Raise SandboxUnavailable when untrusted code would run without the sandbox."""
    if trusted or policy.unconfined_ok or probe().works:
        return
    raise SandboxUnavailable(
        f"refused to run {what}: model-written code runs only inside the sandbox, and the "
        f"sandbox cannot start here.\n    {probe().detail}\n    To run it unconfined anyway "
        "(only on a machine you can lose), set `sandbox: off` under the mathreel plugin in "
        "mkdocs.yml or pass --unsafe-no-sandbox.")


def confine(argv: Sequence[str], work: Path, *, x11: bool = False, trusted: bool = False,
            policy: Policy = SANDBOXED) -> list[str]:
    """argv wrapped in bubblewrap; without it only trusted or opted-out code runs, unwrapped."""
    if probe().works:
        return bwrap_argv(argv, work, x11=x11)
    require(trusted=trusted, policy=policy, what=f"the scene in {work}")
    log.warning("running %s WITHOUT bubblewrap (%s)", work,
                confinement(trusted=trusted, policy=policy))
    return list(argv)


def stage_child_files(work: Path) -> None:
    """Copy the child's entry script, runtime guard and style module next to scene.py."""
    for name in CHILD_FILES:
        text = resources.files("builder").joinpath(f"templates/{name}").read_text("utf-8")
        (work / name).write_text(text, encoding="utf-8")


#: Where the gallery's shared TeX cache appears inside the sandbox (read-only).
TEX_CACHE_INSIDE = "/texcache"
#: Where the host's precompiled LaTeX format (builder/video/texformat.py) appears (read-only).
TEX_FORMAT_INSIDE = "/texformat"


def run_manim(args: Sequence[str], work: Path, *, runner: Runner, env: Mapping[str, str],
              timeout: float, limits: Limits | None = None, x11: bool = False,
              trusted: bool = False, policy: Policy = SANDBOXED,
              tex_cache: Path | None = None) -> ManimRun:
    """Run Manim's command line (`args` after `manim`) on `work/scene.py`, confined.

    Every child that runs scene code goes through here: render, preflight, renderer probe.
    The entry script and guard are staged, the work folder handed to the sandbox user, the
    limits applied (SCENE_LIMITS by default) and the exit status left to the caller. The
    gallery's TeX cache, when given, is read in place (read-only), never copied.
    """
    require(trusted=trusted, policy=policy, what=f"the scene in {work}")
    stage_child_files(work)
    # HOME and TMPDIR live in the work folder whatever the caller passed: the scene reads and
    # writes nothing elsewhere (Manim looks for a user config under HOME).
    home = work / "home"
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**env, "HOME": str(home), "TMPDIR": str(home / "tmp")}
    env.pop("MATHREEL_TEX_FORMAT", None)  # only the host's own format, set below
    prepare_workdir(work)
    argv = [sys.executable, ENTRY, *args]
    shared = tex_cache if tex_cache is not None and tex_cache.is_dir() else None
    fmt = tex_format()
    if probe().works:
        read_only = [(shared, TEX_CACHE_INSIDE)] if shared else []
        if fmt is not None:
            read_only.append((fmt.parent, TEX_FORMAT_INSIDE))
        argv = bwrap_argv(argv, work, x11=x11, inside=INSIDE, read_only=read_only)
        env = _inside_env(env, work)
        if shared:
            env["MATHREEL_TEX_CACHE"] = TEX_CACHE_INSIDE
        if fmt is not None:
            env["MATHREEL_TEX_FORMAT"] = f"{TEX_FORMAT_INSIDE}/{fmt.name}"
    else:
        argv = confine(argv, work, x11=x11, trusted=trusted, policy=policy)
        if shared:
            env = {**env, "MATHREEL_TEX_CACHE": str(shared.resolve())}
        if fmt is not None:
            env = {**env, "MATHREEL_TEX_FORMAT": str(fmt.resolve())}
    done = runner(argv, cwd=work, env=env, timeout=timeout, limits=limits or SCENE_LIMITS,
                  check=False)
    return ManimRun(done, confinement(trusted=trusted, policy=policy))


def _inside_env(env: Mapping[str, str], work: Path) -> dict[str, str]:
    """The child's environment with paths into the work folder as the sandbox shows them."""
    prefixes = sorted({str(Path(os.path.abspath(work))), str(work.resolve())}, key=len, reverse=True)
    out: dict[str, str] = {}
    for name, value in env.items():
        for prefix in prefixes:
            if value == prefix or value.startswith(prefix + "/"):
                value = INSIDE + value[len(prefix):]
                break
        out[name] = value
    return out
