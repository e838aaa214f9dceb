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
from builder.render import cached_render, manim_version, render_job, render_scene
from builder.runner import Runner, run
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
    scene_class = entry.scene_class or concept.scene_class
    choice = choose_renderer(concept.slug, entry.source, scene_class,
                             wanted=concept.scene.renderer or settings.renderer,
                             where=f"concepts/{concept.slug}.yaml" if concept.scene.renderer else "mkdocs.yml",
                             cache_dir=settings.cache_dir, tex_dir=settings.tex_dir, runner=runner)
    job = render_job(concept.slug, entry.source, scene_class, quality, choice.renderer)
    renderer_note: dict[str, Any] = {"renderer": choice.renderer, "why": choice.reason}
    if choice.measured:
        renderer_note["measured"] = choice.measured
    report.render_key = job.key
    output = cached_render(settings.render_dir, job.key)
    if output is None and job.renderer == "opengl":
        # OpenGL may have failed before for this scene: the Cairo fallback is then cached.
        fallback = render_job(concept.slug, entry.source, scene_class, quality, "cairo")
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
                return
            why = f"OpenGL failed: {str(exc).splitlines()[-1][:200]}"
            progress.item("render", concept.slug, "retry", f"{why}; falling back to Cairo")
            job = render_job(concept.slug, entry.source, scene_class, quality, "cairo")
            renderer_note.update(renderer="cairo", fallback=why)
            report.render_key = job.key
            try:
                output = cached_render(settings.render_dir, job.key) or _render(job, settings, runner, remote)
            except RenderError as again:
                _render_failed(report, again, previous, settings, progress, concept.slug)
                return
        report.redone.append(f"render: {reason}")
        progress.item("render", concept.slug, "done", f"{output.seconds:.1f} s, {reason}")
    # meta.json is committed: it records a fallback (why OpenGL was given up); a measured
    # choice lives in .cache/renderer/ and the build report.
    if "fallback" in renderer_note and entry.meta.get("renderer") != renderer_note:
        update_meta(entry, renderer=renderer_note)
    layout = output.layout()
    report.render = {"seconds": round(output.seconds, 3), "duration": round(output.duration, 3),
                     "size": output.size, "quality": output.quality, "parts": job.key_parts,
                     "renderer": renderer_note, "layout": layout}
    if layout and "render: " in " ".join(report.redone):
        shown = "; ".join(f"{w.get('kind')} {' / '.join(w.get('names', []))} at {w.get('time')} s"
                          for w in layout[:3])
        progress.item("layout", concept.slug, "warn", f"{len(layout)} warning(s): {shown}")

    page_url = f"{options.page_url_base}concepts/{concept.slug}/" if options.page_url_base else None
    frames = [(output.folder / str(f["file"]), float(f["time"])) for f in output.storyboard()]
    parts = notes_key_parts(concept, entry.notes, render_key=job.key, pandoc=pandoc_version(runner),
                            page_url=page_url, titles=titles)
    key = notes_key(parts)
    report.notes_key = key
    notes = cached_notes(settings.notes_dir, key)
    if notes is None:
        reason = explain_change(previous.get("notes_parts"), parts)
        try:
            notes = build_notes(concept, entry.notes, parts=parts, notes_dir=settings.notes_dir,
                                poster=output.poster, storyboard=frames, titles=titles,
                                page_url=page_url, generator=report.generator, runner=runner)
        except NotesError as exc:
            report.status, report.error, report.error_stage = "failed", str(exc), "notes"
            progress.item("notes", concept.slug, "failed", str(exc).splitlines()[0])
            return
        report.redone.append(f"notes: {reason}")
        progress.item("notes", concept.slug, "done", reason)
    report.notes = {"pages": notes.pages, "parts": parts}
    report.status = "built" if report.redone else "cached"


def choose_renderer(slug: str, source: str, scene_class: str, *, wanted: str, where: str,
                    cache_dir: Path, tex_dir: Path, runner: Runner) -> Any:
    """The renderer for a scene (auto probes 3D scenes once and caches the decision)."""
    from builder.renderer import Choice, choose

    try:
        return choose(source, scene_class, wanted=wanted, where=where, cache_dir=cache_dir,
                      tex_dir=tex_dir, runner=runner)
    except MathreelError as exc:
        log.warning("%s: renderer probe failed (%s); using Cairo", slug, exc)
        return Choice("cairo", f"auto: the probe failed ({exc})")


def _render(job: Any, settings: Settings, runner: Runner, remote: Any) -> Any:
    if remote is not None:
        return remote.render(job, render_dir=settings.render_dir, timeout=settings.render_timeout)
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
            item = ConceptReport(slug=concept.slug, title=concept.title)
            report.concepts[concept.slug] = item
            try:
                authored = ensure_scene(concept, settings, titles, regenerate=options.regenerate,
                                        runner=runner, on_model_progress=progress.model)
            except MathreelError as exc:
                item.status, item.error, item.error_stage = "failed", str(exc), "generate"
                progress.item("generate", concept.slug, "failed", str(exc).splitlines()[0])
                progress.item("generate", concept.slug, "finished")
                continue
            entry, reason = authored.entry, authored.reason
            if authored.failure:
                generate_failures[concept.slug] = authored.failure
                progress.item("generate", concept.slug, "failed", authored.failure.splitlines()[0])
            entries[concept.slug] = entry
            if concept.models[1:]:
                variant_entries[concept.slug] = _author_variants(concept, settings, options, runner,
                                                                 progress, item)
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

        from builder.sandbox import bwrap_works, describe

        if entries and not bwrap_works():
            log.warning("sandbox %s", describe())
        progress.stage("render", len(entries) + sum(len(v) for v in variant_entries.values()))
        pandoc_version(runner)  # fail fast, before any render, when pandoc is missing
        by_slug = {c.slug: c for c in selected}
        remote = None
        if options.scheduler:
            from builder.distributed import DaskRenderer

            remote = DaskRenderer(options.scheduler)
        slots = remote.slots() if remote is not None else settings.effective_jobs()
        jobs = max(1, min(slots, len(entries) or 1))
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


def _author_variants(concept: Concept, settings: Settings, options: BuildOptions, runner: Runner,
                     progress: Progress, item: ConceptReport) -> list[tuple[str, SceneEntry]]:
    """Generate the extra model variants of a concept; failures are recorded, not raised."""
    from builder.author import ensure_variants

    try:
        authored = ensure_variants(concept, settings, regenerate=options.regenerate, runner=runner,
                                   on_model_progress=progress.model)
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
                     entry.scene_class or concept.scene_class, quality)
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
    """Run MkDocs (Material, macros, our plugin) over what the pipeline left in the cache."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import MkDocsException

    from builder.errors import SiteError

    try:
        mkdocs_build(mkdocs_config)
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
