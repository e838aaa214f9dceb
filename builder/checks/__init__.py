"""The static check ladder for model-written Manim scenes, run before any render.

syntax -> safety (with its own rewrite of submodule star imports) -> contract -> api (with safe
rewrites) -> latex preflight, stopping at the first step that leaves errors; then, separately,
`dry_run`. A scene the safety step rejects is never imported or executed: the steps before the dry
run only parse it (Manim itself is imported for introspection; the scene is not).
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from builder.checks import world
from builder.checks.api_lint import lint_api
from builder.checks.contract import check_contract
from builder.checks.diagnostics import CheckResult, Diagnostic, format_diagnostics
from builder.checks.safety import check_safety, fix_safety
from builder.checks.syntax import check_syntax
from builder.pyast import parse_python

if TYPE_CHECKING:
    from builder.runner import Runner

log = logging.getLogger(__name__)

__all__ = ["CheckResult", "Diagnostic", "check_scene", "dry_run", "format_diagnostics"]


def __getattr__(name: str) -> object:
    # the dry run (and the sandbox and render code it brings) is imported only when asked for:
    # `mathreel check` on a scene the static steps reject never needs it
    if name == "dry_run":
        from builder.checks.dryrun import dry_run

        return dry_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_scene(source: str, *, scene_class: str, runner: Runner | None = None, workdir: Path | None = None,
                fix: bool = True, latex: bool = True, anchors: Sequence[str] = (),
                on_safe: Callable[[str], None] | None = None) -> CheckResult:
    """Run the static steps in order, applying safe rewrites when fix; stop at the first step with errors.

    `on_safe` gets the source before the LaTeX step compiles its formulas (the slow part of the
    static checks), once every step before passed it and the source as rewritten so far passed
    the safety step; only that compile may still find errors.
    """
    try:
        return _check_scene(source, scene_class=scene_class, runner=runner, workdir=workdir, fix=fix,
                            latex=latex, anchors=anchors, on_safe=on_safe)
    finally:
        world.ensure_mirror()


def _check_scene(source: str, *, scene_class: str, runner: Runner | None, workdir: Path | None,
                 fix: bool, latex: bool, anchors: Sequence[str],
                 on_safe: Callable[[str], None] | None) -> CheckResult:
    rewrites: list[str] = []
    verified: list[str] = []  # sources the safety step passed as they are

    tree, diags = check_syntax(source)
    if tree is None:
        return CheckResult(source, diags, ())

    if fix:
        # the safety step's own rewrites (from manim.<sub> import * -> from manim import *) are applied
        # first; the rewritten source is then checked from the start, like any other
        fixed, done = _fix_safety(tree, source)
        if done:
            rewrites += done
            source = fixed
            tree, diags = check_syntax(source)
            if tree is None:
                return CheckResult(source, diags, tuple(rewrites))

    diags = _safety(tree, source)
    if _has_errors(diags):
        log.debug("scene %s rejected by the safety step (%d problem(s))", scene_class, len(diags))
        return CheckResult(source, diags, tuple(rewrites))
    verified.append(source)

    source, diags, done = check_contract(tree, source, scene_class=scene_class, fix=fix)
    rewrites += done
    if _has_errors(diags):
        return CheckResult(source, diags, tuple(rewrites))
    tree = _reparse(source, tree, done)

    try:
        source, diags, done = lint_api(tree, source, scene_class=scene_class, fix=fix)
    except Exception:  # a lint bug must not block a scene: fail open, with a warning
        log.exception("the API lint crashed on scene %s; continuing without it", scene_class)
        diags, done = (_internal("api", "the Manim API lint crashed (a mathreel bug); it was skipped", "warning"),), ()
    rewrites += done
    if _has_errors(diags):
        return CheckResult(source, diags, tuple(rewrites))
    tree = _reparse(source, tree, done)
    warnings = list(diags)

    # the LaTeX step (and the runner it brings) is imported only for a scene that got this far
    from builder.checks.latex import check_latex

    def before_compile(current: str) -> None:
        if on_safe is not None and not _resafe(current, verified):
            on_safe(current)

    source, diags, done = check_latex(tree, source, runner=runner, workdir=workdir, fix=fix,
                                      anchors=anchors, compile_tex=latex, before_compile=before_compile)
    rewrites += done
    if rewrites:
        # a rewrite must not open a hole: the rewritten source goes through safety again
        again = _resafe(source, verified)
        if again:
            return CheckResult(source, again, tuple(rewrites))
    return CheckResult(source, (*warnings, *diags), tuple(rewrites))


def _resafe(source: str, verified: list[str]) -> tuple[Diagnostic, ...]:
    """The errors of a rewritten source through syntax and safety again (none for one already
    passed as it is; one that passes is remembered)."""
    if source in verified:
        return ()
    tree, syntax = check_syntax(source)
    if tree is None:
        return syntax
    found = tuple(d for d in _safety(tree, source) if d.severity == "error")
    if not found:
        verified.append(source)
    return found


def _safety(tree: ast.Module, source: str) -> tuple[Diagnostic, ...]:
    """The safety step, failing closed: if the checker itself breaks, the scene is rejected."""
    try:
        return check_safety(tree, source)
    except Exception:
        log.exception("the safety check crashed; rejecting the scene")
        return (_internal("safety", "the safety check crashed (a mathreel bug), so the scene was rejected",
                          "error"),)


def _fix_safety(tree: ast.Module, source: str) -> tuple[str, tuple[str, ...]]:
    """The safety step's rewrites; a crash here only skips them (the check itself still runs)."""
    try:
        return fix_safety(tree, source)
    except Exception:
        log.exception("the safety rewrite crashed; checking the scene as written")
        return source, ()


def _internal(step: str, message: str, severity: str) -> Diagnostic:
    return Diagnostic(step, "internal-error", message, None, "", False, severity)


def _has_errors(diags: Sequence[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diags)


def _reparse(source: str, tree: ast.Module, changed: Sequence[str]) -> ast.Module:
    return parse_python(source) if changed else tree
