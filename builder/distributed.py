"""Rendering on a Dask distributed cluster: `mathreel build --scheduler tcp://HOST:PORT`.

Workers need the same Python package and system tools (manim, TeX, bubblewrap).
Each task renders in the worker's own temp folder and returns the output files'
bytes; the client publishes them into its own cache under the render key, so
workers need no shared file system.
"""

from __future__ import annotations

import logging
import socket
import tempfile
from pathlib import Path
from typing import Any

from builder.errors import MathreelError
from builder.video.render import (
    RenderJob,
    RenderOutput,
    collect_outputs,
    publish_outputs,
    render_into,
)

log = logging.getLogger(__name__)


def worker_render(job: RenderJob, timeout: float) -> dict[str, bytes]:
    """Runs on a worker: render into a temp folder, return every output file's bytes."""
    base = _worker_base()
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        stage = Path(tmp) / "out"
        stage.mkdir()
        render_into(job, stage, tex_dir=base / "tex", timeout=timeout)
        return collect_outputs(stage)


_BASE: list[Path] = []


def _worker_base() -> Path:
    """This worker process's own folder (its TeX cache), removed when the worker exits."""
    if not _BASE:
        import atexit
        import shutil

        base = Path(tempfile.mkdtemp(prefix="mathreel-worker-"))
        atexit.register(shutil.rmtree, base, True)
        _BASE.append(base)
    return _BASE[0]


def _refused_at_once(address: str) -> None:
    """Raise at once when nothing listens at a tcp:// address (Dask's client would retry for its
    whole timeout first); a host that does not answer is left to the client's own timeout."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not address.startswith("tcp://") or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=2).close()
    except ConnectionRefusedError as exc:
        raise ConnectionRefusedError("nothing listens there (connection refused)") from exc
    except OSError:
        return  # unresolvable or silent: Dask says why, after its timeout


class DaskRenderer:
    """Submits render jobs to a Dask scheduler and publishes the results locally."""

    def __init__(self, address: str, *, client: Any = None) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise MathreelError("--scheduler needs Dask: pip install 'mathreel[dask]' "
                                "(or `distributed`) on this machine and on every worker") from exc
        try:
            if client is None:
                _refused_at_once(address)
            self.client = client or Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise MathreelError(f"cannot reach the Dask scheduler at {address}: {exc}; start one "
                                "with `dask scheduler` and workers with `dask worker ADDRESS`") from exc

    def slots(self) -> int:
        """How many renders the cluster runs at once (the sum of worker threads)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def render(self, job: RenderJob, *, render_dir: Path, timeout: float) -> RenderOutput:
        """Render remotely; the result lands in `render_dir/<key>/` like a local render."""
        future = self.client.submit(worker_render, job, timeout, pure=False,
                                    key=f"mathreel-render-{job.slug}-{job.key[:12]}")
        files = future.result()
        return publish_outputs(job, files, render_dir)

    def close(self) -> None:
        """Disconnect from the scheduler."""
        self.client.close()
