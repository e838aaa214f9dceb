"""Notes stage: pandoc turns notes.md into notes.tex with the package's template; pdflatex makes the PDF."""

from __future__ import annotations

import logging
import os
import re
import shutil
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


_PANDOC_VERSION: list[str] = []


def pandoc_version(runner: Runner = run) -> str:
    """pandoc's version string, e.g. 2.17.1.1 (asked once per process); ToolError when missing."""
    if not _PANDOC_VERSION:
        done = runner(["pandoc", "--version"], cwd=Path.cwd(), timeout=30)
        first = done.stdout.splitlines()[0] if done.stdout else "pandoc unknown"
        _PANDOC_VERSION.append(first.split()[-1])
    return _PANDOC_VERSION[0]


def notes_key_parts(concept: Concept, notes: str, *, render_key: str | None, pandoc: str,
                    page_url: str | None) -> dict[str, Any]:
    """Inputs that change the notes' PDF; the render key is in it because the poster is."""
    return {
        "notes_sha256": sha256_text(notes),
        "title": concept.title,
        "summary": concept.summary,
        "level": concept.level,
        "tags": list(concept.tags),
        "anchors": [[a.label, a.latex] for a in concept.anchors],
        "template": sha256_text(template_text()),
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
    """The boxed list of anchor equations, as LaTeX."""
    rows = []
    for anchor in concept.anchors:
        rows.append(f"\\textbf{{{_tex_escape(anchor.label)}}}\n\\begin{{equation*}}\n{anchor.latex}\n\\end{{equation*}}")
    body = "\n".join(rows)
    return ("\\begin{tcolorbox}[colback=mrpaper,colframe=mrblue,title=Key equations,"
            "fonttitle=\\bfseries]\n" + body + "\n\\end{tcolorbox}\n")


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
                poster: Path | None, page_url: str | None, generator: str,
                runner: Runner = run, timeout: float = 180) -> NotesOutput:
    """Compile notes.md to notes.tex (pandoc) and notes.pdf (pdflatex), published under the key."""
    key = notes_key(parts)
    final = notes_dir / key
    with staging_dir(final) as stage:
        (stage / "notes.md").write_text(notes, encoding="utf-8")
        (stage / "anchors.tex").write_text(anchors_box(concept), encoding="utf-8")
        (stage / "template.latex").write_text(template_text(), encoding="utf-8")
        argv = ["pandoc", "notes.md", "--from", "markdown-raw_tex-raw_html+tex_math_dollars",
                "--to", "latex", "--standalone", "--template", "template.latex",
                "--include-before-body", "anchors.tex", "-o", TEX,
                "--metadata", f"title={concept.title}", "--variable", f"level={concept.level}",
                "--variable", f"generator={generator}"]
        if concept.summary:
            argv += ["--metadata", f"subtitle={concept.summary}"]
        for tag in concept.tags:
            argv += ["--variable", f"tags={_tex_escape(tag)}"]
        if poster is not None and poster.is_file():
            shutil.copyfile(poster, stage / "poster.png")
            argv += ["--variable", "poster=poster.png"]
        if page_url:
            argv += ["--variable", f"page-url={page_url}"]
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
        for leftover in stage.iterdir():
            if leftover.name not in (PDF, TEX, "poster.png"):
                leftover.unlink()
        write_json(stage / NOTES_JSON, {"key": key, "key_parts": parts, "slug": concept.slug,
                                        "pages": pages})
    return NotesOutput(key=key, folder=final, pages=pages)


def _count_pages(log_text: str) -> int:
    match = re.search(r"Output written on .*?\((\d+) pages?", log_text)
    return int(match.group(1)) if match else 0
