"""Notes stage: pandoc turns notes.md into notes.tex with the package's template; pdflatex makes the PDF."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from builder.errors import NotesError, ToolError, ToolTimeout
from builder.faults import checkpoint
from builder.fsutil import read_json, staging_dir, write_json
from builder.keys import make_key, sha256_text
from builder.runner import Completed, Runner, run
from builder.spec import Concept

log = logging.getLogger(__name__)

PDF = "notes.pdf"
TEX = "notes.tex"
NOTES_JSON = "notes.json"
#: Bump when the LaTeX this module writes around the notes (anchors, storyboard) changes.
LAYOUT_VERSION = "notes-layout-3"
#: Storyboard frames the PDF shows: six without chapters; with chapters up to a row of three
#: per chapter, at most MAX_CHAPTER_FRAMES in all.
MAX_FRAMES = 6
MAX_CHAPTER_FRAMES = 12

#: A chapter of the video: (title, start, end), seconds from the video's start.
ChapterSpan = tuple[str, float, float]


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


#: The line of notes.latex after the fixed preamble, the part every concept's notes share.
DUMP_MARKER = "\\csname endofdump\\endcsname\n"


@functools.cache
def notes_preamble() -> str:
    """The notes template's fixed preamble (its packages and macros, before DUMP_MARKER)."""
    head, found, _ = template_text().partition(DUMP_MARKER)
    return head if found else ""


def warm_notes_format() -> None:
    """Build this machine's format of the notes preamble now, if missing (the render stage
    starts this in a thread: the first notes PDF need not wait for it)."""
    from builder.video.texformat import notes_format

    preamble = notes_preamble()
    if preamble:
        notes_format(preamble)


def _format_for(tex: str) -> Path | None:
    """The notes format, when this notes.tex starts with the very preamble it was dumped from."""
    from builder.video.texformat import notes_format

    preamble = notes_preamble()
    if not preamble or tex.partition(DUMP_MARKER)[0] != preamble:
        return None
    return notes_format(preamble)


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
                    page_url: str | None, titles: Mapping[str, str] | None = None,
                    chapters: Sequence[ChapterSpan] = (),
                    anchor_times: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """Inputs that change the notes' PDF; the render key is in it: the poster and storyboard are.

    The chapters and the anchors' times follow from the render key too, but are named here so
    that a change in how the build reads them off the render also makes the PDF again.
    """
    titles = titles or {}
    times = anchor_times or {}
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
        "chapters": [[title, start, end] for title, start, end in chapters],
        "anchor_times": [[a.latex, times[a.latex]] if a.latex in times else [a.latex, "unknown"]
                         for a in concept.anchors],
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


def _template_unicode() -> frozenset[str]:
    """The characters beyond Latin-1 that the template sets (its \\newunicodechar lines)."""
    return frozenset(re.findall(r"\\newunicodechar\{(.)\}", template_text()))


#: Punctuation pdflatex's utf8 input encoding sets with T1 fonts, beyond Latin-1.
_TEX_PUNCTUATION = frozenset("–—‘’“”…•€")


def tex_text(text: str) -> str:
    """Untrusted one-line text (a chapter title from model code) as LaTeX that always compiles.

    Special characters are escaped; a character pdflatex cannot set (an emoji, CJK) would stop
    the whole PDF, so it becomes its closest ASCII letters, or is left out.
    """
    known = _template_unicode() | _TEX_PUNCTUATION
    out = []
    for ch in text:
        if ord(ch) < 0x180 or ch in known:
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii"))
    return _tex_escape(" ".join("".join(out).split()))


def format_clock(seconds: float) -> str:
    """A moment of the video as the page shows it: m:ss (0:07, 1:05)."""
    total = max(0, round(seconds))
    return f"{total // 60}:{total % 60:02d}"


def _anchor_when(latex: str, times: Mapping[str, float | None]) -> str:
    if latex not in times:
        return ""  # no record: say nothing rather than something wrong
    time = times[latex]
    text = "not shown in the video" if time is None else f"at {format_clock(time)}"
    # \\parfillskip=0pt: the last line is set full width, so the time sits at the right margin.
    return f"\\hfill{{\\footnotesize\\mdseries\\color{{mrgrey}}{text}}}\\parfillskip=0pt\\par"


def anchors_box(concept: Concept, anchor_times: Mapping[str, float | None] | None = None) -> str:
    """The boxed list of anchor equations, as LaTeX (unnumbered: the notes' equations are).

    With `anchor_times` (LaTeX -> seconds, None: never on screen) each label carries the moment
    the video first shows it.
    """
    times = anchor_times or {}
    rows = []
    for anchor in concept.anchors:
        rows.append(f"{{\\sffamily\\small\\bfseries\\color{{mrteal}}{_tex_escape(anchor.label)}"
                    f"{_anchor_when(anchor.latex, times)}}}\n"
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


def chapter_of(chapters: Sequence[ChapterSpan], seconds: float) -> int:
    """Index of the chapter playing at `seconds` (a frame on a boundary opens the next one)."""
    index = 0
    for number, (_, start, _) in enumerate(chapters):
        if seconds + 1e-6 >= start:
            index = number
    return index


def pick_frames(storyboard: Sequence[tuple[Path, float]], chapters: Sequence[ChapterSpan] = ()
                ) -> list[tuple[Path, float]]:
    """The storyboard frames the PDF shows: the first six, or an even share of each chapter's."""
    if not chapters:
        return list(storyboard[:MAX_FRAMES])
    # A row (three) per chapter while that fits; fewer per chapter for long chapter lists.
    each = max(1, min(3, MAX_CHAPTER_FRAMES // len(chapters)))
    picked: list[tuple[Path, float]] = []
    for index in range(len(chapters)):
        mine = [frame for frame in storyboard if chapter_of(chapters, frame[1]) == index]
        step = max(1, len(mine) // each)
        picked += mine[::step][:each]
    return picked[:MAX_CHAPTER_FRAMES]


def _frame_rows(frames: Sequence[tuple[str, float]]) -> str:
    cells = [f"\\mrframe{{{name}}}{{{format_time(time)}}}" for name, time in frames]
    rows = ["\\hfill".join(row + ["\\mrblank"] * (3 - len(row)))
            for row in (cells[i:i + 3] for i in range(0, len(cells), 3))]
    return "\\noindent\n" + "\\par\\vspace{0.9em}\\noindent\n".join(rows) + "\\par\n"


def storyboard_tex(frames: Sequence[tuple[str, float]], chapters: Sequence[ChapterSpan] = ()) -> str:
    """A section of frames from the video, three to a row, each with its time.

    With chapters the frames are grouped under each chapter's title and time span.
    """
    if not frames:
        return ""
    # The heading stays with the frames: ask for room for the first row before starting.
    head = "\\Needspace{0.3\\textheight}\n\\section{Storyboard}\n"
    if not chapters:
        return (head + "{\\small\\color{mrgrey}Frames from the animation, with the time at which each "
                "appears.\\par}\n\\vspace{0.6em}" + _frame_rows(frames))
    out = [head, f"{{\\small\\color{{mrgrey}}Frames from the animation's {len(chapters)} chapters, "
                 "with the time at which each appears.\\par}\n"]
    for index, (title, start, end) in enumerate(chapters):
        mine = [frame for frame in frames if chapter_of(chapters, frame[1]) == index]
        if not mine:
            continue
        name = tex_text(title) or f"Chapter {index + 1}"
        span = f"{format_clock(start)}--{format_clock(end)}"
        # The bracketed title is the PDF bookmark's: plain text, without the times.
        out.append(f"\\Needspace{{0.22\\textheight}}\n\\subsection[{{{index + 1}. {name}}}]"
                   f"{{{index + 1}. {name}\\quad{{\\mdseries\\small\\color{{mrgrey}}{span}}}}}\n"
                   + _frame_rows(mine))
    return "".join(out)


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
                generator: str = "", runner: Runner = run, timeout: float = 180,
                chapters: Sequence[ChapterSpan] = (),
                anchor_times: Mapping[str, float | None] | None = None) -> NotesOutput:
    """Compile notes.md to notes.tex (pandoc) and notes.pdf (pdflatex), published under the key.

    `storyboard` holds (image, seconds) frames from the video; `titles` names the prerequisites;
    `chapters` (title, start, end) group the storyboard; `anchor_times` (LaTeX -> seconds, None:
    never shown) put a time on each key equation.
    """
    key = notes_key(parts)
    final = notes_dir / key
    titles = titles or {}
    with staging_dir(final) as stage:
        (stage / "notes.md").write_text(notes, encoding="utf-8")
        (stage / "anchors.tex").write_text(anchors_box(concept, anchor_times), encoding="utf-8")
        (stage / "template.latex").write_text(template_text(), encoding="utf-8")
        (stage / "notes.lua").write_text(filter_text(), encoding="utf-8")
        frames: list[tuple[str, float]] = []
        for index, (image, seconds) in enumerate(pick_frames(storyboard, chapters), start=1):
            if image.is_file():
                name = f"frame-{index:02d}{image.suffix.lower()}"
                shutil.copyfile(image, stage / name)
                frames.append((name, float(seconds)))
        after = storyboard_tex(frames, chapters) + learning_path_tex(
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
        checkpoint("notes")  # test kill point: between pandoc and pdflatex
        tex = (stage / TEX).read_text(encoding="utf-8")
        # The preamble's packages load from a format dumped once per machine (0.2 s a run
        # against 0.55 s here); a run that fails with it is run again without it.
        fmt = _format_for(tex)
        for _ in range(2):
            try:
                done = _pdflatex(runner, stage, fmt, timeout)
                if fmt is not None and (done.returncode != 0 or not (stage / PDF).is_file()):
                    log.info("notes of %s: pdflatex failed with the format %s; running it without",
                             concept.slug, fmt.name)
                    fmt = None
                    done = _pdflatex(runner, stage, fmt, timeout)
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
            if not needs_rerun(log_text, tex):
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


def _pdflatex(runner: Runner, stage: Path, fmt: Path | None, timeout: float) -> Completed:
    fmt_arg = [f"-fmt={fmt}"] if fmt is not None else []
    return runner(["pdflatex", *fmt_arg, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", TEX],
                  cwd=stage, env=tex_env(), timeout=timeout, check=False)


#: What LaTeX says when a second run would change the output.
_RERUN = re.compile(r"Rerun to get ([^.\n]*)")
#: What reads the labels a first run writes to the .aux file (pandoc writes \label on every
#: heading; internal links become \hyperlink, whose targets need no second run).
_READS_LABELS = re.compile(r"\\(?:page|auto|name|eq|c|C|v)?ref\b|\\hyperref\[|\\tableofcontents|\\listof")


def needs_rerun(log_text: str, tex: str) -> bool:
    """Whether pdflatex must run again: it asks to, for something the document reads back.

    "Label(s) may have changed" follows every first run of a document with headings, since
    pandoc labels each one; nothing in the notes refers to a label (raw TeX is off in notes.md,
    and the bookmark package writes the outline in the first run), so that request alone is
    skipped: it would double the notes' compile time on every first build.
    """
    reasons = _RERUN.findall(log_text)
    if not reasons:
        return False
    return any("cross-references" not in reason for reason in reasons) or bool(_READS_LABELS.search(tex))


def _count_pages(log_text: str) -> int:
    match = re.search(r"Output written on .*?\((\d+) pages?", log_text)
    return int(match.group(1)) if match else 0
