"""Notes stage: pandoc turns notes.md into notes.tex with the package's template; pdflatex makes the PDF."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from builder.errors import NotesError, ToolError, ToolTimeout
from builder.fsutil import read_json, staging_dir, write_json
from builder.keys import make_key, sha256_text
from builder.runner import Runner, run
from builder.spec import Concept

log = logging.getLogger(__name__)

PDF = "notes.pdf"
TEX = "notes.tex"
NOTES_JSON = "notes.json"
#: Bump when the LaTeX this module writes around the notes (anchors, storyboard) changes.
LAYOUT_VERSION = "notes-layout-2"


@dataclass(frozen=True)
class NotesOutput:
    """Published notes: `.cache/notes/<key>/notes.pdf` and `notes.tex`."""

    key: str
    folder: Path
    pages: int

    @property
    def pdf(self) -> Path:
        """The PDF."""
        return self.folder / PDF

    @property
    def tex(self) -> Path:
        """The LaTeX source, offered for download."""
        return self.folder / TEX


def template_text() -> str:
    """The LaTeX template pandoc fills in."""
    return resources.files("builder").joinpath("templates/notes.latex").read_text("utf-8")


def filter_text() -> str:
    """The Lua filter: numbered display equations, headings from level 1, no images."""
    return resources.files("builder").joinpath("templates/notes.lua").read_text("utf-8")


_PANDOC_VERSION: list[str] = []


def pandoc_version(runner: Runner = run) -> str:
    """pandoc's version string, e.g. 2.17.1.1 (asked once per process); ToolError when missing."""
    if not _PANDOC_VERSION:
        done = runner(["pandoc", "--version"], cwd=Path.cwd(), timeout=30)
        first = done.stdout.splitlines()[0] if done.stdout else "pandoc unknown"
        _PANDOC_VERSION.append(first.split()[-1])
    return _PANDOC_VERSION[0]


def notes_key_parts(concept: Concept, notes: str, *, render_key: str | None, pandoc: str,
                    page_url: str | None, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Inputs that change the notes' PDF; the render key is in it: the poster and storyboard are."""
    titles = titles or {}
    return {
        "notes_sha256": sha256_text(notes),
        "title": concept.title,
        "summary": concept.summary,
        "level": concept.level,
        "tags": list(concept.tags),
        "anchors": [[a.label, a.latex] for a in concept.anchors],
        "prerequisites": [[slug, titles.get(slug, slug)] for slug in concept.prerequisites],
        "template": sha256_text(template_text() + filter_text() + LAYOUT_VERSION),
        "pandoc": pandoc,
        "render_key": render_key,
        "page_url": page_url,
    }


def notes_key(parts: dict[str, Any]) -> str:
    """The notes stage's cache key."""
    return make_key("notes", parts)


def cached_notes(notes_dir: Path, key: str) -> NotesOutput | None:
    """Published notes for a key, or None when missing or damaged."""
    folder = notes_dir / key
    info = read_json(folder / NOTES_JSON)
    if info is None or not (folder / PDF).is_file() or not (folder / TEX).is_file():
        return None
    return NotesOutput(key=key, folder=folder, pages=int(info.get("pages", 0)))


def _tex_escape(text: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(table.get(ch, ch) for ch in text)


def anchors_box(concept: Concept) -> str:
    """The boxed list of anchor equations, as LaTeX (unnumbered: the notes' equations are)."""
    rows = []
    for anchor in concept.anchors:
        rows.append(f"{{\\sffamily\\small\\bfseries\\color{{mrteal}}{_tex_escape(anchor.label)}}}\n"
                    f"\\begin{{equation*}}\n{anchor.latex}\n\\end{{equation*}}")
    body = "\n".join(rows)
    return ("\\begin{tcolorbox}[enhanced,colback=mrpaper,colframe=mrblue,boxrule=0.6pt,arc=2mm,"
            "title=Key equations,fonttitle=\\sffamily\\bfseries,coltitle=white,"
            "left=4mm,right=4mm,top=1mm,bottom=2mm,before skip=0.8em,after skip=1.2em]\n"
            + body + "\n\\end{tcolorbox}\n")


def format_time(seconds: float) -> str:
    """A video time as m:ss.s (0:01.3, 1:05.0)."""
    seconds = max(0.0, seconds)
    minutes = int(seconds // 60)
    return f"{minutes}:{seconds - 60 * minutes:04.1f}"


def storyboard_tex(frames: Sequence[tuple[str, float]]) -> str:
    """A section of frames from the video, three to a row, each with its time."""
    if not frames:
        return ""
    cells = [f"\\mrframe{{{name}}}{{{format_time(time)}}}" for name, time in frames]
    rows = ["\\hfill".join(row + ["\\mrblank"] * (3 - len(row)))
            for row in (cells[i:i + 3] for i in range(0, len(cells), 3))]
    # The heading stays with the frames: ask for room for the first row before starting.
    return ("\\Needspace{0.3\\textheight}\n\\section{Storyboard}\n"
            "{\\small\\color{mrgrey}Frames from the animation, with the time at which each appears.\\par}\n"
            "\\vspace{0.6em}\\noindent\n" + "\\par\\vspace{0.9em}\\noindent\n".join(rows) + "\\par\n")


def learning_path_tex(prerequisites: Sequence[str]) -> str:
    """The concepts to know first, by title."""
    if not prerequisites:
        return ""
    items = "".join(f"  \\item {_tex_escape(title)}\n" for title in prerequisites)
    return ("\\Needspace{6\\baselineskip}\n\\section{Prerequisites}\n"
            "{\\small\\color{mrgrey}Concepts of the gallery this one builds on.\\par}\n"
            "\\begin{itemize}\n" + items + "\\end{itemize}\n")


def _tex_url(url: str) -> str:
    """A URL for \\href: characters TeX treats specially are percent-encoded or escaped."""
    encoded = "".join(ch if ch.isascii() and ch.isprintable() and ch not in ' \\{}"<>^`|'
                      else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in url)
    return encoded.replace("%", "\\%").replace("#", "\\#").replace("~", "\\string~")


def tex_env() -> dict[str, str]:
    """TeX in restricted mode: no shell escape, no reading or writing outside the work dir."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
    env.update(openin_any="p", openout_any="p", shell_escape="f")
    return env


_LATEX_ERROR = re.compile(r"^! (.*)$", re.M)
_LATEX_LINE = re.compile(r"^l\.(\d+) (.*)$", re.M)


def explain_latex_failure(log_text: str, tex: str, notes: str) -> str:
    """The `!` lines of a LaTeX log, with the line of notes.md they most likely come from."""
    errors = _LATEX_ERROR.findall(log_text)[:3]
    where = _LATEX_LINE.search(log_text)
    parts = [f"LaTeX: {e}" for e in errors] or ["LaTeX failed without an error line"]
    if where:
        tex_line = int(where.group(1))
        context = where.group(2).strip()
        md_line = _find_line(notes, context)
        parts.append(f"notes.md line {md_line}" if md_line else f"notes.tex line {tex_line}")
        parts.append(f"near: {context[-80:]}")
    return "\n".join(parts)


def _find_line(notes: str, context: str) -> int | None:
    probe = context.strip()[-24:]
    while len(probe) >= 4:
        for number, line in enumerate(notes.splitlines(), start=1):
            if probe in line:
                return number
        probe = probe[len(probe) // 2:]
    return None


def build_notes(concept: Concept, notes: str, *, parts: dict[str, Any], notes_dir: Path,
                poster: Path | None = None, storyboard: Sequence[tuple[Path, float]] = (),
                titles: Mapping[str, str] | None = None, page_url: str | None = None,
                generator: str = "", runner: Runner = run, timeout: float = 180) -> NotesOutput:
    """Compile notes.md to notes.tex (pandoc) and notes.pdf (pdflatex), published under the key.

    `storyboard` holds (image, seconds) frames from the video; `titles` names the prerequisites.
    """
    key = notes_key(parts)
    final = notes_dir / key
    titles = titles or {}
    with staging_dir(final) as stage:
        (stage / "notes.md").write_text(notes, encoding="utf-8")
        (stage / "anchors.tex").write_text(anchors_box(concept), encoding="utf-8")
        (stage / "template.latex").write_text(template_text(), encoding="utf-8")
        (stage / "notes.lua").write_text(filter_text(), encoding="utf-8")
        frames: list[tuple[str, float]] = []
        for index, (image, seconds) in enumerate(storyboard[:6], start=1):
            if image.is_file():
                name = f"frame-{index:02d}{image.suffix.lower()}"
                shutil.copyfile(image, stage / name)
                frames.append((name, float(seconds)))
        after = storyboard_tex(frames) + learning_path_tex(
            [titles.get(slug, slug) for slug in concept.prerequisites])
        (stage / "after.tex").write_text(after, encoding="utf-8")
        argv = ["pandoc", "notes.md", "--from", "markdown-raw_tex-raw_html+tex_math_dollars",
                "--to", "latex", "--standalone", "--template", "template.latex",
                "--lua-filter", "notes.lua",
                "--include-before-body", "anchors.tex", "--include-after-body", "after.tex",
                "-o", TEX, "--metadata", f"title={concept.title}",
                "--variable", f"level={_tex_escape(concept.level)}",
                "--variable", f"site-path=concepts/{concept.slug}/"]
        if generator:
            argv += ["--variable", f"generator={_tex_escape(generator)}"]
        if concept.summary:
            argv += ["--metadata", f"subtitle={concept.summary}"]
        for tag in concept.tags:
            argv += ["--variable", f"tags={_tex_escape(tag)}"]
        if poster is not None and poster.is_file():
            shutil.copyfile(poster, stage / "poster.png")
            argv += ["--variable", "poster=poster.png"]
        if page_url:
            argv += ["--variable", f"page-url={_tex_url(page_url)}",
                     "--variable", f"page-url-text={_tex_escape(page_url)}"]
        try:
            runner(argv, cwd=stage, timeout=timeout)
        except ToolError as exc:
            raise NotesError(f"pandoc could not convert the notes of {concept.slug}: {exc}") from exc
        tex = (stage / TEX).read_text(encoding="utf-8")
        for _ in range(2):
            try:
                done = runner(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               "-no-shell-escape", TEX], cwd=stage, env=tex_env(),
                              timeout=timeout, check=False)
            except ToolTimeout as exc:
                raise NotesError(f"LaTeX ran past {timeout:.0f} s on the notes of {concept.slug}") from exc
            except ToolError as exc:
                raise NotesError(f"could not run pdflatex for {concept.slug}: {exc}") from exc
            log_path = stage / "notes.log"
            log_text = log_path.read_text("utf-8", "replace") if log_path.exists() else done.stdout
            if done.returncode != 0 or not (stage / PDF).is_file():
                raise NotesError(f"the notes of {concept.slug} do not compile:\n"
                                 + explain_latex_failure(log_text, tex, notes)
                                 + f"\nfix scenes/{concept.slug}/notes.md and rebuild")
            if "Rerun to get" not in log_text:
                break
        pages = _count_pages(log_text)
        # notes.tex is offered for download: keep the images it includes beside it.
        keep = {PDF, TEX, "poster.png", *(name for name, _ in frames)}
        for leftover in stage.iterdir():
            if leftover.name not in keep:
                leftover.unlink()
        write_json(stage / NOTES_JSON, {"key": key, "key_parts": parts, "slug": concept.slug,
                                        "pages": pages})
    return NotesOutput(key=key, folder=final, pages=pages)


def _count_pages(log_text: str) -> int:
    match = re.search(r"Output written on .*?\((\d+) pages?", log_text)
    return int(match.group(1)) if match else 0
