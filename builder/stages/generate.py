"""Generate stage: decide where each concept's scene comes from, and produce it.

In order: a hand-written or hand-edited scene is kept; a cached scene whose key
still matches is kept; with a model available the model writes the scene and the
notes, the check ladder runs, and failures go back to the model (bounded repair
loop); without a model the anchor template stands in. A failed generation never
replaces the last good scene.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import __version__
from builder.anchor_template import GENERATOR, template_key_parts, template_notes, template_scene
from builder.errors import GenerateError, MathreelError
from builder.keys import explain_change, make_key
from builder.runner import Runner, run
from builder.sandbox import SANDBOXED, Policy, require
from builder.scenes import SceneEntry, read_entry, update_meta, write_entry
from builder.settings import Settings
from builder.spec import Concept
from builder.stages import BuildContext, StageFailure
from builder.video.render import RenderJob, manim_version, scrubbed_env

if TYPE_CHECKING:
    from builder.stages.speculate import EarlyRenders

log = logging.getLogger(__name__)

ProgressHook = Callable[[str, Any], None]


@dataclass(frozen=True)
class Authored:
    """The scene to render, why it was (re)made, and a generation failure if one happened."""

    entry: SceneEntry
    reason: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Slots:
    """How many model requests, and how many answer checks, run at once across a build.

    Waiting on a model and checking an answer are different work: a concept gives its model
    slot back while its answer is checked on the cores, so the next request goes out at once.
    """

    model: threading.BoundedSemaphore
    check: threading.BoundedSemaphore

    @classmethod
    def of(cls, model: int, check: int) -> Slots:
        """Slots for `model` requests in flight and `check` checks at once."""
        return cls(threading.BoundedSemaphore(max(1, model)), threading.BoundedSemaphore(max(1, check)))


def _slot(slots: Slots | None, kind: str) -> AbstractContextManager[Any]:
    """The model or check slot to hold (nothing to hold without slots: one concept at a time)."""
    if slots is None:
        return nullcontext()
    semaphore: AbstractContextManager[Any] = slots.model if kind == "model" else slots.check
    return semaphore


def model_for(concept: Concept, settings: Settings, env: Mapping[str, str],
              override: str | None = None) -> Any | None:
    """The concept's model settings when a model may be called; None offline or without a key."""
    if settings.offline:
        return None
    from builder.model.providers import model_available, resolve_model

    primary = concept.models[0] if concept.models else concept.model
    model = resolve_model(settings.model, override=override or primary, env=env)
    return model if model_available(model, env) else None


def variant_name(model_name: str) -> str:
    """A folder name for a model variant: `deepseek:deepseek-reasoner` -> `deepseek-deepseek-reasoner`."""
    from builder.spec import slugify

    return slugify(model_name.replace(".", "-")) or "variant"


def variants_dir(settings: Settings, slug: str) -> Path:
    """Where the extra model variants of a concept live: `scenes/<slug>/variants/<model>/`."""
    return settings.scenes_dir / slug / "variants"


def ensure_variants(concept: Concept, settings: Settings, *, regenerate: bool, runner: Runner = run,
                    env: Mapping[str, str] | None = None,
                    on_model_progress: ProgressHook | None = None,
                    slots: Slots | None = None) -> list[tuple[str, Authored]]:
    """The extra variants of `models:` (all but the first, which is the main scene)."""
    env = os.environ if env is None else env
    out: list[tuple[str, Authored]] = []
    for name in concept.models[1:]:
        folder = variants_dir(settings, concept.slug)
        entry = read_entry(folder, variant_name(name))
        model = model_for(concept, settings, env, override=name)
        if model is None:
            if entry is not None:
                out.append((name, Authored(entry)))
            continue
        out.append((name, _model(concept, settings, model, entry, regenerate, runner, env,
                                 on_model_progress, store=folder, name=variant_name(name),
                                 fallback=False, slots=slots)))
    return out


def ensure_scene(concept: Concept, settings: Settings, titles: dict[str, str], *,
                 regenerate: bool, runner: Runner = run, env: Mapping[str, str] | None = None,
                 on_model_progress: ProgressHook | None = None,
                 slots: Slots | None = None, early: EarlyRenders | None = None) -> Authored:
    """The scene to render for a concept, generating it if nothing valid is stored (a model's
    answer may start rendering early, into `early`)."""
    env = os.environ if env is None else env
    entry = read_entry(settings.scenes_dir, concept.slug)
    if entry is not None and not regenerate and (entry.provenance == "hand-written" or entry.hand_edited):
        return Authored(entry)
    model = model_for(concept, settings, env)
    if model is None:
        if entry is not None and entry.provenance == "model" and not regenerate:
            return Authored(entry)  # cached model scene, used as it is offline
        authored = _template(concept, settings, titles, entry, regenerate)
        if authored.reason and not settings.offline:
            # A newcomer's first concept: say why no model wrote it, and what to set.
            authored = Authored(authored.entry, f"{authored.reason}; anchor template because "
                                f"{_no_model_reason(concept, settings, env)}", authored.failure)
        return authored
    return _model(concept, settings, model, entry, regenerate, runner, env, on_model_progress,
                  slots=slots, early=early)


def _no_model_reason(concept: Concept, settings: Settings, env: Mapping[str, str]) -> str:
    """Why no model is called for a concept, naming the variable to set (never its value)."""
    from builder.model.providers import missing_key_message, resolve_model

    primary = concept.models[0] if concept.models else concept.model
    try:
        model = resolve_model(settings.model, override=primary, env=env)
    except MathreelError as exc:
        return str(exc).splitlines()[0]
    return missing_key_message(model)


def _template(concept: Concept, settings: Settings, titles: dict[str, str],
              entry: SceneEntry | None, regenerate: bool) -> Authored:
    parts = template_key_parts(concept)
    key = make_key("generate", parts)
    if entry is not None and entry.meta.get("generate_key") == key and not regenerate:
        return Authored(entry)
    if entry is None:
        reason = "new"
    elif regenerate:
        reason = "regenerate asked"
    elif entry.provenance == "template":
        reason = explain_change(entry.meta.get("key_parts"), parts)
    else:
        reason = f"replacing the {entry.provenance} scene"
    meta = {
        "schema": 1, "slug": concept.slug, "provenance": "template", "generator": GENERATOR,
        "scene_class": concept.scene_class, "generate_key": key, "key_parts": parts,
        "versions": {"mathreel": __version__, "manim": manim_version()},
    }
    return Authored(write_entry(settings.scenes_dir, concept.slug, source=template_scene(concept),
                                notes=template_notes(concept, titles), meta=meta), reason)


def _model(concept: Concept, settings: Settings, model: Any, entry: SceneEntry | None,
           regenerate: bool, runner: Runner, env: Mapping[str, str],
           on_progress: ProgressHook | None, *, store: Path | None = None, name: str | None = None,
           fallback: bool = True, slots: Slots | None = None, early: EarlyRenders | None = None) -> Authored:
    from builder.model.prompt import generation_key_parts

    version = manim_version()
    parts = generation_key_parts(concept, model, manim_version=version)
    key = make_key("generate", parts)
    if entry is not None and entry.provenance == "model" and not regenerate:
        if entry.meta.get("generate_key") == key:
            return Authored(entry)
        reason = explain_change(entry.meta.get("key_parts"), parts)
    elif entry is None:
        reason = "new"
    else:
        reason = "regenerate asked" if regenerate else f"a model is available (was {entry.provenance})"
    try:
        # Before any paid call: an answer that cannot be checked in the sandbox is not asked for.
        require(trusted=False, policy=settings.policy, what=f"a model answer for {concept.slug}")
        result = generate_with_repair(concept, settings, model, runner=runner, env=env,
                                      on_progress=on_progress, slots=slots, early=early)
    except MathreelError as exc:
        failure = str(exc)
        attempts = getattr(exc, "attempts", [])
        if entry is not None:
            entry = update_meta(entry, last_failure={"error": failure, "attempts": attempts,
                                                     "date": _now()})
            return Authored(entry, None, failure)
        if not fallback:
            raise
        # Nothing to fall back on: the anchor template keeps the gallery whole.
        stand_in = _template(concept, settings, {}, None, False)
        return Authored(update_meta(stand_in.entry, last_failure={"error": failure, "attempts": attempts,
                                                                  "date": _now()}),
                        "model failed, anchor template stands in", failure)
    meta = {
        "schema": 1, "slug": concept.slug, "provenance": "model", "generator": model.model,
        "model": model.model, "provider": model.provider, "endpoint_host": model.endpoint_host(),
        "scene_class": concept.scene_class, "generate_key": key, "key_parts": parts,
        "versions": {"mathreel": __version__, "manim": version},
        "attempts": result.attempts, "tokens": result.tokens, "latency_s": round(result.seconds, 2),
        "rewrites": result.rewrites, "date": _now(), "preflight": result.preflight,
    }
    notes = result.notes if result.notes.strip() else template_notes(concept, {})
    written = write_entry(store or settings.scenes_dir, name or concept.slug, source=result.code, notes=notes,
                          meta=meta, reasoning=result.reasoning or None)
    return Authored(written, reason)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Repaired:
    """A scene that passed the checks, with the story of how it got there."""

    code: str
    notes: str
    reasoning: str
    attempts: list[dict[str, Any]]
    tokens: dict[str, int]
    seconds: float
    rewrites: list[str]
    #: The passing answer's preflight: cost facts and a render-time estimate per quality.
    preflight: dict[str, Any] = field(default_factory=dict)


class RepairFailed(GenerateError):
    """Every attempt failed the checks; carries the attempts for meta.json and the page."""

    def __init__(self, message: str, attempts: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.attempts = attempts


def check_code(code: str, concept: Concept, *, runner: Runner, workdir: Path,
               dry_run: bool = True, layout: bool = False, repair_anchors: bool = False,
               policy: Policy = SANDBOXED, facts: dict[str, Any] | None = None,
               tex_cache: Path | None = None, workers: int = 1,
               on_static_pass: Callable[[str], None] | None = None,
               warm_preflight: bool = True) -> tuple[str, list[Any], list[str]]:
    """The check ladder on model code: (fixed code, error diagnostics, rewrites applied).

    One cheap preflight run yields run-time errors, layout warnings (sent back only when
    `layout`) and the anchors seen on screen (missing ones sent back only when
    `repair_anchors`). A preflight that ran out of time on a slow scene is a warning, not an
    error: the scene goes on to its render. Each scene of a multi-scene file (its chapters) is
    run, `workers` at a time. `facts`, when given, receives the preflight's summary (cost, estimate).
    `on_static_pass` gets the source once the static checks passed it, all but the LaTeX step's
    compile of its formulas (the caller cancels what it started if that finds errors; see
    `check_scene`'s `on_safe`).
    `warm_preflight` False runs the preflight cold (the build's warm render child loads Manim
    beside the static checks instead).
    """
    from builder.checks import check_scene
    from builder.checks.diagnostics import Diagnostic
    from builder.checks.dryrun import WarmPreflight, anchor_times, preflight_scenes

    env = scrubbed_env(workdir / "home")
    # The preflight child of a one-scene answer loads Manim while the static checks run here.
    warm = WarmPreflight.start_for(code, workdir / "dry", runner=runner, env=env, cores=workers) \
        if dry_run and warm_preflight else None
    try:
        # A scene without errors was handed on (final, every rewrite in it) before the compile.
        result = check_scene(code, scene_class=concept.scene_class, runner=runner, workdir=workdir,
                             fix=True, latex=True, anchors=[a.latex for a in concept.anchors],
                             on_safe=on_static_pass)
        errors = [d for d in result.diagnostics if d.severity == "error"]
        if errors or not dry_run:
            return result.source, errors, list(result.rewrites)
        pre = preflight_scenes(result.source, scene_class=concept.scene_class, runner=runner,
                               workdir=workdir / "dry", env=env, policy=policy, tex_cache=tex_cache,
                               workers=workers, warm=warm)
    finally:
        if warm is not None:
            warm.cancel()
    if facts is not None:
        facts.update(pre.summary())
    for warning in pre.diagnostics:
        if warning.severity != "error":
            log.info("%s: %s", concept.slug, warning.message)
    errors = list(pre.errors)
    if not errors and layout:
        # The preflight already read each run's layout report: send its warnings back as errors.
        errors = [replace(d, severity="error") for _, run in pre.runs for d in run.layout]
    if not errors and repair_anchors and pre.finished:
        # Only a run that reached the end of construct can say an anchor never showed.
        times = anchor_times([a.latex for a in concept.anchors], pre.anchors_seen())
        errors = [Diagnostic("anchors", "anchor-missing",
                             f"the anchor {a.label!r} ({a.latex}) never appears on screen: show it in a "
                             "MathTex, written as given", None, "", False)
                  for a in concept.anchors if times.get(a.latex) is None]
    return result.source, errors, list(result.rewrites)


def early_job(concept: Concept, settings: Settings, source: str) -> RenderJob | None:
    """The render the render stage will ask for, as far as it can be told before the preflight
    (None for a file of several scenes: its chapters are rendered one by one)."""
    from builder.checks.contract import scene_classes
    from builder.stages.render import scene_to_render
    from builder.video.choose import choose_without_facts
    from builder.video.render import render_job

    names = [info.name for info in scene_classes(source)]
    if len(names) != 1:
        return None
    # As `choose` decides without facts; a 3D scene under `auto` waits for its preflight's
    # facts, and OpenGL is the guess.
    known = choose_without_facts(source, wanted=concept.scene.renderer or settings.renderer, where="")
    return render_job(concept.slug, source, scene_to_render(concept.scene_class, names),
                      concept.scene.quality or settings.quality, known.renderer if known else "opengl",
                      trusted=False, policy=settings.policy)


def _prewarm(early: EarlyRenders, concept: Concept, settings: Settings, code: str | None = None) -> bool:
    """Have the child of the concept's early render load Manim now (nothing of a scene reaches
    it until the answer's checks passed): before the model call, with the flags the concept
    suggests; once the answer is in, with the flags its render will need. True when one waits."""
    from builder.checks.syntax import check_syntax
    from builder.video.render import render_extra

    quality = concept.scene.quality or settings.quality
    if code is None:
        wanted = concept.scene.renderer or settings.renderer
        renderer = wanted if wanted in ("cairo", "opengl") else "opengl" if concept.scene.three_d else "cairo"
        return early.prewarm(concept.slug, quality, renderer)
    tree, _ = check_syntax(code)
    job = early_job(concept, settings, code) if tree is not None else None
    return job is not None and early.prewarm(concept.slug, job.quality, job.renderer, render_extra(job.source))


@contextlib.contextmanager
def _let_go_on_failure(early: EarlyRenders | None, slug: str) -> Iterator[None]:
    """A model call that fails lets the child waiting for its answer go (and frees its place)."""
    try:
        yield
    except BaseException:
        if early is not None:
            early.cancel(slug)
        raise


def generate_with_repair(concept: Concept, settings: Settings, model: Any, *, runner: Runner,
                         env: Mapping[str, str], on_progress: ProgressHook | None = None,
                         slots: Slots | None = None, early: EarlyRenders | None = None) -> Repaired:
    """Ask the model, check the answer, send failures back; at most `repair_attempts` repairs.

    With `early`, an answer whose static checks passed starts rendering beside its preflight
    (builder.stages.speculate); an answer that then fails has its early render cancelled.
    """
    from builder.checks.diagnostics import format_diagnostics
    from builder.model.client import generate, repair

    version = manim_version()
    started = time.monotonic()
    hook = (lambda event: on_progress(concept.slug, event)) if on_progress else None
    attempts: list[dict[str, Any]] = []
    tokens = {"prompt": 0, "completion": 0, "reasoning": 0}
    rewrites: list[str] = []
    previous: str | None = None
    if early is not None:
        _prewarm(early, concept, settings)  # Manim loads while the model answers
    with _slot(slots, "model"), _let_go_on_failure(early, concept.slug):
        generation = generate(concept, model, manim_version=version, env=env, on_progress=hook)
    notes, reasoning = generation.notes, generation.reasoning
    max_attempts = 1 + max(0, settings.repair_attempts)
    start_early: Callable[[str], None] | None = None
    if early is not None:
        def start_early(source: str) -> None:
            job = early_job(concept, settings, source)
            if job is not None:
                early.start(concept.slug, job)
    checks = settings.cache_dir / "tmp"
    checks.mkdir(parents=True, exist_ok=True)
    # Under .cache with a .partial name: the next build sweeps what a killed one left.
    with tempfile.TemporaryDirectory(prefix=f".check-{concept.slug}-", suffix=".partial",
                                     dir=checks) as tmp:
        for number in range(1, max_attempts + 1):
            tokens["prompt"] += generation.prompt_tokens
            tokens["completion"] += generation.completion_tokens
            tokens["reasoning"] += generation.reasoning_tokens
            step_started = time.monotonic()
            facts: dict[str, Any] = {}
            with _slot(slots, "check"):
                # The early render's child loads Manim beside the static checks (in place of
                # the preflight's: two children loading Manim beside the checks would share two
                # cores three ways); the preflight then runs cold beside the render.
                warmed = early is not None and _prewarm(early, concept, settings, generation.code)
                try:
                    code, errors, applied = check_code(generation.code, concept, runner=runner,
                                                       workdir=Path(tmp) / f"attempt-{number}",
                                                       layout=settings.repair_layout,
                                                       repair_anchors=settings.repair_anchors,
                                                       policy=settings.policy, facts=facts,
                                                       tex_cache=settings.tex_dir,
                                                       workers=settings.effective_jobs(),
                                                       on_static_pass=start_early,
                                                       warm_preflight=not warmed)
                except BaseException:
                    if early is not None:
                        early.cancel(concept.slug)
                    raise
            if errors and early is not None:
                early.cancel(concept.slug)
            rewrites += applied
            diagnosis = format_diagnostics(errors) if errors else ""
            attempts.append({
                "attempt": number, "ok": not errors, "diagnostics": diagnosis,
                "rewrites": applied, "tokens": generation.prompt_tokens + generation.completion_tokens,
                "model_seconds": round(generation.latency_s, 2),
                "check_seconds": round(time.monotonic() - step_started, 2),
            })
            if not errors:
                if not notes.strip():
                    notes = generation.notes
                return Repaired(code=code, notes=notes, reasoning=reasoning, attempts=attempts,
                                tokens=tokens, seconds=time.monotonic() - started, rewrites=rewrites,
                                preflight=facts)
            if diagnosis == previous:
                raise RepairFailed(f"the model repeated the same error; stopped after attempt {number}:\n"
                                   f"{diagnosis}", attempts)
            previous = diagnosis
            if number == max_attempts:
                break
            if early is not None:
                _prewarm(early, concept, settings)
            with _slot(slots, "model"), _let_go_on_failure(early, concept.slug):
                generation = repair(concept, model, manim_version=version, code=code,
                                    diagnostics=diagnosis, attempt=number + 1, env=env,
                                    on_progress=hook)
            if generation.notes.strip() and not notes.strip():
                notes = generation.notes
            if generation.reasoning:
                reasoning = (reasoning + "\n\n---\n\n" + generation.reasoning).strip()
    raise RepairFailed(f"the scene still fails after {max_attempts} attempts:\n{previous}", attempts)


@dataclass(frozen=True)
class Generated:
    """The generate stage's result for one concept.

    `failure` is set when the model failed but an older scene (or the anchor template) stands
    in: the concept is rendered and still counts as failed.
    """

    entry: SceneEntry
    redone: tuple[str, ...] = ()
    failure: str | None = None
    variants: tuple[tuple[str, SceneEntry], ...] = ()
    variant_failures: tuple[str, ...] = ()


def generate_concept(ctx: BuildContext, concept: Concept,
                     slots: Slots | None = None) -> Generated | StageFailure:
    """Generate stage for one concept: the scene to render (and its variants), or the failure."""
    settings, progress = ctx.settings, ctx.progress
    try:
        authored = ensure_scene(concept, settings, ctx.titles, regenerate=ctx.regenerate,
                                runner=ctx.runner, on_model_progress=progress.model, slots=slots,
                                early=ctx.early)
    except MathreelError as exc:
        progress.item("generate", concept.slug, "failed", str(exc).splitlines()[0])
        return StageFailure("generate", str(exc))
    entry, reason = authored.entry, authored.reason
    if authored.failure:
        progress.item("generate", concept.slug, "failed", authored.failure.splitlines()[0])
    variants: list[tuple[str, SceneEntry]] = []
    variant_failures: list[str] = []
    if concept.models[1:]:
        try:
            for name, result in ensure_variants(concept, settings, regenerate=ctx.regenerate,
                                                runner=ctx.runner, on_model_progress=progress.model,
                                                slots=slots):
                if result.reason:
                    progress.item("generate", f"{concept.slug} [{name}]", "done", result.reason)
                variants.append((name, result.entry))
        except MathreelError as exc:
            variant_failures.append(str(exc))
            progress.item("generate", concept.slug, "failed", f"variants: {str(exc).splitlines()[0]}")
    if reason:
        progress.item("generate", concept.slug, "done", reason)
    elif entry.hand_edited:
        progress.item("generate", concept.slug, "kept", "hand-edited scene.py kept")
    return Generated(entry, (f"generate: {reason}",) if reason else (), authored.failure,
                     tuple(variants), tuple(variant_failures))
