"""The `mathreel` command line: parses arguments and calls one command function each.

Heavy imports (manim, mkdocs, openai) happen inside the commands, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import __version__
from builder.errors import MathreelError

if TYPE_CHECKING:
    from builder.build import BuildReport

QUALITY_HELP = "render quality: l 480p15, m 720p30, h 1080p60, k 2160p60 (default: mkdocs.yml)"


def _err(message: str) -> None:
    print(f"ERROR {message}", file=sys.stderr)


class TerminalProgress:
    """One line per item a stage redid, with the reason; on a terminal, a live bar with ETA."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.name, self.total, self.done, self.stage_started = "", 0, 0, self.started

    def stage(self, name: str, total: int) -> None:
        """A stage begins: finish the previous bar, start counting this one."""
        self._clear()
        if self.tty and self.total:
            sys.stderr.write(self._bar_text() + "\n")
        self.name, self.total, self.done, self.stage_started = name, total, 0, time.monotonic()
        if not self.quiet and not self.tty:
            print(f"== {name} ({total})", file=sys.stderr, flush=True)
        self._draw()

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        """An item of a stage finished (or started, for slow ones); `finished` advances the bar."""
        if status == "finished":
            self.done = min(self.total, self.done + 1)
            self._draw()
            return
        if self.quiet and status not in ("failed", "warn"):
            self._draw()
            return
        elapsed = time.monotonic() - self.started
        self._clear()
        print(f"[{elapsed:6.1f}s] {stage:<8} {slug:<28} {status:<7} {detail}", file=sys.stderr, flush=True)
        self._draw()

    def _bar_text(self) -> str:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        spent = time.monotonic() - self.stage_started
        if self.done and self.done < self.total:
            eta = f"ETA {spent / self.done * (self.total - self.done):4.0f} s"
        elif self.done >= self.total:
            eta = f"{spent:.1f} s"
        else:
            eta = "ETA ..."
        return f"{self.name:<8} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {eta}"

    def _draw(self) -> None:
        if self.tty and not self.quiet and self.total:
            sys.stderr.write("\r\x1b[K" + self._bar_text())
            sys.stderr.flush()

    def _clear(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r\x1b[K")

    def model(self, slug: str, event: Any) -> None:
        """Live model progress: a status line with time and tokens, and the reasoning as it streams."""
        if self.quiet:
            return
        tty = sys.stderr.isatty()
        kind = getattr(event, "kind", "")
        status = f"generate {slug}: {event.elapsed_s:5.1f} s, {event.tokens} tokens"
        if kind == "reasoning" and event.reasoning_delta:
            if tty:
                sys.stderr.write("\x1b[2m" + event.reasoning_delta + "\x1b[0m")
                sys.stderr.flush()
            return
        if kind == "content" and tty:
            sys.stderr.write("\r" + status + " " * 8)
            sys.stderr.flush()
        elif kind in ("retry", "done", "request"):
            note = f" ({event.message})" if event.message else ""
            sys.stderr.write(("\n" if tty else "") + status + note + "\n")
            sys.stderr.flush()


def _config_path(args: argparse.Namespace) -> Path:
    from builder.settings import find_config

    return Path(args.config_file).resolve() if args.config_file else find_config()


def cmd_new(args: argparse.Namespace) -> int:
    """Write a commented concept template."""
    from builder.spec import slugify, spec_template

    config = _config_path(args)
    slug = args.slug or slugify(args.title)
    if not slug:
        _err(f"cannot make a file name from {args.title!r}: pass one with --slug my-concept")
        return 2
    from builder.settings import load_settings

    settings, _ = load_settings(config)
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
    warned = [c for c in report.concepts.values() if c.render and c.render.get("layout")]
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

    overrides = {"quality": args.quality, "jobs": args.jobs, "offline": True if args.offline else None}
    options = BuildOptions(only=tuple(args.only or ()), regenerate=args.regenerate,
                           site=not args.no_site, scheduler=getattr(args, "scheduler", None))
    report = build(_config_path(args), options, overrides=overrides,
                   progress=TerminalProgress(quiet=args.quiet))
    _print_summary(report)
    if not args.no_site and not report.site_error:
        from builder.settings import load_settings

        settings, _ = load_settings(_config_path(args))
        print(f"site: {settings.site_dir}/index.html", file=sys.stderr)
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
    """Run the check ladder on a concept's scene or a file, without a model; --fix rewrites."""
    import tempfile

    from builder.checks import check_scene
    from builder.checks.diagnostics import format_diagnostics

    target = Path(args.target)
    anchors: list[str] = []
    if target.suffix == ".py" or target.is_file():
        path = target
        scene_class = args.scene_class
        if scene_class is None:
            import ast

            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
            scene_class = names[-1] if names else "MainScene"
    else:
        from builder.scenes import read_entry
        from builder.settings import load_settings
        from builder.spec import load_concepts

        settings, _ = load_settings(_config_path(args))
        concepts = {c.slug: c for c in load_concepts(settings.concepts_dir)}
        if args.target not in concepts:
            _err(f"no concept named {args.target}; give a slug or a path to a .py file")
            return 2
        concept = concepts[args.target]
        entry = read_entry(settings.scenes_dir, concept.slug)
        if entry is None:
            _err(f"{concept.slug} has no scene yet: run `mathreel build --only {concept.slug}`")
            return 1
        path, scene_class = entry.scene_path, entry.scene_class or concept.scene_class
        anchors = [a.latex for a in concept.anchors]
    source = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="mathreel-check-") as tmp:
        result = check_scene(source, scene_class=scene_class, workdir=Path(tmp), fix=True,
                             latex=not args.no_latex, anchors=anchors)
        diagnostics = list(result.diagnostics)
        if result.ok and args.dry_run:
            from builder.checks import dry_run
            from builder.render import scrubbed_env

            diagnostics += dry_run(result.source, scene_class=scene_class, runner=_runner(),
                                   workdir=Path(tmp) / "dry", env=scrubbed_env(Path(tmp) / "home"))
    for line in result.rewrites:
        print(f"{'fixed' if args.fix else 'fixable'}: {line}")
    if diagnostics:
        print(format_diagnostics(diagnostics))
    if args.fix and result.source != source:
        path.write_text(result.source, encoding="utf-8")
        print(f"wrote {path}")
    errors = [d for d in diagnostics if d.severity == "error"]
    unfixed = [d for d in errors if not (args.fix and d.fixable)]
    if not errors:
        print(f"{path}: ok")
    return 1 if unfixed else 0


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
    # The server's own rebuilds (after an edit) must use the same options as this build.
    import os

    if args.quality:
        os.environ["MATHREEL_QUALITY"] = args.quality
    if args.jobs:
        os.environ["MATHREEL_JOBS"] = str(args.jobs)
    if args.offline:
        os.environ["MATHREEL_OFFLINE"] = "1"
    print(f"serving on http://{args.host}:{args.port}/ (Ctrl-C stops; editing concepts/ rebuilds)",
          file=sys.stderr, flush=True)
    serve(config_file=str(config), open_in_browser=False,
          dev_addr=f"{args.host}:{args.port}", livereload=True)
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
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("generate", help="generate one concept with the model (and render it)",
                       description="Generate one concept's scene and notes with the configured model, "
                                   "check, repair, render and rebuild the site.")
    p.add_argument("slug", help="the concept's slug")
    p.add_argument("--regenerate", action="store_true", help="replace a cached or hand-edited scene")
    p.add_argument("--no-site", action="store_true", help="skip the MkDocs site build")
    p.add_argument("--quiet", action="store_true", help="no live progress")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check", help="run the scene checks (no model); --fix applies safe rewrites",
                       description="Syntax, safety, scene contract, Manim API lint and LaTeX preflight "
                                   "on a concept's scene.py (by slug) or on any .py file.")
    p.add_argument("target", help="a concept slug or a path to a scene file")
    p.add_argument("--fix", action="store_true", help="write the automatic rewrites back to the file")
    p.add_argument("--scene-class", help="the Scene subclass to expect (files only; default: the last class)")
    p.add_argument("--no-latex", action="store_true", help="skip the LaTeX preflight")
    p.add_argument("--dry-run", action="store_true", help="also run the scene without writing frames")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("serve", help="build, then serve the site locally with live reload",
                       description="Serve the gallery; editing a concept YAML rebuilds that concept.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("-q", "--quality", choices=("l", "m", "h", "k"), help=QUALITY_HELP)
    p.add_argument("-j", "--jobs", type=int, help="scenes rendered at once")
    p.add_argument("--offline", action="store_true", help="never call a model")
    p.set_defaults(func=cmd_serve)

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
