"""A precompiled LaTeX format of Manim's default preamble, so a formula's `latex` run skips it.

Manim compiles each formula it has not seen as a document of its own: `latex` reads the same
preamble (the standalone class, babel, amsmath, amssymb) every time, about 40% of the run.
A format dumped after that preamble (`latex -ini` with mylatexformat, from TeX Live) loads in
a fraction of it, and the SVG that dvisvgm then writes is the same, byte for byte.

The host builds the format, once per machine, TeX installation and Manim version, into the
user's cache (`~/.cache/mathreel/tex-formats/`): it is trusted input only (Manim's own
default template), never anything a scene wrote. Scene runs get it read-only and use it only
for a formula whose preamble is exactly the one dumped (layout_hook.py); a run of latex with
it that fails is run again without it, so a stale or broken format costs time, never a formula.

The notes PDF gets the same treatment (`notes_format`): the fixed part of its template loads
some twenty packages, about 60% of a pdflatex run; the template marks where it ends.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from builder.fsutil import user_cache

log = logging.getLogger(__name__)

#: The file beside a format that holds the preamble it was dumped from (what the child compares).
PREAMBLE_SUFFIX = ".preamble"
#: The file beside it that names the system format it was built against, and that file's time.
SYSTEM_SUFFIX = ".system"
_LOCK = threading.Lock()


def formats_dir() -> Path:
    """Where this user's formats live (XDG_CACHE_HOME, else ~/.cache)."""
    return user_cache("tex-formats")


def _engine(program: str = "latex") -> str | None:
    """The TeX engine `program` runs, as its real path, size and time (a stat: no subprocess)."""
    latex = shutil.which(program)
    if latex is None:
        return None
    real = os.path.realpath(latex)
    try:
        found = os.stat(real)
    except OSError:
        return None
    return f"{real}\n{found.st_size}\n{found.st_mtime_ns}"


def _system_format(program: str = "latex") -> str | None:
    """The system's format for `program` (rebuilt by fmtutil when TeX packages change), as path
    and time."""
    try:
        path = subprocess.run(["kpsewhich", "-engine=pdftex", f"{program}.fmt"], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()
        return f"{path}\n{os.stat(path).st_mtime_ns}"
    except (OSError, subprocess.SubprocessError):
        return None


def _unchanged(recorded: Path) -> bool:
    """The system format a format was built against is still the same file (a stat)."""
    try:
        path, stamp = recorded.read_text(encoding="utf-8").split("\n")
        return str(os.stat(path).st_mtime_ns) == stamp
    except (OSError, ValueError):
        return False


def _manim_preamble() -> str:
    """The preamble Manim's default template writes before each formula (imports Manim)."""
    from manim.utils.tex import TexTemplate

    return TexTemplate().get_texcode_for_expression("x").partition("\\begin{document}")[0]


@cache
def tex_format() -> Path | None:
    """This machine's format of Manim's default preamble, built on first use; None when it
    cannot be built here (no latex, no mylatexformat, an unwritable cache)."""
    from builder.video.render import manim_version

    # keyed by Manim's version, so a format already built is found without importing Manim
    return cached_format("manim", manim_version(), _manim_preamble)


@cache
def notes_format(preamble: str) -> Path | None:
    """This machine's pdflatex format of the notes template's fixed preamble (see module doc)."""
    return cached_format("notes", preamble, lambda: preamble, program="pdflatex")


def cached_format(prefix: str, version: str, preamble: Callable[[], str], *,
                  program: str = "latex") -> Path | None:
    """`<formats_dir>/<prefix>-<key>.fmt` for `program`, dumped from `preamble()` unless already
    there for this `version` and engine, and the system format it was built against is unchanged;
    None (and a log line) when it cannot be built here."""
    engine = _engine(program)
    if engine is None:
        return None
    key = hashlib.sha256(f"{version}\n{engine}".encode()).hexdigest()[:16]
    folder = formats_dir()
    fmt = folder / f"{prefix}-{key}.fmt"
    with _LOCK:
        if (fmt.is_file() and fmt.with_suffix(PREAMBLE_SUFFIX).is_file()
                and _unchanged(fmt.with_suffix(SYSTEM_SUFFIX))):
            return fmt
        try:
            return _build(folder, fmt, preamble(), program)
        except Exception as exc:  # no format only costs time: TeX reads the full preamble as always
            log.info("no precompiled %s format (%s): it compiles with the full preamble", program, exc)
            return None


def dump_format(folder: Path, name: str, preamble: str, program: str = "latex") -> Path:
    """`folder/name.fmt`: LaTeX's state after `preamble`, dumped by `<program> -ini` (mylatexformat)."""
    (folder / f"{name}.tex").write_text(preamble + "\\begin{document}\n\\end{document}\n", encoding="utf-8")
    done = subprocess.run([program, "-ini", "-interaction=batchmode", "-halt-on-error", f"-jobname={name}",
                           f"&{program}", "mylatexformat.ltx", f"{name}.tex"],
                          cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    built = folder / f"{name}.fmt"
    if done.returncode != 0 or not built.is_file():
        raise RuntimeError(f"{program} -ini exited {done.returncode} (is mylatexformat installed?)")
    return built


def _build(folder: Path, fmt: Path, preamble: str, program: str) -> Path:
    system = _system_format(program)
    if system is None:
        raise RuntimeError(f"kpsewhich does not find the system's {program}.fmt")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
        name = fmt.stem
        built = dump_format(Path(tmp), name, preamble, program)
        side = Path(tmp) / f"{name}{PREAMBLE_SUFFIX}"
        side.write_text(preamble, encoding="utf-8")
        recorded = Path(tmp) / f"{name}{SYSTEM_SUFFIX}"
        recorded.write_text(system, encoding="utf-8")
        # the format last: it is only used with its preamble and its record beside it
        os.replace(side, fmt.with_suffix(PREAMBLE_SUFFIX))
        os.replace(recorded, fmt.with_suffix(SYSTEM_SUFFIX))
        shutil.move(str(built), fmt)
    return fmt
