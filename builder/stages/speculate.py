"""Renders started early: a model answer's video begins as soon as its static checks pass.

The render stage would start it only after the preflight, and the preflight only after the
static checks; on two cores the render can run beside the preflight instead. The render is
the one the render stage will ask for, with the same key, as far as it can be told before the
preflight: the concept's quality and the renderer `choose` picks without facts (Cairo for a 2D
scene; for a 3D one, OpenGL is a guess the preflight may overturn). The render stage takes it
when the keys match and waits for it if it still runs; otherwise (another key, the preflight
failed, the build ends) it is cancelled: its processes are killed and nothing is published.

The early render runs the same code through the same seam as the render stage's own:
`render_scene`, the sandbox, the limits. Only what passed the static checks is started.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import RenderError, ToolError
from builder.runner import CancelScope, Runner
from builder.video.render import RenderJob, RenderOutput, cached_render, render_scene

log = logging.getLogger(__name__)


@dataclass
class _Early:
    """One early render: its job, the thread that runs it, and how it ended."""

    job: RenderJob
    scope: CancelScope
    thread: threading.Thread | None = None
    output: RenderOutput | None = None
    error: Exception | None = None


@dataclass
class EarlyRenders:
    """The early renders of one build, by concept slug (at most one each)."""

    render_dir: Path
    tex_dir: Path
    timeout: float
    runner: Runner
    #: Early renders running at once, at most: a gallery of new concepts does not start one
    #: render per concept beside the checks (the render stage renders the rest as usual).
    limit: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _running: int = 0
    _by_slug: dict[str, _Early] = field(default_factory=dict, repr=False)
    _closed: bool = False

    def start(self, slug: str, job: RenderJob) -> None:
        """Render `job` now, in a thread, unless it is cached or `limit` early renders run
        already; an early render of the slug still running is cancelled."""
        self.cancel(slug)  # an older one of the slug (an earlier attempt) frees its place first
        if cached_render(self.render_dir, job.key) is not None:
            return
        early = _Early(job, CancelScope())
        early.thread = threading.Thread(target=self._run, args=(early,), daemon=True,
                                        name=f"early-render-{slug}")
        with self._lock:
            if self._closed or self._running >= self.limit:
                return
            self._running += 1
            self._by_slug[slug] = early
            early.thread.start()  # under the lock: whoever finds it registered can join it

    def _run(self, early: _Early) -> None:
        with early.scope:
            try:
                early.output = render_scene(early.job, render_dir=self.render_dir, tex_dir=self.tex_dir,
                                            timeout=self.timeout, runner=self.runner)
            except (RenderError, ToolError) as exc:
                early.error = exc
            except Exception as exc:  # reported to the render stage, which renders again
                log.warning("early render of %s: %s", early.job.slug, exc)
                early.error = exc
            finally:
                with self._lock:
                    self._running -= 1

    def cancel(self, slug: str) -> None:
        """Stop the slug's early render, if any: nothing of it is published."""
        with self._lock:
            early = self._by_slug.pop(slug, None)
        if early is not None:
            _stop(early)

    def take(self, slug: str, key: str) -> RenderOutput | None:
        """The slug's early render of `key`, waited for; None when there is none to take (another
        key, which is cancelled, or one cancelled or broken by something outside the scene).

        A render that failed on the scene raises that RenderError: the same job would again.
        """
        with self._lock:
            early = self._by_slug.pop(slug, None)
        if early is None:
            return None
        if early.job.key != key:
            _stop(early)
            return None
        assert early.thread is not None
        early.thread.join()
        if isinstance(early.error, RenderError) and not early.scope.cancelled:
            raise early.error
        return early.output

    def close(self) -> None:
        """Cancel every early render no one took (the build is over), and wait for them."""
        with self._lock:
            self._closed = True
            left, self._by_slug = list(self._by_slug.values()), {}
        for early in left:
            _stop(early)


def _stop(early: _Early) -> None:
    early.scope.cancel()
    if early.thread is not None:
        early.thread.join()
