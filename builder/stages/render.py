"""Render stage: a concept's scene becomes its video.

Plans the quality from the preflight's estimate, chooses the renderer (Cairo or OpenGL), renders
one scene or each chapter of a multi-scene file (joined into one video), falls back from OpenGL
to Cairo when OpenGL fails, and adds the WebM and the anchors' times. Every render is cached by
its key, so an unchanged scene costs nothing.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from builder.errors import MathreelError, RenderError
from builder.keys import explain_change
from builder.record import AnchorTime, ConceptRecord, RendererDecision, RenderFacts, VariantRecord
from builder.scenes import SceneEntry, update_meta
from builder.spec import Concept
from builder.stages import BuildContext, StageFailure
from builder.video.render import (
    QualityPlan,
    RenderJob,
    RenderOutput,
    cached_render,
    plan_quality,
    render_job,
    render_scene,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """The render stage's result: the published video and what the record keeps of it."""

    output: RenderOutput
    facts: RenderFacts
    redone: tuple[str, ...] = ()


def render_concept(ctx: BuildContext, concept: Concept, entry: SceneEntry) -> Rendered | StageFailure:
    """Render a concept's scene (cached by key); a failure names the stage and keeps a last good video."""
    settings, progress = ctx.settings, ctx.progress
    previous = ctx.previous.get(concept.slug)
    plan = _quality_plan(entry, concept.scene.quality or settings.quality, ctx)
    if plan.refusal:
        return _failed(ctx, concept.slug, RenderError(f"{concept.slug}: {plan.refusal}"))
    scene_class, scenes = _scenes_to_render(concept, entry)
    choice = choose_renderer(ctx, concept, entry, scene_class, plan.quality)
    decision = RendererDecision(choice.renderer, choice.reason, dict(choice.measured or {}))
    redone: list[str] = []
    try:
        if len(scenes) > 1:
            output, parts = _render_chapters(ctx, concept, entry, scenes, decision.renderer,
                                             plan.quality, previous, redone)
        else:
            output, parts, decision = _render_one(ctx, concept, entry, scene_class, plan.quality,
                                                  previous, decision, redone)
    except RenderError as exc:
        return _failed(ctx, concept.slug, exc)
    # meta.json is committed: it records the renderer decision and why (a fallback too).
    if entry.meta.get("renderer") != decision.to_json() and (entry.provenance == "model"
                                                             or decision.fallback):
        update_meta(entry, renderer=decision.to_json())
    anchors = _anchor_times(concept, output)
    facts = RenderFacts(key=output.key, seconds=output.seconds, duration=output.duration,
                        size=output.size, quality=output.quality, renderer=decision,
                        sandbox=output.sandbox, parts=parts, layout=tuple(output.layout()),
                        chapters=tuple(output.chapters()), anchors=anchors,
                        quality_note=plan.note or "")
    _warn(ctx, concept, output, facts, plan, rendered_now=bool(redone))
    if "webm" in (concept.scene.formats or settings.formats):
        try:
            webm_key, made = _webm(ctx, output, concept.slug)
        except MathreelError as exc:
            progress.item("render", concept.slug, "warn", f"no WebM: {str(exc).splitlines()[0]}")
        else:
            facts = replace(facts, webm_key=webm_key)
            if made:
                redone.append("webm: new")
    return Rendered(output, facts, tuple(redone))


def _warn(ctx: BuildContext, concept: Concept, output: RenderOutput, facts: RenderFacts,
          plan: QualityPlan, *, rendered_now: bool) -> None:
    """Tell what the user may want to fix: quality lowered, anchors never shown, layout problems."""
    progress = ctx.progress
    if plan.note:
        progress.item("render", concept.slug, "warn", plan.note)
    if output.sandbox and not output.sandbox.startswith("bubblewrap"):
        log.warning("%s was rendered without the sandbox: %s", concept.slug, output.sandbox)
    if not rendered_now:
        return  # said when it was rendered
    unseen = [a.label for a in facts.anchors if a.time is None]
    if unseen:
        progress.item("anchors", concept.slug, "warn",
                      f"not shown in the video: {', '.join(unseen)} (set repair_anchors: true to "
                      "send this back to the model)")
    if facts.layout:
        shown = "; ".join(f"{w.get('kind')} {' / '.join(w.get('names', []))} at {w.get('time')} s"
                          for w in facts.layout[:3])
        progress.item("layout", concept.slug, "warn", f"{len(facts.layout)} warning(s): {shown}")


def _scenes_to_render(concept: Concept, entry: SceneEntry) -> tuple[str, list[tuple[str, str]]]:
    """The class to render, and (class, title) per chapter when the file's scenes are chapters."""
    from builder.checks.contract import scene_classes

    found = [(info.name, info.title) for info in scene_classes(entry.source)]
    scene_class = scene_to_render(entry.scene_class or concept.scene_class, [name for name, _ in found])
    return scene_class, found if len(found) > 1 and concept.scene.chapters else []


def scene_to_render(expected: str, found: list[str]) -> str:
    """The class to render: the expected one, or the file's own scene (the first, when chapters
    are off) when the file names it otherwise."""
    return found[0] if found and expected not in found else expected


def preflight_facts(entry: SceneEntry) -> dict[str, Any]:
    """The model answer's preflight summary kept in meta.json: {} when there is none, or when
    the scene was edited by hand since (the facts are of the model's code)."""
    facts = entry.meta.get("preflight")
    return facts if isinstance(facts, dict) and not entry.hand_edited else {}


def preflight_estimate(entry: SceneEntry) -> dict[str, float]:
    """The preflight's estimate of render seconds per quality ({} when unknown)."""
    raw = preflight_facts(entry).get("estimate")
    return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)} if isinstance(raw, dict) else {}


def _quality_plan(entry: SceneEntry, quality: str, ctx: BuildContext) -> QualityPlan:
    """From the model answer's preflight estimate: the quality that fits `render_timeout`."""
    seconds = preflight_facts(entry).get("video_seconds")
    return plan_quality(preflight_estimate(entry), quality, ctx.settings.render_timeout,
                        video_seconds=float(seconds) if isinstance(seconds, int | float) else None)


def choose_renderer(ctx: BuildContext, concept: Concept, entry: SceneEntry, scene_class: str,
                    quality: str) -> Any:
    """The renderer for a scene (auto: from the preflight's facts, measured once)."""
    from builder.video.choose import Choice, choose

    settings = ctx.settings
    facts = preflight_facts(entry)
    try:
        return choose(entry.source, scene_class, wanted=concept.scene.renderer or settings.renderer,
                      where=f"concepts/{concept.slug}.yaml" if concept.scene.renderer else "mkdocs.yml",
                      cache_dir=settings.cache_dir, tex_dir=settings.tex_dir, runner=ctx.runner,
                      trusted=entry.trusted, policy=settings.policy,
                      facts=facts or None,
                      quality=quality)
    except MathreelError as exc:
        log.warning("%s: renderer probe failed (%s); using Cairo", concept.slug, exc)
        return Choice("cairo", f"auto: the probe failed ({exc})")


def _job(ctx: BuildContext, slug: str, entry: SceneEntry, scene_class: str, quality: str,
         renderer: str, code: str | None = None) -> RenderJob:
    return render_job(slug, entry.source, scene_class, quality, renderer, trusted=entry.trusted,
                      policy=ctx.settings.policy, code=code)


def _render_one(ctx: BuildContext, concept: Concept, entry: SceneEntry, scene_class: str,
                quality: str, previous: ConceptRecord | None, decision: RendererDecision,
                redone: list[str]) -> tuple[RenderOutput, dict[str, Any], RendererDecision]:
    """Render a one-scene concept; OpenGL falls back to Cairo (remembered, so tried once)."""
    render_dir = ctx.settings.render_dir
    job = _job(ctx, concept.slug, entry, scene_class, quality, decision.renderer)
    # An early render of this job (below) may be published by now: it is this build's, not cached.
    early = ctx.early is not None and ctx.early.holds(concept.slug, job.key)
    output = None if early else cached_render(render_dir, job.key)
    old_fallback = previous.render.renderer.fallback if previous and previous.render else ""
    if output is None and job.renderer == "opengl" and old_fallback:
        # OpenGL failed before for this scene: its Cairo fallback is cached.
        fallback = _job(ctx, concept.slug, entry, scene_class, quality, "cairo")
        cached = cached_render(render_dir, fallback.key)
        if cached is not None:
            job, output = fallback, cached
            decision = replace(decision, renderer="cairo", fallback=old_fallback)
    if output is not None:
        return output, job.key_parts, decision
    reason = explain_change(previous.render.parts if previous and previous.render else None,
                            job.key_parts)
    ctx.progress.item("render", concept.slug, "start", f"{reason} ({job.renderer})")
    try:
        # The answer's own render may have started early, beside its preflight.
        output = (ctx.early.take(concept.slug, job.key) if ctx.early is not None else None) \
            or _render(ctx, job)
    except RenderError as exc:
        if job.renderer != "opengl":
            raise _KeyedRenderError(str(exc), job.key) from exc
        why = f"OpenGL failed: {str(exc).splitlines()[-1][:200]}"
        ctx.progress.item("render", concept.slug, "retry", f"{why}; falling back to Cairo")
        job = _job(ctx, concept.slug, entry, scene_class, quality, "cairo")
        decision = replace(decision, renderer="cairo", fallback=why)
        try:
            output = cached_render(render_dir, job.key) or _render(ctx, job)
        except RenderError as again:
            raise _KeyedRenderError(str(again), job.key) from again
    redone.append(f"render: {reason}")
    ctx.progress.item("render", concept.slug, "done", f"{output.seconds:.1f} s, {reason}")
    return output, job.key_parts, decision


class _KeyedRenderError(RenderError):
    """A render failure that knows which render key it was for."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def _render_chapters(ctx: BuildContext, concept: Concept, entry: SceneEntry,
                     scenes: list[tuple[str, str]], renderer: str, quality: str,
                     previous: ConceptRecord | None, redone: list[str]
                     ) -> tuple[RenderOutput, dict[str, Any]]:
    """Render each chapter (cached by its own key, in parallel), then join them into one video."""
    from builder.checks.contract import scene_classes
    from builder.video.chapters import chapter_code
    from builder.video.render import join_chapters

    names = [name for name, _ in scenes]
    render_dir = ctx.settings.render_dir

    def job_for(index: int, engine: str) -> RenderJob:
        name = names[index]
        return _job(ctx, f"{concept.slug}#{index + 1}", entry, name, quality, engine,
                    code=chapter_code(entry.source, name, names))

    jobs = [job_for(i, renderer) for i in range(len(scenes))]
    old_parts = previous.render.parts if previous and previous.render else {}
    old_chapters = old_parts.get("chapters")

    def one(index: int) -> RenderOutput:
        job = jobs[index]
        cached = cached_render(render_dir, job.key)
        if cached is not None:
            return cached
        before = old_chapters[index] if isinstance(old_chapters, list) and index < len(old_chapters) else None
        reason = explain_change(before, job.key_parts)
        ctx.progress.item("render", job.slug, "start", f"{reason} ({names[index]})")
        try:
            try:
                output = _render(ctx, job)
            except RenderError:
                if job.renderer != "opengl":
                    raise
                job = job_for(index, "cairo")
                output = cached_render(render_dir, job.key) or _render(ctx, job)
        except RenderError as exc:
            line = next((i.line for i in scene_classes(entry.source) if i.name == names[index]), None)
            raise RenderError(f"chapter {index + 1} of {len(scenes)} ({names[index]}"
                              f"{f', scene.py line {line}' if line else ''}): {exc}") from exc
        redone.append(f"render: chapter {index + 1} ({names[index]}): {reason}")
        ctx.progress.item("render", job.slug, "done", f"{output.seconds:.1f} s, {reason}")
        return output

    workers = max(1, min(len(jobs), ctx.settings.effective_jobs()))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chapter") as pool:
        parts = list(pool.map(one, range(len(jobs))))
    output = join_chapters(concept.slug, parts, scenes, render_dir=render_dir)
    return output, {"chapters": [j.key_parts for j in jobs]}


def _webm(ctx: BuildContext, output: RenderOutput, slug: str) -> tuple[str, bool]:
    """The VP9 WebM beside a render's MP4, cached under its own key: (key, made now)."""
    from builder.fsutil import staging_dir
    from builder.keys import make_key
    from builder.video.media import write_webm

    key = make_key("webm", {"render": output.key, "codec": "vp9"})
    final = ctx.settings.cache_dir / "webm" / key
    if (final / "video.webm").is_file():
        return key, False
    started = time.monotonic()
    with staging_dir(final) as stage:
        write_webm(output.video, stage / "video.webm")
    ctx.progress.item("render", slug, "done", f"WebM in {time.monotonic() - started:.1f} s")
    return key, True


def _anchor_times(concept: Concept, output: RenderOutput) -> tuple[AnchorTime, ...]:
    """When each anchor first shows in the video (time None: never), in the spec's order."""
    from builder.checks.dryrun import anchor_times

    times = anchor_times([a.latex for a in concept.anchors], output.tex_seen())
    return tuple(AnchorTime(a.label, a.latex, times.get(a.latex)) for a in concept.anchors)


def _render(ctx: BuildContext, job: RenderJob) -> RenderOutput:
    settings = ctx.settings
    if ctx.remote is not None:
        output: RenderOutput = ctx.remote.render(job, render_dir=settings.render_dir,
                                                 timeout=settings.render_timeout)
        return output
    return render_scene(job, render_dir=settings.render_dir, tex_dir=settings.tex_dir,
                        timeout=settings.render_timeout, runner=ctx.runner)


def _failed(ctx: BuildContext, slug: str, exc: Exception) -> StageFailure:
    """The failure, with the last render that worked (it keeps showing on the page)."""
    previous = ctx.previous.get(slug)
    last = None
    if previous is not None:
        last = (previous.render_key if previous.status != "failed" else None) \
            or previous.last_good_render_key
    if last and cached_render(ctx.settings.render_dir, last) is None:
        last = None
    ctx.progress.item("render", slug, "failed", str(exc).splitlines()[0])
    return StageFailure("render", str(exc), last_good_render_key=last,
                        render_key=getattr(exc, "key", None))


def render_variant(ctx: BuildContext, concept: Concept, name: str, entry: SceneEntry) -> VariantRecord:
    """Render one model variant of a concept (no notes PDF: the main scene's notes stand)."""
    from builder.stages.generate import variant_name

    folder = variant_name(name)
    job = _job(ctx, f"{concept.slug}@{folder}", entry, entry.scene_class or concept.scene_class,
               concept.scene.quality or ctx.settings.quality, "cairo")
    if cached_render(ctx.settings.render_dir, job.key) is not None:
        return VariantRecord(name, folder, "cached", job.key)
    try:
        _render(ctx, job)
    except RenderError as exc:
        ctx.progress.item("render", job.slug, "failed", str(exc).splitlines()[0])
        return VariantRecord(name, folder, "failed", None, str(exc))
    ctx.progress.item("render", job.slug, "done", "new")
    return VariantRecord(name, folder, "built", job.key)
