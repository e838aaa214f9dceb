"""The orchestrator: validate every spec, then run each concept through the stages, in order.

    generate -> render -> notes -> (the site)

The stages (`builder.stages`) do the work and return their result or a `StageFailure`; this
module only calls them, in parallel where the work allows, and records what happened in one
`ConceptRecord` per concept. A failing concept never stops the others.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from builder import __version__
from builder.errors import MathreelError
from builder.fsutil import project_lock, sweep_partials
from builder.notes_pdf import pandoc_version, warm_notes_format
from builder.record import BuildRecord, ConceptRecord, VariantRecord, load_build_record
from builder.runner import Runner, run
from builder.settings import Settings
from builder.spec import Concept, load_concepts
from builder.stages import BuildContext, LogProgress, Progress, StageFailure
from builder.stages.generate import Generated, Slots, generate_concept
from builder.stages.notes import compile_notes
from builder.stages.render import preflight_estimate, render_concept, render_variant
from builder.stages.speculate import EarlyRenders
from builder.video.render import manim_version

log = logging.getLogger(__name__)

__all__ = ["BuildOptions", "BuildRecord", "LogProgress", "Progress", "build", "render_order", "run_pipeline"]


@dataclass(frozen=True)
class BuildOptions:
    """Choices of one `mathreel build` run."""

    only: tuple[str, ...] = ()
    regenerate: bool = False
    site: bool = True
    page_url_base: str | None = None
    scheduler: str | None = None


def load_report(settings: Settings) -> BuildRecord:
    """The previous build's record (empty when none, old or damaged)."""
    return load_build_record(settings.report_path)


def _generated_record(concept: Concept, generated: Generated) -> ConceptRecord:
    """The record of a concept whose scene the generate stage produced."""
    entry = generated.entry
    return ConceptRecord(
        slug=concept.slug, title=concept.title, provenance=entry.provenance,
        generator=str(entry.meta.get("generator") or entry.meta.get("model") or entry.provenance),
        scene_class=entry.scene_class or concept.scene_class, hand_edited=entry.hand_edited,
        redone=generated.redone)


def _finish(ctx: BuildContext, concept: Concept, generated: Generated) -> ConceptRecord:
    """Render and compile the notes of one concept; its record says how far it got.

    When the model failed and an older scene stood in (`generated.failure`), that scene is
    rendered and shown, and the concept still counts as failed, at the generate stage.
    """
    record = _render_and_notes(ctx, concept, generated)
    return record.failed("generate", generated.failure) if generated.failure else record


def _render_and_notes(ctx: BuildContext, concept: Concept, generated: Generated) -> ConceptRecord:
    record = _generated_record(concept, generated)
    try:
        rendered = render_concept(ctx, concept, generated.entry)
    finally:
        if ctx.early is not None:
            ctx.early.cancel(concept.slug)  # an early render the stage did not take (another key)
    if isinstance(rendered, StageFailure):
        return replace(record.failed(rendered.stage, rendered.error), render_key=rendered.render_key,
                       last_good_render_key=rendered.last_good_render_key)
    record = replace(record, render_key=rendered.output.key, render=rendered.facts,
                     redone=record.redone + rendered.redone)
    notes = compile_notes(ctx, concept, generated.entry, rendered, record.generator)
    if isinstance(notes, StageFailure):
        return record.failed(notes.stage, notes.error)
    record = replace(record, notes=notes.facts, redone=record.redone + notes.redone)
    return replace(record, status="built" if record.redone else "cached")


def run_pipeline(settings: Settings, options: BuildOptions = BuildOptions(), *,
                 runner: Runner = run, progress: Progress | None = None,
                 concepts: Sequence[Concept] | None = None) -> BuildRecord:
    """Validate every spec, then generate, render and compile notes; write the record."""
    progress = progress or LogProgress()
    started, started_at = time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds")
    all_concepts = list(concepts) if concepts is not None else load_concepts(settings.concepts_dir)
    unknown = [slug for slug in options.only if slug not in {c.slug for c in all_concepts}]
    if unknown:
        raise MathreelError(f"--only: no concept named {', '.join(unknown)} in {settings.concepts_dir}")
    with project_lock(settings.lock_path):
        swept = sweep_partials(settings.cache_dir) + sweep_partials(settings.scenes_dir)
        if swept:
            log.warning("removed %d unfinished item(s) left by an interrupted build", swept)
        previous = load_report(settings).concepts
        selected = [c for c in all_concepts if not options.only or c.slug in options.only]
        # Model answers start rendering beside their preflight where a second core is free for
        # it, and only inside bubblewrap: a scene the preflight then refuses has run once more,
        # fully confined (not with a Dask scheduler either: its workers render).
        from builder.sandbox import bwrap_works

        jobs = settings.effective_jobs()
        early = EarlyRenders(settings.render_dir, settings.tex_dir, settings.render_timeout, runner,
                             limit=jobs - 1) if jobs > 1 and not options.scheduler and bwrap_works() else None
        ctx = BuildContext(settings=settings, runner=runner, progress=progress, remote=None,
                           previous=previous, titles={c.slug: c.title for c in all_concepts},
                           page_url_base=options.page_url_base, regenerate=options.regenerate,
                           early=early)
        records: dict[str, ConceptRecord] = {
            # Concepts left out by --only keep their previous record, so the site stays whole.
            c.slug: previous[c.slug] for c in all_concepts if c not in selected and c.slug in previous}

        try:
            generated = _generate_all(ctx, selected)
            records.update(_render_stage(ctx, selected, generated, options))
        finally:
            if early is not None:
                early.close()  # an early render no one took is stopped; nothing of it is published
        record = BuildRecord(concepts=records, started=started_at, seconds=time.monotonic() - started,
                             versions={"mathreel": __version__, "manim": manim_version()})
        record.save(settings.report_path)
    return record


def _render_stage(ctx: BuildContext, selected: list[Concept], generated: dict[str, Generated | StageFailure],
                  options: BuildOptions) -> dict[str, ConceptRecord]:
    """The records after the render and notes stages (failed generations recorded as such)."""
    settings = ctx.settings
    records: dict[str, ConceptRecord] = {}
    for slug, result in generated.items():
        if isinstance(result, StageFailure):
            records[slug] = ConceptRecord(slug=slug, title=ctx.titles[slug]).failed(result.stage, result.error)

    from builder.sandbox import bwrap_works, describe

    ready = {slug: g for slug, g in generated.items() if isinstance(g, Generated)}
    if ready and not bwrap_works():
        log.warning("sandbox %s", describe())
        if not settings.sandbox:
            log.warning("sandbox: off - model-written scenes run UNCONFINED in this build")
    ctx.progress.stage("render", len(ready) + sum(len(g.variants) for g in ready.values()))
    pandoc_version(ctx.runner)  # fail fast, before any render, when pandoc is missing
    # A machine's first notes PDF would wait for the notes format (about 0.8 s): dumped while
    # the renders run instead.
    if ready:
        threading.Thread(target=warm_notes_format, daemon=True, name="notes-format").start()
    records.update(_render_all(ctx, {c.slug: c for c in selected}, ready, options.scheduler))
    return records


def _generate_all(ctx: BuildContext, selected: list[Concept]) -> dict[str, Generated | StageFailure]:
    """The generate stage for every selected concept, several at once.

    Model calls wait on the network, checks run on the cores: up to `model_concurrency`
    requests in flight and one check per core at once, each concept holding a model slot only
    while it waits for an answer (one concept at a time when the setting is 1).
    """
    settings = ctx.settings
    ctx.progress.stage("generate", len(selected))
    checks = settings.effective_jobs()
    slots = Slots.of(settings.model_concurrency, checks)
    workers = 1 if settings.model_concurrency == 1 else \
        max(1, min(settings.model_concurrency + checks, len(selected) or 1))

    def one(concept: Concept) -> Generated | StageFailure:
        result = generate_concept(ctx, concept, slots)
        ctx.progress.item("generate", concept.slug, "finished")
        return result

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generate") as pool:
        return dict(zip([c.slug for c in selected], pool.map(one, selected), strict=True))


def _render_all(ctx: BuildContext, concepts: dict[str, Concept], ready: dict[str, Generated],
                scheduler: str | None) -> dict[str, ConceptRecord]:
    """Render and compile notes for every generated concept (and render its variants)."""
    remote = None
    if scheduler:
        from builder.distributed import DaskRenderer

        remote = DaskRenderer(scheduler)
        ctx = replace(ctx, remote=remote)
    slots = remote.slots() if remote is not None else ctx.settings.effective_jobs()
    records: dict[str, ConceptRecord] = {}
    variants: dict[str, list[Any]] = {slug: [] for slug in ready}
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(slots, len(ready) or 1)),
                                thread_name_prefix="render") as pool:
            qualities = {slug: concepts[slug].scene.quality or ctx.settings.quality for slug in ready}
            mains = {pool.submit(_finish, ctx, concepts[slug], ready[slug]): slug
                     for slug in render_order(ready, ctx.previous, qualities)}
            others = {pool.submit(render_variant, ctx, concepts[slug], name, entry): slug
                      for slug, g in ready.items() for name, entry in g.variants}
            futures: dict[Any, str] = {**mains, **others}
            for future in as_completed(futures):
                slug = mains.get(future) or others[future]
                try:
                    result = future.result()
                except MathreelError as exc:
                    result = _generated_record(concepts[slug], ready[slug]).failed("render", str(exc))
                if future in mains:
                    records[slug] = result
                else:
                    variants[slug].append(result)
                ctx.progress.item("render", slug, "finished")
    finally:
        if remote is not None:
            remote.close()
    for slug, generated in ready.items():
        failed = [VariantRecord("?", "?", "failed", None, error) for error in generated.variant_failures]
        order = [name for name, _ in generated.variants]
        found = sorted(variants[slug], key=lambda v: order.index(v.model) if v.model in order else 0)
        records[slug] = replace(records[slug], variants=tuple(found + failed))
    return records


def render_order(ready: dict[str, Generated], previous: dict[str, ConceptRecord],
                 qualities: dict[str, str]) -> list[str]:
    """The concepts in the order their renders start: longest first, where that is known.

    Renders run `jobs` at a time, and the build lasts until the last one ends: a long render
    started last leaves the other cores idle for most of it. A concept's expected cost is its
    previous render's seconds (an upgrade or a new quality renders the whole gallery again),
    or else its model answer's preflight estimate at the concept's quality. Concepts with
    neither (a new gallery) keep their order and go first: nothing says they are short.
    """
    def expected(slug: str) -> float | None:
        record = previous.get(slug)
        if record is not None and record.render is not None and record.render.seconds > 0:
            return record.render.seconds
        seconds = preflight_estimate(ready[slug].entry).get(qualities[slug], 0.0)
        return seconds if seconds > 0 else None

    costs = {slug: expected(slug) for slug in ready}
    unknown = [slug for slug in ready if costs[slug] is None]
    known = {slug: cost for slug, cost in costs.items() if cost is not None}
    return unknown + sorted(known, key=lambda slug: -known[slug])


def build_site(settings: Settings, mkdocs_config: Any) -> None:
    """Run MkDocs (Material, macros, our plugin) over the docs folder the pages stage wrote.

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
          on_settings: Callable[[Settings], None] | None = None) -> BuildRecord:
    """`mathreel build`: the pipeline, then the site; the report says what failed.

    `overrides` are the CLI's (Settings field names; None: not given), laid over MATHREEL_*
    variables and mkdocs.yml by `builder.settings.load_settings`.
    """
    from builder.sandbox import probe_ahead
    from builder.settings import load_settings

    probe_ahead()  # the pipeline asks first thing whether bubblewrap works: answered meanwhile
    settings, mkdocs_config = load_settings(config_file, cli=overrides, env=os.environ)
    if on_settings:
        on_settings(settings)
    site_url = mkdocs_config.get("site_url")
    if site_url and options.page_url_base is None:
        options = replace(options, page_url_base=site_url if site_url.endswith("/") else site_url + "/")
    report = run_pipeline(settings, options, runner=runner, progress=progress)
    if options.site:
        if progress:
            progress.stage("site", 1)
        from builder.stages.pages import write_pages

        try:
            # The pages are real files in the docs folder: MkDocs (or Zensical) builds the site
            # from them alone; the plugin gets no state from this build.
            write_pages(settings, mkdocs_config)
            build_site(settings, mkdocs_config)
        except MathreelError as exc:
            report = replace(report, site_error=str(exc))
        finally:
            if progress:
                progress.item("site", "site", "finished")
    return report
