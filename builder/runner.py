"""The one seam through which mathreel runs external programs (manim, pandoc, latex)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from builder.errors import ToolError, ToolTimeout

log = logging.getLogger(__name__)

TAIL_LINES = 30


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to the child (POSIX rlimits); None leaves a limit as it is."""

    cpu_seconds: int | None = None
    address_space_bytes: int | None = None
    file_size_bytes: int | None = None
    processes: int | None = None


@dataclass(frozen=True)
class Completed:
    """What a finished program left: exit code and decoded output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of stderr (or stdout when stderr is empty)."""
        text = self.stderr.strip() or self.stdout.strip()
        return "\n".join(text.splitlines()[-lines:])


class Runner(Protocol):
    """Runs one program to completion; swap it in tests to count or script calls."""

    def __call__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
                 timeout: float = 600.0, limits: Limits | None = None,
                 check: bool = True) -> Completed: ...


def _preexec(limits: Limits | None) -> Callable[[], None]:
    """What runs in the child before exec: a new session (so a timeout kills the group), death
    with the parent, and rlimits. Everything it needs is imported and looked up here, in the
    parent: the child of a fork from a threaded process must not import (another thread may
    have held the import lock, or the dynamic loader's, at the fork, and the child would wait
    for it forever)."""
    import resource

    prctl = _prctl()
    pairs = [] if limits is None else [
        (which, value) for which, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.address_space_bytes),
            (resource.RLIMIT_FSIZE, limits.file_size_bytes),
            (resource.RLIMIT_NPROC, limits.processes),
        ) if value is not None]
    setrlimit = resource.setrlimit

    def child() -> None:
        os.setsid()
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux: SIGKILL when the build dies, even by SIGKILL
        for which, value in pairs:
            setrlimit(which, (value, value))

    return child


_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved once in the parent (None where there is none)."""
    try:
        import ctypes

        found: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return found
    except (OSError, AttributeError):
        return None


class Cancelled(ToolError):
    """A program was stopped, or not started, because its CancelScope was cancelled."""


class CancelScope:
    """Programs that `run` starts in this scope (in the thread that entered it) can be stopped
    from any thread: `cancel` kills their process groups, and a later start raises Cancelled.

    Runners that end in `run` (CountingRunner, the sandbox's wrappers) need no change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.cancelled = False

    def __enter__(self) -> CancelScope:
        self._token = _SCOPE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.reset(self._token)

    def cancel(self) -> None:
        """Stop what runs in the scope now, and whatever it would start later."""
        with self._lock:
            self.cancelled = True
            running = list(self._running)
        for proc in running:
            _signal_group(proc)

    def _started(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.add(proc)
            cancelled = self.cancelled
        if cancelled:
            _signal_group(proc)

    def _ended(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)


_SCOPE: contextvars.ContextVar[CancelScope | None] = contextvars.ContextVar("mathreel_cancel_scope",
                                                                            default=None)


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
        timeout: float = 600.0, limits: Limits | None = None, check: bool = True) -> Completed:
    """Run argv with empty stdin; on timeout kill its whole process group.

    Raises ToolError when the program is missing or (with check) exits non-zero,
    ToolTimeout when it runs past `timeout` seconds, and Cancelled when its CancelScope
    was cancelled before or while it ran.
    """
    args = [str(a) for a in argv]
    log.debug("run %s (cwd=%s)", " ".join(args), cwd)
    scope = _SCOPE.get()
    if scope is not None and scope.cancelled:
        raise Cancelled(f"{Path(args[0]).name} was not started: cancelled")
    try:
        proc = subprocess.Popen(
            args, cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=_preexec(limits),
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{args[0]} is not installed or not on PATH - run `make site` to set up, "
                        f"or install it and retry ({exc.strerror})") from exc
    if scope is not None:
        scope._started(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        done = Completed(tuple(args), -9, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        raise ToolTimeout(f"{Path(args[0]).name} ran past its {timeout:.0f} s limit and was stopped",
                          tail=done.tail(), returncode=None) from None
    except BaseException:
        _kill_group(proc)  # Ctrl-C: never leave a render running behind us
        raise
    finally:
        if scope is not None:
            scope._ended(proc)
    if scope is not None and scope.cancelled:
        raise Cancelled(f"{Path(args[0]).name} was stopped: cancelled")
    done = Completed(tuple(args), proc.returncode, out.decode("utf-8", "replace"),
                     err.decode("utf-8", "replace"))
    if check and done.returncode != 0:
        raise ToolError(f"{Path(args[0]).name} exited with status {done.returncode}",
                        tail=done.tail(), returncode=done.returncode)
    return done


def _signal_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the program's process group (its own session, see _preexec), if still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    _signal_group(proc)
    proc.wait()


#: What starts Manim's command line: its console script or package (`python -m manim`), or an
#: entry script mathreel stages next to scene.py that imports Manim and hands it the arguments.
MANIM_ENTRIES = ("manim", "layout_hook.py")
#: Manim's subcommands; a command line without one is `render` (Manim's default command).
MANIM_COMMANDS = ("render", "cfg", "plugins", "init", "checkhealth")
#: Options that run a scene without writing a video (preflight runs, not renders).
NO_VIDEO_OPTIONS = ("--dry_run", "-s", "--save_last_frame")


def manim_scene_args(argv: Sequence[str]) -> tuple[str, ...] | None:
    """Manim's own arguments when argv runs a scene with Manim, whatever wraps it; else None.

    Wrappers come first (bwrap up to its `--`, then setpriv, the interpreter), so the command
    is found by its entry (`manim`, `-m manim`, `layout_hook.py`) followed by something Manim's
    command line starts with and, later, a `.py` scene file.
    """
    args = [str(a) for a in argv]
    # bwrap's options end at `--`; a folder it binds may well be called `manim`.
    start = len(args) - args[::-1].index("--") if "--" in args else 0
    for index in range(start, len(args)):
        arg = args[index]
        if arg == "-m" and args[index + 1:index + 2] == ["manim"]:
            rest = args[index + 2:]
        elif Path(arg).name in MANIM_ENTRIES:
            rest = args[index + 1:]
        else:
            continue
        if not rest or not (rest[0] in MANIM_COMMANDS or rest[0].startswith("-") or rest[0].endswith(".py")):
            continue
        if rest[0] in MANIM_COMMANDS and rest[0] != "render":
            return None  # `manim checkhealth` and the like run no scene
        if any(a.endswith(".py") for a in rest):
            return tuple(rest)
    return None


@dataclass
class CountingRunner:
    """A Runner that records every call, then runs it for real; tests count calls by tool."""

    inner: Runner = run
    calls: list[tuple[str, ...]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
                 timeout: float = 600.0, limits: Limits | None = None,
                 check: bool = True) -> Completed:
        with self._lock:
            self.calls.append(tuple(str(a) for a in argv))
        return self.inner(argv, cwd=cwd, env=env, timeout=timeout, limits=limits, check=check)

    def _recorded(self) -> list[tuple[str, ...]]:
        with self._lock:
            return list(self.calls)

    def count(self, needle: str) -> int:
        """How many calls ran a program whose name contains `needle` ("pandoc", "latex").

        "manim" counts Manim scene runs (see `manim_runs`): Manim is started through wrappers
        and entry scripts, so its name is often nowhere in argv.
        """
        if needle == "manim":
            return len(self.manim_runs())
        return sum(1 for call in self._recorded() if any(needle in Path(a).name or needle == a for a in call))

    def manim_runs(self) -> list[tuple[str, ...]]:
        """Manim's arguments for each call that ran a scene: renders, dry runs, probes."""
        found = (manim_scene_args(call) for call in self._recorded())
        return [args for args in found if args is not None]

    def renders(self) -> int:
        """How many calls rendered a video with Manim (dry and last-frame runs are not renders)."""
        return sum(1 for args in self.manim_runs() if not any(a in NO_VIDEO_OPTIONS for a in args))
