"""builder.runner: what the child does between fork and exec."""

from __future__ import annotations

import builtins
import os

from builder.runner import Limits, _preexec


def test_the_child_imports_nothing_between_fork_and_exec() -> None:
    """The child of a fork from a threaded process must not import or dlopen: another thread may
    have held a module's import lock, or the dynamic loader's, at the fork, and the child would
    wait for it forever (a `mathreel check` hung this way when its preflight thread forked while
    the main thread imported the LaTeX step). So the pre-exec function is built in the parent."""
    child = _preexec(Limits(cpu_seconds=60, address_space_bytes=2 << 30, file_size_bytes=1 << 20, processes=64))
    pid = os.fork()
    if pid == 0:  # the child: any import (or ctypes load) now fails loudly
        def refuse(*_args: object, **_kwargs: object) -> object:
            os._exit(3)

        builtins.__import__ = refuse  # type: ignore[assignment]
        try:
            child()
        except BaseException:
            os._exit(4)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
