"""The `mathreel` command line: parses arguments and calls one command function each.

Heavy imports (manim, mkdocs, openai) happen inside the commands, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from builder import __version__
from builder.errors import MathreelError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from builder.checks.diagnostics import Diagnostic
    from builder.checks.dryrun import WarmPreflight
    from builder.record import BuildRecord as BuildReport
    from builder.sandbox import Policy
    from builder.settings import Settings

QUALITY_HELP = "render quality: l 480p15, m 720p30, h 1080p60, k 2160p60 (default: mkdocs.yml)"
UNSAFE_HELP = ("run model-written scenes even where the sandbox (bubblewrap) cannot start: "
               "only on a machine you can lose; the page and the log say so")


def _err(message: str) -> None:
    print(f"ERROR {message}", file=sys.stderr)


#: How each item status shows on a terminal (anything else is plain).
STATUS_STYLES = {"failed": "bold red", "warn": "yellow", "done": "green", "kept": "cyan",
                 "retry": "magenta", "start": "dim"}


class TerminalProgress:
    """A build's progress on stderr: one line per item a stage redid (stage, slug, status,
    detail); on a terminal, above a live `rich` display with one bar per stage (done/total, time
    left) where the model's answer streams as the generate bar's note.

    `quiet` leaves only failures and warnings (no display). Not a terminal: plain lines, no
    colour, no live display. Use it as a context manager so the display stops on any exit.
    """

    def __init__(self, quiet: bool = False, *, stream: TextIO | None = None,
                 tty: bool | None = None) -> None:
        import threading

        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.started = time.monotonic()
        # Stages run items in threads (renders, concurrent model calls): one writer at a time.
        self.lock = threading.RLock()
        self.streaming: dict[str, str] = {}  # concepts whose model answer streams now: its note
        self.tasks: dict[str, TaskID] = {}
        self.console: Console | None = None
        self.bars: RichProgress | None = None
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.console = Console(file=self.stream, force_terminal=True, highlight=False)
            if not quiet:
                self.bars = RichProgress(
                    TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(elapsed_when_finished=True),
                    TextColumn("{task.fields[note]}", style="dim", markup=False),
                    console=self.console, refresh_per_second=8, redirect_stdout=False)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the live display, leaving each stage's final bar on screen."""
        with self.lock:
            if self.bars is not None and self.bars.live.is_started:
                for task in self.tasks.values():
                    self.bars.update(task, note="")
                self.bars.stop()

    def stage(self, name: str, total: int) -> None:
        """A stage begins: a bar of its own on a terminal, a `== name (total)` line elsewhere."""
        with self.lock:
            if self.bars is None:
                if not self.quiet and not self.tty:
                    self._plain(f"== {name} ({total})")
                return
            if not self.bars.live.is_started:
                self.bars.start()
            task = self.tasks.get(name)
            if task is None:
                self.tasks[name] = task = self.bars.add_task(f"{name:<8}", total=total, note="")
            self.bars.reset(task, total=total, note="")
            self.bars.update(task, completed=0)  # a stage of nothing to do shows as finished

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        """An item of a stage finished (or started, for slow ones); `finished` advances the bar."""
        with self.lock:
            if status == "finished":
                if self.bars is not None and stage in self.tasks:
                    self.bars.advance(self.tasks[stage])
                return
            if self.quiet and status not in ("failed", "warn"):
                return
            elapsed = time.monotonic() - self.started
            if self.console is None:
                self._plain(f"[{elapsed:6.1f}s] {stage:<8} {slug:<28} {status:<7} {detail}")
                return
            from rich.text import Text

            self.console.print(Text.assemble(
                (f"[{elapsed:6.1f}s] ", "dim"), f"{stage:<8} {slug:<28} ",
                (f"{status:<7}", STATUS_STYLES.get(status, "")), f" {detail}"))

    def model(self, slug: str, event: Any) -> None:
        """Live model progress: request, retry and done as lines; on a terminal, time, tokens and
        the reasoning's last words as the generate bar's note while the answer streams."""
        if self.quiet:
            return
        with self.lock:
            kind = getattr(event, "kind", "")
            status = f"generate {slug}: {event.elapsed_s:5.1f} s, {event.tokens} tokens"
            if kind == "request":
                self.streaming[slug] = ""
            elif kind == "done":
                self.streaming.pop(slug, None)
            if kind in ("retry", "done", "request"):
                note = f" ({event.message})" if event.message else ""
                if self.console is not None:
                    from rich.text import Text

                    self.console.print(Text(status + note, style="dim"))
                else:
                    self._plain(status + note)
            if self.bars is None or "generate" not in self.tasks:
                return
            if kind == "reasoning" and event.reasoning_delta and slug in self.streaming:
                tail = (self.streaming[slug] + event.reasoning_delta).replace("\n", " ")
                self.streaming[slug] = tail[-60:]
            text = status.removeprefix("generate ")
            if slug in self.streaming and self.streaming[slug].strip():
                text += f"  {self.streaming[slug].strip()}"
            if len(self.streaming) > 1:
                text += f"  (+{len(self.streaming) - 1} streaming)"
            self.bars.update(self.tasks["generate"], note=text if self.streaming else "")

    def _plain(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _config_path(args: argparse.Namespace) -> Path:
    from builder.settings import find_config

    return Path(args.config_file).resolve() if args.config_file else find_config()


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings this command's flags override, by Settings field (None: flag not given);
    `builder.settings.apply_overrides` lays them over MATHREEL_* and mkdocs.yml."""
    return {"quality": getattr(args, "quality", None),
            "jobs": getattr(args, "jobs", None),
            "offline": True if getattr(args, "offline", False) else None,
            "sandbox": False if getattr(args, "unsafe_no_sandbox", False) else None}


def _settings(args: argparse.Namespace) -> Settings:
    """This command's settings by the one route: flags > MATHREEL_* > mkdocs.yml > default."""
    import os

    from builder.settings import load_settings

    return load_settings(_config_path(args), cli=_overrides(args), env=os.environ)[0]


def cmd_new(args: argparse.Namespace) -> int:
    """Write a commented concept template."""
    from builder.spec import slugify, spec_template

    slug = args.slug or slugify(args.title)
    if not slug:
        _err(f"cannot make a file name from {args.title!r}: pass one with --slug my-concept")
        return 2
    settings = _settings(args)
    path = settings.concepts_dir / f"{slug}.yaml"
    if path.exists():
        _err(f"{path} already exists - edit it, or choose another --slug")
        return 1
    settings.concepts_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(spec_template(args.title, slug), encoding="utf-8")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    print("next: fill in the prompt and the anchors, then run `mathreel build`")
    return 0


def _print_summary(report: BuildReport) -> None:
    built = [c for c in report.concepts.values() if c.status == "built"]
    cached = [c for c in report.concepts.values() if c.status == "cached"]
    failed = report.failed
    print(f"\n{len(built)} built, {len(cached)} cached, {len(failed)} failed "
          f"in {report.seconds:.1f} s", file=sys.stderr)
    warned = [c for c in report.concepts.values() if c.render and c.render.layout]
    if warned:
        print(f"  layout warnings (text off-frame or overlapping) in: "
              f"{', '.join(c.slug for c in warned)} - see .cache/build/report.json", file=sys.stderr)
    for item in failed:
        first = (item.error or "").strip().splitlines()
        print(f"  FAILED {item.slug} ({item.error_stage}): {first[0] if first else 'unknown error'}",
              file=sys.stderr)
        for line in first[1:8]:
            print(f"         {line}", file=sys.stderr)
        print(f"         retry: mathreel build --only {item.slug}", file=sys.stderr)
    if report.site_error:
        print(f"  SITE FAILED: {report.site_error}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """Generate what is missing, render, compile notes, build the site."""
    from builder.build import BuildOptions, build

    options = BuildOptions(only=tuple(args.only or ()), regenerate=args.regenerate,
                           site=not args.no_site, scheduler=getattr(args, "scheduler", None))
    used: list[Settings] = []
    with TerminalProgress(quiet=args.quiet) as progress:
        report = build(_config_path(args), options, overrides=_overrides(args), progress=progress,
                       on_settings=used.append)
    _print_summary(report)
    if not args.no_site and not report.site_error and used:
        print(f"site: {used[0].site_dir}/index.html", file=sys.stderr)
    return 1 if report.failed or report.site_error else 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate (or regenerate) one concept's scene, render it, and rebuild the site."""
    args.only = [args.slug]
    args.no_site = getattr(args, "no_site", False)
    args.quality = args.jobs = None
    args.offline = False
    args.scheduler = None
    return cmd_build(args)


def cmd_check(args: argparse.Namespace) -> int:
    """Lint a scene like ruff: exit 1 while anything needs a change; --fix writes, --diff shows."""
    import tempfile

    from builder.checks import check_scene
    from builder.checks.contract import scene_classes

    target = _check_target(args)
    if isinstance(target, int):
        return target
    path, scene_class, anchors, tex_cache = target
    source = path.read_text(encoding="utf-8")
    if scene_class is None:
        # a file names no concept: expect its last scene (the default before chapters existed)
        found = scene_classes(source)
        scene_class = found[-1].name if found else "MainScene"
    with tempfile.TemporaryDirectory(prefix="mathreel-check-") as tmp:
        work = Path(tmp)
        run = not args.static and not args.diff
        held = False
        warm: WarmPreflight | None = None

        def start_warm(current: str) -> None:
            # A file of one scene, on more than one core: once every step before the LaTeX compile
            # passed, its preflight child starts and loads Manim while the formulas compile here;
            # it gets the scene when the checks are done. A scene rejected sooner never starts one.
            nonlocal warm
            if run and warm is None and (args.fix or current == source):  # (else it is not run: see below)
                from builder.checks.dryrun import WarmPreflight
                from builder.video.render import scrubbed_env

                warm = WarmPreflight.start_for(current, work / "run", runner=_runner(),
                                               env=scrubbed_env(work / "home"), cores=os.cpu_count() or 1)

        try:
            # fix=False keeps each problem's step, kind and line in the file as it is on disk; the fix
            # run only matters when something is fixable, and it sees past a fixable error to later steps
            plain = check_scene(source, scene_class=scene_class, workdir=work / "check", fix=False,
                                latex=not args.no_latex, anchors=anchors, on_safe=start_warm)
            fixed = plain
            if any(d.fixable for d in plain.diagnostics):
                fixed = check_scene(source, scene_class=scene_class, workdir=work / "check", fix=True,
                                    latex=not args.no_latex, anchors=anchors, on_safe=start_warm)
            left = list(fixed.diagnostics)
            # a file that still needs a fix is not run: the run would be of a scene that is not on
            # disk yet, and `--fix` (which the problems above call for anyway) runs the fixed one
            held = bool(fixed.rewrites) and not args.fix
            if fixed.ok and run and not held:
                from builder.sandbox import SANDBOXED

                # the settings' sandbox policy only matters where bubblewrap cannot start (no warm child)
                policy = SANDBOXED if warm is not None else _check_policy(args, path)
                left += _run_chapters(fixed.source, scene_class, work, policy=policy, tex_cache=tex_cache,
                                      warm=warm)
        finally:
            if warm is not None:
                warm.cancel()

    if args.diff:
        return _print_diff(path, source, fixed.source, len(fixed.rewrites))
    written = args.fix and fixed.source != source
    if written:
        path.write_text(fixed.source, encoding="utf-8")
    fixes = _describe_fixes(fixed.rewrites, plain.diagnostics)
    where: Callable[[int | None], int | None] = (lambda line: line) if written else _line_map(fixed.source, source)
    errors = [d for d in left if d.severity == "error"]
    warnings = [d for d in left if d.severity != "error"]
    for line, text in fixes:
        print(f"{_at(path, line)} fixed: {text}" if args.fix else f"{_at(path, line)} {text} [*]")
    for d in [*errors, *warnings]:
        tag = "" if d.severity == "error" else f"{d.severity}: "
        print(f"{_at(path, where(d.line))} [{d.step}/{d.kind}] {tag}{' '.join(d.message.split())}")
    total = len(fixes) + len(errors)
    note = f", {len(warnings)} warning{'s' * (len(warnings) != 1)}" if warnings else ""
    if run and held and fixed.ok:
        print(f"{path}: the scene was not run: `--fix` applies the fixes above and runs it")
    if args.fix:
        print(f"Found {total} problem{'s' * (total != 1)} ({len(fixes)} fixed, {len(errors)} remaining){note}."
              if total else f"{path}: all checks passed{note}.")
        if written:
            print(f"wrote {path}")
        return 1 if errors else 0
    print(f"Found {total} problem{'s' * (total != 1)} ({len(fixes)} fixable with --fix){note}."
          if total else f"{path}: all checks passed{note}.")
    return 1 if total else 0


def _check_target(args: argparse.Namespace) -> tuple[Path, str | None, list[str], Path | None] | int:
    """The scene file, its expected class (None: decide from the file), anchors and TeX cache.

    A concept (by slug) is checked as the build checks it, with the gallery's TeX cache; a
    file, cold. An int is an exit code.
    """
    target = Path(args.target)
    if target.suffix == ".py" or target.is_file():
        return target, args.scene_class, [], None
    from builder.scenes import read_entry
    from builder.spec import load_concepts

    settings = _settings(args)
    concepts = {c.slug: c for c in load_concepts(settings.concepts_dir)}
    if args.target not in concepts:
        _err(f"no concept named {args.target}; give a slug or a path to a .py file")
        return 2
    concept = concepts[args.target]
    entry = read_entry(settings.scenes_dir, concept.slug)
    if entry is None:
        _err(f"{concept.slug} has no scene yet: run `mathreel build --only {concept.slug}`")
        return 1
    return (entry.scene_path, entry.scene_class or concept.scene_class, [a.latex for a in concept.anchors],
            settings.tex_dir)


def _check_policy(args: argparse.Namespace, path: Path) -> Policy:
    """Where `check` may run a scene unconfined, by the one settings route: the settings of the
    file's project (or of --config-file) under the flags and MATHREEL_*; a file outside any
    project gets the schema's defaults under the same overrides."""
    import os

    from builder.errors import ConfigError
    from builder.settings import apply_overrides, default_settings, find_config, load_settings

    try:
        config = Path(args.config_file).resolve() if args.config_file else find_config(path.resolve().parent)
    except ConfigError:
        return apply_overrides(default_settings(Path.cwd()), cli=_overrides(args), env=os.environ).policy
    return load_settings(config, cli=_overrides(args), env=os.environ)[0].policy


def _run_chapters(source: str, scene_class: str, work: Path, *, policy: Policy,
                  tex_cache: Path | None = None, warm: WarmPreflight | None = None) -> list[Diagnostic]:
    """What the build runs before rendering: the preflight of each scene (chapter) of the file."""
    from builder.checks.dryrun import preflight_scenes
    from builder.video.render import scrubbed_env

    runs = preflight_scenes(source, scene_class=scene_class, runner=_runner(), workdir=work / "run",
                            env=scrubbed_env(work / "home"), policy=policy, workers=os.cpu_count() or 1,
                            tex_cache=tex_cache, warm=warm)
    return list(runs.diagnostics)


def _describe_fixes(rewrites: tuple[str, ...], seen: tuple[Diagnostic, ...]) -> list[tuple[int | None, str]]:
    """One (line, text) per rewrite, as `[step/kind] message` where the fix-free run saw that problem."""
    import re

    fixable = [d for d in seen if d.fixable]
    out: list[tuple[int | None, str]] = []
    for rewrite in rewrites:
        match = re.match(r"line (\d+): (.*)", rewrite)
        line, what = (int(match.group(1)), match.group(2)) if match else (None, rewrite)
        # Two fixes on one line: pair each with the diagnostic that names what it replaces.
        old_name = what.split("->", 1)[0].strip().split("(", 1)[0].strip()
        same_line = [d for d in fixable if d.line == line]
        diag = next((d for d in same_line if old_name and old_name in d.message),
                    same_line[0] if same_line else None)
        if diag is None:  # a later step's rewrite, hidden behind an earlier fixable error
            out.append((line, f"[rewrite] {what}"))
            continue
        fixable.remove(diag)
        out.append((line, f"[{diag.step}/{diag.kind}] {' '.join(diag.message.split())} ({what})"))
    return out


def _line_map(new: str, old: str) -> Callable[[int | None], int | None]:
    """Map a line of the rewritten source to the file on disk (a rewrite may add a line)."""
    import difflib

    old_lines = old.splitlines()
    table: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, old_lines, new.splitlines(), autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            table[j + 1] = min(i1 + min(j - j1, max(i2 - i1 - 1, 0)) + 1, max(len(old_lines), 1))

    def where(line: int | None) -> int | None:
        return table.get(line, line) if line else line

    return where


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}:" if line else f"{path}:"


def _print_diff(path: Path, old: str, new: str, fixes: int) -> int:
    """Print the rewrites as a unified diff; exit 1 when there is one, as `ruff check --diff` does."""
    import difflib

    def lines(text: str) -> list[str]:
        return [ln if ln.endswith("\n") else ln + "\n" for ln in text.splitlines(keepends=True)]

    diff = "".join(difflib.unified_diff(lines(old), lines(new), fromfile=str(path), tofile=str(path)))
    print(diff, end="")
    print(f"Would fix {fixes} problem{'s' * (fixes != 1)}." if diff else f"{path}: nothing to fix.",
          file=sys.stderr)
    return 1 if diff else 0


def _runner() -> Any:
    from builder.runner import run

    return run


def cmd_serve(args: argparse.Namespace) -> int:
    """Build, then serve the site; editing a concept rebuilds it."""
    from mkdocs.commands.serve import serve

    config = _config_path(args)
    code = cmd_build(argparse.Namespace(**{**vars(args), "only": None, "regenerate": False,
                                           "no_site": True, "quiet": False}))
    if code != 0:
        print("some concepts failed; serving what was built", file=sys.stderr)
    # The server's own rebuilds (after an edit) must use the same options as this build: the
    # plugin reads its settings by the same route, where MATHREEL_* carry these flags.
    import os

    from builder.settings import env_for

    os.environ.update(env_for(_overrides(args)))
    print(f"serving on http://{args.host}:{args.port}/ (Ctrl-C stops; editing concepts/ rebuilds)",
          file=sys.stderr, flush=True)
    serve(config_file=str(config), open_in_browser=False,
          dev_addr=f"{args.host}:{args.port}", livereload=True)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a GIF of a concept's video, a window of it, or one chapter."""
    from builder.export import export_gif

    done = export_gif(_settings(args), args.slug, Path(args.output) if args.output else None,
                      start=args.start, end=args.end, chapter=args.chapter, width=args.width,
                      fps=args.fps)
    print(f"wrote {done.path} ({done.frames} frames{', from the cache' if done.cached else ''})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """One row per concept: generated? rendered? errors."""
    from builder.status import status_rows

    rows = status_rows(_config_path(args))
    header = ("concept", "scene", "render", "notes", "status", "detail")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[-1])]).rstrip())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the tools a build needs and say what to fix."""
    from builder.doctor import run_checks

    config = None
    with contextlib.suppress(MathreelError):
        config = _config_path(args)
    ok = True
    for check in run_checks(config):
        mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}[check.level]
        print(f"[{mark}] {check.name}: {check.detail}")
        if check.level == "fail":
            ok = False
            if check.fix:
                print(f"       fix: {check.fix}")
    return 0 if ok else 1


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of `mathreel` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="mathreel",
        description="Turn concept specs (title, prompt, LaTeX anchors) into a gallery of "
                    "Manim animations with study notes.")
    parser.add_argument("--version", action="version", version=f"mathreel {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("-f", "--config-file", help="the gallery's mkdocs.yml (default: found upwards from here)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("new", help="scaffold concepts/<slug>.yaml from a title",
                       description="Write a commented concept template to fill in.")
    p.add_argument("title", help='the concept\'s title, e.g. "Fourier series"')
    p.add_argument("--slug", help="file name without .yaml (default: made from the title)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("build", help="generate what is missing, render, notes, site",
                       description="Validate every spec, then generate, render, compile notes "
                                   "and build the site. Only what changed is redone.")
    p.add_argument("--only", action="append", metavar="SLUG", help="build only this concept (repeatable)")
    p.add_argument("-q", "--quality", choices=("l", "m", "h", "k"), help=QUALITY_HELP)
    p.add_argument("-j", "--jobs", type=int, help="scenes rendered at once (default: the cores)")
    p.add_argument("--offline", action="store_true", help="never call a model (cached scenes or the anchor template)")
    p.add_argument("--regenerate", action="store_true", help="regenerate scenes even if cached or hand-edited")
    p.add_argument("--no-site", action="store_true", help="skip the MkDocs site build")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="render on a Dask cluster, e.g. tcp://10.0.0.5:8786 (see README)")
    p.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("generate", help="generate one concept with the model (and render it)",
                       description="Generate one concept's scene and notes with the configured model, "
                                   "check, repair, render and rebuild the site.")
    p.add_argument("slug", help="the concept's slug")
    p.add_argument("--regenerate", action="store_true", help="replace a cached or hand-edited scene")
    p.add_argument("--no-site", action="store_true", help="skip the MkDocs site build")
    p.add_argument("--quiet", action="store_true", help="no live progress")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check", help="lint a scene like ruff; exit 1 while anything needs a change",
                       description="Everything the build runs before rendering, on a concept's scene.py (by "
                                   "slug) or any .py file: syntax, safety, scene contract, Manim API lint, "
                                   "LaTeX preflight, then a run of each scene (--static skips the run). "
                                   "Prints path:line: [step/kind] message; exits 1 while anything needs a "
                                   "change.")
    p.add_argument("target", help="a concept slug or a path to a scene file")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--fix", action="store_true",
                     help="write the automatic rewrites back to the file; exit 0 only when nothing is left")
    how.add_argument("--diff", action="store_true",
                     help="print the automatic rewrites as a unified diff without writing; exit 1 if there is one")
    p.add_argument("--static", action="store_true", help="skip the run of the scene (static checks only)")
    p.add_argument("--scene-class", help="the Scene subclass to expect (files only; default: the last scene)")
    p.add_argument("--no-latex", action="store_true", help="skip the LaTeX preflight")
    # the run is now the default; the old flag stays accepted so scripts keep working
    p.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("serve", help="build, then serve the site locally with live reload",
                       description="Serve the gallery; editing a concept YAML rebuilds that concept.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("-q", "--quality", choices=("l", "m", "h", "k"), help=QUALITY_HELP)
    p.add_argument("-j", "--jobs", type=int, help="scenes rendered at once")
    p.add_argument("--offline", action="store_true", help="never call a model")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="write a GIF of a concept's video or of one chapter",
                       description="Export a built concept's animation as a GIF, for slides and "
                                   "READMEs: the whole video, a window of it, or one chapter.")
    p.add_argument("slug", help="the concept's slug")
    p.add_argument("--gif", action="store_true", default=True,
                   help="write a GIF (the only format for now; the default)")
    p.add_argument("--from", dest="start", type=float, metavar="T", help="start at T seconds")
    p.add_argument("--to", dest="end", type=float, metavar="T", help="end at T seconds")
    p.add_argument("--chapter", type=int, metavar="N", help="export chapter N (1 = the first)")
    p.add_argument("--width", type=int, default=480, help="width in pixels (default 480)")
    p.add_argument("--fps", type=int, default=10, help="frames per second (default 10)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default: ./SLUG.gif)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("status", help="one row per concept: generated? rendered? errors",
                       description="Show, for each concept, the state of its scene, render and notes.")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("doctor", help="check Manim, LaTeX, pandoc and the model endpoint",
                       description="Check every tool a build needs and say how to fix what is missing.")
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mathreel` console script."""
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except MathreelError as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted - finished items are kept; run the same command again to resume")
        return 130


def entry() -> int:
    """The `mathreel` console script (and `python -m builder`): `main`, then a quick exit.

    Interpreter shutdown collects every object cycle of Manim, NumPy, the openai client and the
    rest that a build imported: about 0.4 s after a first build, 0.2 s after a check. Freezing
    the collector as the process ends skips that; everything the command writes is written
    and closed by then (standard streams are flushed at exit as always).
    """
    import gc

    code = main()
    gc.freeze()
    return code
