"""Renders started early: a model answer's video begins as soon as its static checks pass.

The render stage would start it only after the preflight, and the preflight only after the
static checks; on two cores the render can run beside the preflight instead. The render is
the one the render stage will ask for, with the same key, as far as it can be told before the
preflight: the concept's quality and the renderer `choose` picks without facts (Cairo for a 2D
scene; for a 3D one, OpenGL is a guess the preflight may overturn). The render stage takes it
when the keys match and waits for it if it still runs; otherwise (another key, the preflight
failed, the build ends) it is cancelled: its processes are killed and nothing is published.

The early render runs the same code through the same seam as the render stage's own:
`run_manim`, the sandbox, the limits, and the render stage's own checks of what comes back
(`finish_render`). Only what passed the safety and contract steps is handed a scene.

Its child can start sooner still (`prewarm`, when the answer arrives): Python, the guard and
Manim load while the host runs the static checks, with no scene in its folder; the scene is
handed over once they passed, or the child is let go (`WarmRender`, as `WarmPreflight` does for
a preflight).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import RenderError, ToolError, ToolTimeout
from builder.fsutil import publish_staged
from builder.runner import CancelScope, Runner
from builder.sandbox import SandboxUnavailable, run_manim
from builder.video.render import (
    RenderJob,
    RenderOutput,
    cached_render,
    finish_render,
    manim_flags,
    prepare_folder,
    render_extra,
    render_failure,
    render_limits,
    render_scene,
    tex_cache_for,
    write_scene,
)

log = logging.getLogger(__name__)


class WarmRender:
    """A render child started before its scene is known; `render` hands the scene over, `cancel`
    lets it go (killed, its folder removed; before the hand-over it leaves by itself).

    Its flags (quality, renderer, sections) are fixed at the start, from the concept and the
    answer as far as they are known; a job that needs others does not `fit` it. It reads no
    gallery TeX cache (which part a run reads depends on the final source); the formulas it
    compiles are published into the source's part after the run, as a render publishes them.
    """

    def __init__(self, render_dir: Path, *, quality: str, renderer: str, extra: tuple[str, ...] = (),
                 timeout: float, runner: Runner) -> None:
        from builder.checks.dryrun import WAIT_FLAG, WarmPreflight

        #: What the child was started with: quality, renderer, and the flags a source asks for.
        self.flags = (quality, renderer, extra)
        self.timeout = timeout
        self.started = time.monotonic()
        render_dir.mkdir(parents=True, exist_ok=True)
        # Beside the published renders, named as a staging folder: a killed build's is swept.
        self.stage = Path(tempfile.mkdtemp(prefix=".warm-", suffix=".partial", dir=render_dir))
        self.stage.chmod(0o755)
        self.work = self.stage / "work"
        self.scope = CancelScope()
        self._handed = False
        self._outcome: list[Any] = []  # the ManimRun, or what run_manim raised
        try:
            self.private_tex, env = prepare_folder(self.work, renderer)
        except BaseException:
            shutil.rmtree(self.stage, ignore_errors=True)
            raise
        args = [WAIT_FLAG, *manim_flags(quality, renderer, *extra), "scene.py"]
        wait_s = self.wait_s = WarmPreflight.WAIT_S  # the longest it waits for its hand-over

        def start() -> None:
            with self.scope:
                try:
                    self._outcome.append(run_manim(
                        args, self.work, runner=runner, env=env, timeout=timeout + wait_s + 10,
                        limits=render_limits(timeout), x11=renderer == "opengl"))
                except BaseException as exc:  # handed to render(), which reports it
                    self._outcome.append(exc)

        self._thread = threading.Thread(target=start, daemon=True, name="warm-render")
        self._thread.start()

    def usable(self) -> bool:
        """Still waiting, and not about to give up waiting (a slow model's answer can come after
        the child's WAIT_S; a margin keeps the hand-over from racing its exit)."""
        return (not self._handed and self._thread.is_alive()
                and time.monotonic() - self.started < self.wait_s - self.MARGIN_S)

    #: Seconds before the child's WAIT_S after which it is no longer handed a scene.
    MARGIN_S = 30

    def fits(self, job: RenderJob) -> bool:
        """Can this child render `job` (waiting still; same flags; a model's scene, so fully
        sandboxed)?"""
        return (self.usable() and not job.trusted
                and (job.quality, job.renderer, render_extra(job.source)) == self.flags)

    def render(self, job: RenderJob, *, render_dir: Path, tex_dir: Path) -> RenderOutput:
        """Hand `job`'s scene over, wait for the child, and publish the render under its key."""
        from builder.checks.dryrun import hand_over

        assert not self._handed and self.flags[:2] == (job.quality, job.renderer), \
            "a warm render runs one job with its own flags"
        self._handed = True
        try:
            if not self._thread.is_alive():  # not the scene's failure: the render starts cold
                raise ToolError("the warm render child ended before its scene came")
            write_scene(self.work, job.source, job.scene_class)
            began = time.monotonic()
            hand_over(self.work, {"scene": job.scene_class})
            self._thread.join(self.timeout)  # the render's own budget counts from the hand-over
            if self._thread.is_alive():
                self.scope.cancel()
                self._thread.join()
                raise render_failure(job, ToolTimeout(f"ran past {self.timeout:.0f} s"), self.timeout)
            (outcome,) = self._outcome
            if isinstance(outcome, ToolError | SandboxUnavailable):
                raise render_failure(job, outcome, self.timeout) from outcome
            if isinstance(outcome, BaseException):
                raise outcome
            finish_render(job, self.stage, outcome, time.monotonic() - began, self.private_tex,
                          tex_cache_for(tex_dir, job.source, trusted=False))
            publish_staged(self.stage, render_dir / job.key)
        except BaseException:
            shutil.rmtree(self.stage, ignore_errors=True)
            raise
        output = cached_render(render_dir, job.key)
        if output is None:  # pragma: no cover - finish_render always writes a complete entry
            raise RenderError(f"the render of {job.slug} left an incomplete cache entry")
        return output

    def cancel(self) -> None:
        """Let the child go, and remove its folder (nothing of it is published)."""
        from builder.checks.dryrun import hand_over

        if not self._handed:
            self._handed = True
            hand_over(self.work, {"scene": None})
        self.scope.cancel()
        self._thread.join()
        shutil.rmtree(self.stage, ignore_errors=True)


@dataclass
class _Early:
    """One early render: its job, the thread that runs it, and how it ended."""

    job: RenderJob
    scope: CancelScope
    thread: threading.Thread | None = None
    output: RenderOutput | None = None
    error: Exception | None = None
    #: The child started before the scene was known, when one fit the job.
    warm: WarmRender | None = None


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
    _warm: dict[str, WarmRender] = field(default_factory=dict, repr=False)
    _closed: bool = False

    def prewarm(self, slug: str, quality: str, renderer: str, extra: tuple[str, ...] = ()) -> bool:
        """Have a child for the slug's early render loading Manim now, before its scene is known
        (before the model's answer, or before the answer's checks); `start` hands it the scene
        if its job has these flags. A child the slug has with these flags is kept; one with
        others is let go. True when one waits: it holds a place as a render does."""
        flags = (quality, renderer, extra)
        with self._lock:
            kept = self._warm.get(slug)
            if kept is not None and kept.flags == flags and kept.usable():
                return True
        self.cancel(slug)
        with self._lock:
            if self._closed or self._running >= self.limit:
                return False
            self._running += 1
        try:
            warm = WarmRender(self.render_dir, quality=quality, renderer=renderer, extra=extra,
                              timeout=self.timeout, runner=self.runner)
        except Exception as exc:  # no warm child only costs time: the render starts cold
            log.warning("early render of %s: no warm child (%s)", slug, exc)
            self._release()
            return False
        with self._lock:
            if not self._closed:
                self._warm[slug] = warm
                return True
        self._let_go(warm)  # the build ended meanwhile
        return False

    def start(self, slug: str, job: RenderJob) -> None:
        """Render `job` now, in a thread, unless it is cached or `limit` early renders run
        already; an early render of the slug still running is cancelled. A waiting child that
        fits the job renders it: the slug's own, or one another concept waits with for its
        answer (that concept starts another when its answer comes, if a place is free)."""
        with self._lock:
            warm = self._warm.pop(slug, None)
            unfit = warm if warm is not None and not warm.fits(job) else None
            if warm is None or unfit is not None:
                spare = next((other for other, child in self._warm.items() if child.fits(job)), None)
                warm = self._warm.pop(spare) if spare is not None else None
        if unfit is not None:
            self._let_go(unfit)
        self.cancel(slug)  # an older one of the slug (an earlier attempt) frees its place first
        if cached_render(self.render_dir, job.key) is not None:
            if warm is not None:
                self._let_go(warm)
            return
        early = _Early(job, warm.scope if warm is not None else CancelScope(), warm=warm)
        early.thread = threading.Thread(target=self._run, args=(early,), daemon=True,
                                        name=f"early-render-{slug}")
        with self._lock:
            started = not self._closed and (warm is not None or self._running < self.limit)
            if started:
                if warm is None:
                    self._running += 1
                self._by_slug[slug] = early
                early.thread.start()  # under the lock: whoever finds it registered can join it
        if not started and warm is not None:
            self._let_go(warm)

    def _run(self, early: _Early) -> None:
        # A warm child runs in its own thread, in its own scope (which early.scope is).
        with early.scope if early.warm is None else contextlib.nullcontext():
            try:
                if early.warm is not None:
                    early.output = early.warm.render(early.job, render_dir=self.render_dir, tex_dir=self.tex_dir)
                else:
                    early.output = render_scene(early.job, render_dir=self.render_dir, tex_dir=self.tex_dir,
                                                timeout=self.timeout, runner=self.runner)
            except (RenderError, ToolError) as exc:
                early.error = exc
            except Exception as exc:  # reported to the render stage, which renders again
                log.warning("early render of %s: %s", early.job.slug, exc)
                early.error = exc
            finally:
                self._release()

    def _release(self) -> None:
        with self._lock:
            self._running -= 1

    def _let_go(self, warm: WarmRender) -> None:
        """A warm child no render will use: stopped, its place freed."""
        warm.cancel()
        self._release()

    def cancel(self, slug: str) -> None:
        """Stop the slug's early render (or its warm child), if any: nothing of it is published."""
        with self._lock:
            early = self._by_slug.pop(slug, None)
            warm = self._warm.pop(slug, None)
        if early is not None:
            _stop(early)
        if warm is not None:
            self._let_go(warm)

    def holds(self, slug: str, key: str) -> bool:
        """Is there an early render of `key` for the slug, running or done, not yet taken?"""
        with self._lock:
            early = self._by_slug.get(slug)
        return early is not None and early.job.key == key

    def take(self, slug: str, key: str) -> RenderOutput | None:
        """The slug's early render of `key`, waited for; None when there is none to take (another
        key, which is cancelled, or one cancelled or broken by something outside the scene).

        A render that failed on the scene raises that RenderError: the same job would again.
        """
        with self._lock:
            early = self._by_slug.pop(slug, None)
            warm = self._warm.pop(slug, None)
        if warm is not None:  # never handed a scene (the static checks ended another way)
            self._let_go(warm)
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
            warm, self._warm = list(self._warm.values()), {}
        for early in left:
            _stop(early)
        for child in warm:
            self._let_go(child)


def _stop(early: _Early) -> None:
    early.scope.cancel()
    if early.thread is not None:
        early.thread.join()
