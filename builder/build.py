"""The orchestrator: validate every spec, then generate, render, compile notes, build the site.

Stages do not know each other; this module calls them in order and records what
happened to each concept in the build report. A failing concept never stops the others.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from builder import __version__
from builder.author import ensure_scene
from builder.errors import MathreelError, NotesError, RenderError
from builder.fsutil import project_lock, read_json, sweep_partials, write_json
from builder.keys import explain_change
from builder.notes import build_notes, cached_notes, notes_key, notes_key_parts, pandoc_version
from builder.render import RenderOutput, cached_render, manim_version, render_job, render_scene
from builder.runner import Runner, run
from builder.sandbox import Policy
from builder.scenes import SceneEntry, update_meta
from builder.settings import Settings
from builder.spec import Concept, load_concepts

log = logging.getLogger(__name__)

REPORT_SCHEMA = 1


class Progress(Protocol):
    """Where the orchestrator tells what it does; the CLI prints, tests collect."""

    def stage(self, name: str, total: int) -> None: ...
    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None: ...
    def model(self, slug: str, event: Any) -> None: ...


class LogProgress:
    """Progress that only logs (the default outside the CLI)."""

    def stage(self, name: str, total: int) -> None:
        """A stage starts with `total` items."""
        log.info("%s: %d item(s)", name, total)

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        """One item finished a stage."""
        log.info("%s %s: %s %s", stage, slug, status, detail)

    def model(self, slug: str, event: Any) -> None:
        """Live progress of a model call (ignored here)."""


@dataclass
class ConceptReport:
    """What the build did with one concept; written to the build report."""

    slug: str
    title: str
    status: str = "pending"  # built | cached | failed
    provenance: str = ""
    generator: str = ""
    scene_class: str = ""
    hand_edited: bool = False
    render_key: str | None = None
    render: dict[str, Any] | None = None
    notes_key: str | None = None
    notes: dict[str, Any] | None = None
    redone: list[str] = field(default_factory=list)
    error: str | None = None
    error_stage: str | None = None
    last_good_render_key: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    variants: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BuildReport:
    """The whole build: per-concept reports, versions and totals."""

    concepts: dict[str, ConceptReport]
    started: str
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    site_error: str | None = None

    @property
    def failed(self) -> list[ConceptReport]:
        """Concepts that failed at some stage."""
        return [c for c in self.concepts.values() if c.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        """The report as stored in `.cache/build/report.json`."""
        return {
            "schema": REPORT_SCHEMA,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "versions": self.versions,
            "site_error": self.site_error,
            "concepts": {slug: asdict(c) for slug, c in sorted(self.concepts.items())},
        }


@dataclass(frozen=True)
class BuildOptions:
    """Choices of one `mathreel build` run."""

    only: tuple[str, ...] = ()
    regenerate: bool = False
    site: bool = True
    page_url_base: str | None = None
    scheduler: str | None = None


def load_report(settings: Settings) -> dict[str, Any]:
    """The previous build's report (empty when none or unreadable)."""
    report = read_json(settings.report_path)
    if report is None or report.get("schema") != REPORT_SCHEMA:
        return {"concepts": {}}
    return report


def _process(concept: Concept, entry: SceneEntry, settings: Settings, previous: dict[str, Any],
             report: ConceptReport, options: BuildOptions, runner: Runner,
             progress: Progress, remote: Any = None, titles: dict[str, str] | None = None) -> None:
    """Render and compile notes for one concept, filling in its report."""
    quality = concept.scene.quality or settings.quality
    plan = _quality_plan(entry, quality, settings)
    if plan.refusal:
        _render_failed(report, RenderError(f"{concept.slug}: {plan.refusal}"), previous, settings,
                       progress, concept.slug)
        return
    quality = plan.quality
    scene_class = entry.scene_class or concept.scene_class
    found = _chapter_scenes(entry)
    if found and scene_class not in [name for name, _ in found]:
        scene_class = found[0][0]  # the file's own scene (the first, when chapters are off)
    scenes = found if len(found) > 1 and concept.scene.chapters else []
    choice = choose_renderer(concept.slug, entry.source, scene_class,
                             wanted=concept.scene.renderer or settings.renderer,
                             where=f"concepts/{concept.slug}.yaml" if concept.scene.renderer else "mkdocs.yml",
                             cache_dir=settings.cache_dir, tex_dir=settings.tex_dir, runner=runner,
                             trusted=entry.trusted, policy=settings.policy,
                             facts=None if entry.hand_edited else _preflight_facts(entry),
                             quality=quality)
    renderer_note: dict[str, Any] = {"renderer": choice.renderer, "why": choice.reason}
    if choice.measured:
        renderer_note["measured"] = choice.measured
    if len(scenes) > 1:
        rendered = _render_chapters(concept, entry, scenes, choice.renderer, quality, settings,
                                    previous, report, runner, progress, remote)
    else:
        rendered = _render_one(concept, entry, scene_class, choice.renderer, quality, settings,
                               previous, report, runner, progress, remote, renderer_note)
    if rendered is None:
        return  # the failure is in the report
    output, render_parts = rendered
    report.render_key = output.key
    # meta.json is committed: it records the renderer decision and why (a fallback too).
    if entry.meta.get("renderer") != renderer_note and (entry.provenance == "model"
                                                        or "fallback" in renderer_note):
        update_meta(entry, renderer=renderer_note)
    layout = output.layout()
    report.render = {"seconds": round(output.seconds, 3), "duration": round(output.duration, 3),
                     "size": output.size, "quality": output.quality, "parts": render_parts,
                     "renderer": renderer_note, "layout": layout, "sandbox": output.sandbox,
                     "chapters": [asdict(c) for c in output.chapters()],
                     "anchors": _anchor_times(concept, output)}
    if plan.note:
        report.render["quality_note"] = plan.note
        progress.item("render", concept.slug, "warn", plan.note)
    unseen = [a["label"] for a in report.render["anchors"] if a["time"] is None]
    if unseen and any(r.startswith("render: ") for r in report.redone):
        progress.item("anchors", concept.slug, "warn",
                      f"not shown in the video: {', '.join(unseen)} (set repair_anchors: true to "
                      "send this back to the model)")
    if output.sandbox and not output.sandbox.startswith("bubblewrap"):
        log.warning("%s was rendered without the sandbox: %s", concept.slug, output.sandbox)
    if "webm" in (concept.scene.formats or settings.formats):
        try:
            report.render["webm_key"] = _webm(output, settings, report, progress, concept.slug)
        except MathreelError as exc:
            progress.item("render", concept.slug, "warn", f"no WebM: {str(exc).splitlines()[0]}")
    if layout and "render: " in " ".join(report.redone):
        shown = "; ".join(f"{w.get('kind')} {' / '.join(w.get('names', []))} at {w.get('time')} s"
                          for w in layout[:3])
        progress.item("layout", concept.slug, "warn", f"{len(layout)} warning(s): {shown}")

    page_url = f"{options.page_url_base}concepts/{concept.slug}/" if options.page_url_base else None
    frames = [(output.folder / str(f["file"]), float(f["time"])) for f in output.storyboard()]
    chapters = [(c.title, c.start, c.end) for c in output.chapters()]
    anchor_times = {str(a["latex"]): a["time"] for a in report.render["anchors"]}
    parts = notes_key_parts(concept, entry.notes, render_key=output.key, pandoc=pandoc_version(runner),
                            page_url=page_url, titles=titles, chapters=chapters, anchor_times=anchor_times)
    key = notes_key(parts)
    report.notes_key = key
    notes = cached_notes(settings.notes_dir, key)
    if notes is None:
        reason = explain_change(previous.get("notes_parts"), parts)
        try:
            notes = build_notes(concept, entry.notes, parts=parts, notes_dir=settings.notes_dir,
                                poster=output.poster, storyboard=frames, titles=titles,
                                page_url=page_url, generator=report.generator, runner=runner,
                                chapters=chapters, anchor_times=anchor_times)
        except NotesError as exc:
            report.status, report.error, report.error_stage = "failed", str(exc), "notes"
            progress.item("notes", concept.slug, "failed", str(exc).splitlines()[0])
            return
        report.redone.append(f"notes: {reason}")
        progress.item("notes", concept.slug, "done", reason)
    report.notes = {"pages": notes.pages, "parts": parts}
    report.status = "built" if report.redone else "cached"


def _render_one(concept: Concept, entry: SceneEntry, scene_class: str, renderer: str,
                quality: str, settings: Settings, previous: dict[str, Any], report: ConceptReport,
                runner: Runner, progress: Progress, remote: Any,
                renderer_note: dict[str, Any]) -> tuple[RenderOutput, dict[str, Any]] | None:
    """Render a one-scene concept (OpenGL falls back to Cairo); None when it failed."""
    trusted, policy = entry.trusted, settings.policy
    job = render_job(concept.slug, entry.source, scene_class, quality, renderer,
                     trusted=trusted, policy=policy)
    report.render_key = job.key
    output = cached_render(settings.render_dir, job.key)
    if output is None and job.renderer == "opengl":
        # OpenGL may have failed before for this scene: the Cairo fallback is then cached.
        fallback = render_job(concept.slug, entry.source, scene_class, quality, "cairo",
                              trusted=trusted, policy=policy)
        previous_fallback = previous.get("renderer_fallback")
        if previous_fallback and cached_render(settings.render_dir, fallback.key) is not None:
            job, output = fallback, cached_render(settings.render_dir, fallback.key)
            renderer_note.update(renderer="cairo", fallback=previous_fallback)
            report.render_key = job.key
    if output is None:
        reason = explain_change(previous.get("render_parts"), job.key_parts)
        progress.item("render", concept.slug, "start", f"{reason} ({job.renderer})")
        try:
            output = _render(job, settings, runner, remote)
        except RenderError as exc:
            if job.renderer != "opengl":
                _render_failed(report, exc, previous, settings, progress, concept.slug)
                return None
            why = f"OpenGL failed: {str(exc).splitlines()[-1][:200]}"
            progress.item("render", concept.slug, "retry", f"{why}; falling back to Cairo")
            job = render_job(concept.slug, entry.source, scene_class, quality, "cairo",
                             trusted=trusted, policy=policy)
            renderer_note.update(renderer="cairo", fallback=why)
            report.render_key = job.key
            try:
                output = cached_render(settings.render_dir, job.key) or _render(job, settings, runner, remote)
            except RenderError as again:
                _render_failed(report, again, previous, settings, progress, concept.slug)
                return None
        report.redone.append(f"render: {reason}")
        progress.item("render", concept.slug, "done", f"{output.seconds:.1f} s, {reason}")
    return output, job.key_parts


def _preflight_facts(entry: SceneEntry) -> dict[str, Any] | None:
    """The model answer's preflight facts recorded in meta.json, if any."""
    facts = entry.meta.get("preflight")
    return facts if isinstance(facts, dict) and facts else None


def _quality_plan(entry: SceneEntry, quality: str, settings: Settings) -> Any:
    """From the model answer's preflight estimate: the quality that fits `render_timeout`."""
    from builder.render import plan_quality

    facts = entry.meta.get("preflight")
    if not isinstance(facts, dict) or entry.hand_edited:
        return plan_quality({}, quality, settings.render_timeout)
    raw = facts.get("estimate")
    estimate = {str(k): float(v) for k, v in raw.items()
                if isinstance(v, int | float)} if isinstance(raw, dict) else {}
    seconds = facts.get("video_seconds")
    return plan_quality(estimate, quality, settings.render_timeout,
                        video_seconds=float(seconds) if isinstance(seconds, int | float) else None)


def _webm(output: RenderOutput, settings: Settings, report: ConceptReport, progress: Progress,
          slug: str) -> str:
    """The VP9 WebM beside a render's MP4, cached under its own key (made once per video)."""
    from builder.fsutil import staging_dir
    from builder.keys import make_key
    from builder.media import write_webm

    key = make_key("webm", {"render": output.key, "codec": "vp9"})
    final = settings.cache_dir / "webm" / key
    if (final / "video.webm").is_file():
        return key
    started = time.monotonic()
    with staging_dir(final) as stage:
        write_webm(output.video, stage / "video.webm")
    report.redone.append("webm: new")
    progress.item("render", slug, "done", f"WebM in {time.monotonic() - started:.1f} s")
    return key


def _anchor_times(concept: Concept, output: RenderOutput) -> list[dict[str, Any]]:
    """When each anchor first shows in the video (time None: never), in the spec's order."""
    from builder.checks.dryrun import anchor_times

    times = anchor_times([a.latex for a in concept.anchors], output.tex_seen())
    return [{"label": a.label, "latex": a.latex, "time": times.get(a.latex)} for a in concept.anchors]


def _chapter_scenes(entry: SceneEntry) -> list[tuple[str, str]]:
    """(class, title) of every Scene class of the file, in file order: the chapters."""
    return [(info.name, info.title) for info in _scene_infos(entry)]


def _render_chapters(concept: Concept, entry: SceneEntry, scenes: list[tuple[str, str]],
                     renderer: str, quality: str, settings: Settings, previous: dict[str, Any],
                     report: ConceptReport, runner: Runner, progress: Progress,
                     remote: Any) -> tuple[RenderOutput, dict[str, Any]] | None:
    """Render each chapter (cached by its own key, in parallel), then join them into one video."""
    from builder.chapters import chapter_code
    from builder.render import join_chapters

    names = [name for name, _ in scenes]
    jobs = [render_job(f"{concept.slug}#{i + 1}", entry.source, name, quality, renderer,
                       trusted=entry.trusted, policy=settings.policy,
                       code=chapter_code(entry.source, name, names))
            for i, (name, _) in enumerate(scenes)]
    old_parts = previous.get("render_parts") or {}
    old_chapters = old_parts.get("chapters") if isinstance(old_parts, dict) else None

    def one(index: int) -> RenderOutput:
        job = jobs[index]
        cached = cached_render(settings.render_dir, job.key)
        if cached is not None:
            return cached
        before = old_chapters[index] if isinstance(old_chapters, list) and index < len(old_chapters) else None
        reason = explain_change(before, job.key_parts)
        progress.item("render", job.slug, "start", f"{reason} ({scenes[index][0]})")
        try:
            try:
                output = _render(job, settings, runner, remote)
            except RenderError:
                if job.renderer != "opengl":
                    raise
                name = scenes[index][0]
                job = render_job(job.slug, entry.source, name, quality, "cairo", trusted=entry.trusted,
                                 policy=settings.policy, code=chapter_code(entry.source, name, names))
                output = cached_render(settings.render_dir, job.key) or _render(job, settings, runner, remote)
        except RenderError as exc:
            name, _ = scenes[index]
            line = next((i.line for i in _scene_infos(entry) if i.name == name), None)
            raise RenderError(f"chapter {index + 1} of {len(scenes)} ({name}"
                              f"{f', scene.py line {line}' if line else ''}): {exc}") from exc
        report.redone.append(f"render: chapter {index + 1} ({scenes[index][0]}): {reason}")
        progress.item("render", job.slug, "done", f"{output.seconds:.1f} s, {reason}")
        return output

    workers = max(1, min(len(jobs), settings.effective_jobs()))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chapter") as pool:
            parts = list(pool.map(one, range(len(jobs))))
        output = join_chapters(concept.slug, parts, scenes, render_dir=settings.render_dir)
    except RenderError as exc:
        _render_failed(report, exc, previous, settings, progress, concept.slug)
        return None
    return output, {"chapters": [j.key_parts for j in jobs]}


def _scene_infos(entry: SceneEntry) -> list[Any]:
    from builder.checks.contract import scene_classes

    return scene_classes(entry.source)


def choose_renderer(slug: str, source: str, scene_class: str, *, wanted: str, where: str,
                    cache_dir: Path, tex_dir: Path, runner: Runner, trusted: bool,
                    policy: Policy, facts: Any = None, quality: str = "l") -> Any:
    """The renderer for a scene (auto: from the preflight's facts, measured once)."""
    from builder.renderer import Choice, choose

    try:
        return choose(source, scene_class, wanted=wanted, where=where, cache_dir=cache_dir,
                      tex_dir=tex_dir, runner=runner, trusted=trusted, policy=policy, facts=facts,
                      quality=quality)
    except MathreelError as exc:
        log.warning("%s: renderer probe failed (%s); using Cairo", slug, exc)
        return Choice("cairo", f"auto: the probe failed ({exc})")


def _render(job: Any, settings: Settings, runner: Runner, remote: Any) -> RenderOutput:
    if remote is not None:
        output: RenderOutput = remote.render(job, render_dir=settings.render_dir,
                                             timeout=settings.render_timeout)
        return output
    return render_scene(job, render_dir=settings.render_dir, tex_dir=settings.tex_dir,
                        timeout=settings.render_timeout, runner=runner)


def _render_failed(report: ConceptReport, exc: Exception, previous: dict[str, Any],
                   settings: Settings, progress: Progress, slug: str) -> None:
    report.status, report.error, report.error_stage = "failed", str(exc), "render"
    last = previous.get("render_key") or previous.get("last_good_render_key")
    if last and cached_render(settings.render_dir, last) is not None:
        report.last_good_render_key = last
    progress.item("render", slug, "failed", str(exc).splitlines()[0])


def run_pipeline(settings: Settings, options: BuildOptions = BuildOptions(), *,
                 runner: Runner = run, progress: Progress | None = None,
                 concepts: Sequence[Concept] | None = None) -> BuildReport:
    """Validate every spec, then generate, render and compile notes; write the report."""
    progress = progress or LogProgress()
    started = time.monotonic()
    all_concepts = list(concepts) if concepts is not None else load_concepts(settings.concepts_dir)
    unknown = [slug for slug in options.only if slug not in {c.slug for c in all_concepts}]
    if unknown:
        raise MathreelError(f"--only: no concept named {', '.join(unknown)} in {settings.concepts_dir}")
    with project_lock(settings.lock_path):
        swept = sweep_partials(settings.cache_dir) + sweep_partials(settings.scenes_dir)
        if swept:
            log.warning("removed %d unfinished item(s) left by an interrupted build", swept)
        previous = load_report(settings)["concepts"]
        titles = {c.slug: c.title for c in all_concepts}
        report = BuildReport(concepts={}, started=datetime.now(UTC).isoformat(timespec="seconds"),
                             versions={"mathreel": __version__, "manim": manim_version()})
        selected = [c for c in all_concepts if not options.only or c.slug in options.only]
        # Concepts left out by --only keep their previous report entry, so the site stays whole.
        for concept in all_concepts:
            if concept not in selected and concept.slug in previous:
                report.concepts[concept.slug] = ConceptReport(**_known_fields(previous[concept.slug]))

        progress.stage("generate", len(selected))
        entries: dict[str, SceneEntry] = {}
        generate_failures: dict[str, str] = {}
        variant_entries: dict[str, list[tuple[str, SceneEntry]]] = {}
        for concept in selected:
            report.concepts[concept.slug] = ConceptReport(slug=concept.slug, title=concept.title)
        # Model calls wait on the network, checks run on the cores: up to `model_concurrency`
        # requests in flight and one check per core at once, each concept holding a model slot
        # only while it waits for an answer (one concept at a time when the setting is 1).
        from builder.author import Slots

        checks = settings.effective_jobs()
        slots = Slots.of(settings.model_concurrency, checks)
        workers = 1 if settings.model_concurrency == 1 else \
            max(1, min(settings.model_concurrency + checks, len(selected) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generate") as pool:
            generated = pool.map(lambda c: _generate(c, settings, titles, options, runner, progress,
                                                     report.concepts[c.slug], slots), selected)
            for concept, (entry, failure, variants) in zip(selected, generated, strict=True):
                if entry is not None:
                    entries[concept.slug] = entry
                if failure:
                    generate_failures[concept.slug] = failure
                if variants:
                    variant_entries[concept.slug] = variants

        from builder.sandbox import bwrap_works, describe

        if entries and not bwrap_works():
            log.warning("sandbox %s", describe())
            if not settings.sandbox:
                log.warning("sandbox: off - model-written scenes run UNCONFINED in this build")
        progress.stage("render", len(entries) + sum(len(v) for v in variant_entries.values()))
        pandoc_version(runner)  # fail fast, before any render, when pandoc is missing
        by_slug = {c.slug: c for c in selected}
        remote = None
        if options.scheduler:
            from builder.distributed import DaskRenderer

            remote = DaskRenderer(options.scheduler)
        render_slots = remote.slots() if remote is not None else settings.effective_jobs()
        jobs = max(1, min(render_slots, len(entries) or 1))
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="render") as pool:
            futures = {
                pool.submit(_process, by_slug[slug], entry, settings, _previous_parts(previous.get(slug)),
                            report.concepts[slug], options, runner, progress, remote, titles): slug
                for slug, entry in entries.items()
            }
            futures.update({
                pool.submit(_render_variant, by_slug[slug], name, entry, settings, report.concepts[slug],
                            runner, progress, remote): slug
                for slug, variants in variant_entries.items() for name, entry in variants
            })
            for future in as_completed(futures):
                slug = futures[future]
                try:
                    future.result()
                except MathreelError as exc:
                    item = report.concepts[slug]
                    item.status, item.error, item.error_stage = "failed", str(exc), item.error_stage or "render"
                progress.item("render", slug, "finished")
        if remote is not None:
            remote.close()
        for slug, failure in generate_failures.items():
            # The last good scene was rendered above; the concept still counts as failed.
            item = report.concepts[slug]
            item.status, item.error, item.error_stage = "failed", failure, "generate"
        report.seconds = time.monotonic() - started
        write_json(settings.report_path, report.to_json())
    return report


def _generate(concept: Concept, settings: Settings, titles: dict[str, str], options: BuildOptions,
              runner: Runner, progress: Progress, item: ConceptReport, slots: Any = None,
              ) -> tuple[SceneEntry | None, str | None, list[tuple[str, SceneEntry]]]:
    """Generate stage for one concept: (scene to render or None, failure, model variants)."""
    try:
        authored = ensure_scene(concept, settings, titles, regenerate=options.regenerate,
                                runner=runner, on_model_progress=progress.model, slots=slots)
    except MathreelError as exc:
        item.status, item.error, item.error_stage = "failed", str(exc), "generate"
        progress.item("generate", concept.slug, "failed", str(exc).splitlines()[0])
        progress.item("generate", concept.slug, "finished")
        return None, None, []
    entry, reason = authored.entry, authored.reason
    if authored.failure:
        progress.item("generate", concept.slug, "failed", authored.failure.splitlines()[0])
    variants = (_author_variants(concept, settings, options, runner, progress, item, slots)
                if concept.models[1:] else [])
    item.provenance = entry.provenance
    item.generator = str(entry.meta.get("generator") or entry.meta.get("model") or entry.provenance)
    item.scene_class = entry.scene_class or concept.scene_class
    item.hand_edited = entry.hand_edited
    item.meta = {k: v for k, v in entry.meta.items() if k not in ("key_parts",)}
    if reason:
        item.redone.append(f"generate: {reason}")
        progress.item("generate", concept.slug, "done", reason)
    elif entry.hand_edited:
        progress.item("generate", concept.slug, "kept", "hand-edited scene.py kept")
    progress.item("generate", concept.slug, "finished")
    return entry, authored.failure, variants


def _author_variants(concept: Concept, settings: Settings, options: BuildOptions, runner: Runner,
                     progress: Progress, item: ConceptReport,
                     slots: Any = None) -> list[tuple[str, SceneEntry]]:
    """Generate the extra model variants of a concept; failures are recorded, not raised."""
    from builder.author import ensure_variants

    try:
        authored = ensure_variants(concept, settings, regenerate=options.regenerate, runner=runner,
                                   on_model_progress=progress.model, slots=slots)
    except MathreelError as exc:
        item.variants.append({"model": "?", "status": "failed", "error": str(exc)})
        progress.item("generate", concept.slug, "failed", f"variants: {str(exc).splitlines()[0]}")
        return []
    out = []
    for name, result in authored:
        if result.reason:
            progress.item("generate", f"{concept.slug} [{name}]", "done", result.reason)
        out.append((name, result.entry))
    return out


def _render_variant(concept: Concept, name: str, entry: SceneEntry, settings: Settings,
                    report: ConceptReport, runner: Runner, progress: Progress, remote: Any) -> None:
    """Render one model variant of a concept (no notes PDF: the main scene's notes stand)."""
    from builder.author import variant_name

    quality = concept.scene.quality or settings.quality
    job = render_job(f"{concept.slug}@{variant_name(name)}", entry.source,
                     entry.scene_class or concept.scene_class, quality, trusted=entry.trusted,
                     policy=settings.policy)
    record: dict[str, Any] = {"model": name, "folder": variant_name(name), "render_key": job.key,
                              "status": "cached", "meta": {k: v for k, v in entry.meta.items() if k != "key_parts"}}
    report.variants.append(record)
    if cached_render(settings.render_dir, job.key) is not None:
        return
    try:
        _render(job, settings, runner, remote)
    except RenderError as exc:
        record.update(status="failed", error=str(exc), render_key=None)
        progress.item("render", job.slug, "failed", str(exc).splitlines()[0])
        return
    record["status"] = "built"
    progress.item("render", job.slug, "done", "new")


def _known_fields(data: dict[str, Any]) -> dict[str, Any]:
    names = set(ConceptReport.__dataclass_fields__)
    return {k: v for k, v in data.items() if k in names}


def _previous_parts(entry: dict[str, Any] | None) -> dict[str, Any]:
    """The key parts the previous build used for a concept, to say why something is redone."""
    if not entry:
        return {}
    render = entry.get("render") or {}
    notes = entry.get("notes") or {}
    return {
        "render_parts": render.get("parts"),
        "notes_parts": notes.get("parts"),
        "render_key": entry.get("render_key") if entry.get("status") != "failed" else None,
        "last_good_render_key": entry.get("last_good_render_key"),
        "renderer_fallback": ((render.get("renderer") or {}).get("fallback")),
    }


def build_site(settings: Settings, mkdocs_config: Any) -> None:
    """Run MkDocs (Material, macros, our plugin) over what the pipeline left in the cache.

    MkDocs writes into a staging folder beside `site_dir`, which is swapped in only when the
    build succeeded: a failed or killed build leaves the previous site (or, killed between the
    two renames of the swap, none), never a mix of old and new pages.
    """
    import shutil

    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import MkDocsException

    from builder.errors import SiteError
    from builder.fsutil import staging_dir

    original = mkdocs_config["site_dir"]
    site = Path(original)
    # The pipeline's lock is released by now: hold it again so that two builds never sweep or
    # swap each other's staging folder.
    with project_lock(settings.lock_path):
        # Leftovers of a site build killed before or inside its swap (staging_dir's names).
        for leftover in site.parent.glob(f".{site.name}.*"):
            if leftover.is_dir() and (leftover.name.endswith(".partial") or ".old-" in leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)
        try:
            with staging_dir(site, kill_points=("site-write", "site-swap")) as stage:
                # MkDocs' config is a dict whose `site_dir` every writer reads at build time
                # (File.generated, the search index, static files); restored below.
                mkdocs_config["site_dir"] = str(stage)
                try:
                    mkdocs_build(mkdocs_config)
                finally:
                    mkdocs_config["site_dir"] = original
        except MkDocsException as exc:
            raise SiteError(f"MkDocs failed: {exc}") from exc


def build(config_file: Path, options: BuildOptions = BuildOptions(), *,
          overrides: dict[str, Any] | None = None, runner: Runner = run,
          progress: Progress | None = None,
          on_settings: Callable[[Settings], None] | None = None) -> BuildReport:
    """`mathreel build`: the pipeline, then the site; the report says what failed."""
    from builder.settings import load_settings

    settings, mkdocs_config = load_settings(config_file)
    from builder.settings import env_overrides

    settings = settings.with_overrides(**env_overrides(os.environ)).with_overrides(**(overrides or {}))
    if on_settings:
        on_settings(settings)
    site_url = mkdocs_config.get("site_url")
    if site_url and options.page_url_base is None:
        options = replace(options, page_url_base=site_url if site_url.endswith("/") else site_url + "/")
    report = run_pipeline(settings, options, runner=runner, progress=progress)
    if options.site:
        if progress:
            progress.stage("site", 1)
        plugin = mkdocs_config.plugins["mathreel"]
        # MkDocs reuses plugin instances across config loads in one process: hand this
        # build's settings over for this site build only.
        plugin.settings_override = settings
        try:
            build_site(settings, mkdocs_config)
        except MathreelError as exc:
            report.site_error = str(exc)
        finally:
            plugin.settings_override = None
    return report
