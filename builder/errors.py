"""Error types: one base, one subclass per stage; messages say what, where, why, and what next."""

from __future__ import annotations

from dataclasses import dataclass


class MathreelError(Exception):
    """Base of every error mathreel reports to the user (no traceback)."""


@dataclass(frozen=True)
class SpecProblem:
    """One problem in one concept file, located to a line where possible."""

    path: str
    line: int | None
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class SpecError(MathreelError):
    """Every invalid concept spec of one run, reported together."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        count = len(problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in concept specs:"]
        lines += [str(p) for p in problems]
        lines.append("Nothing was generated, rendered or written.")
        super().__init__("\n".join(lines))


class ConfigError(MathreelError):
    """The builder's settings (the mathreel plugin block in mkdocs.yml) are invalid."""


class ToolError(MathreelError):
    """An external program failed or is missing; carries the tail of its output."""

    def __init__(self, message: str, *, tail: str = "", returncode: int | None = None) -> None:
        self.tail = tail
        self.returncode = returncode
        super().__init__(message if not tail else f"{message}\n{tail}")


class ToolTimeout(ToolError):
    """An external program ran past its time limit and was killed."""


class GenerateError(MathreelError):
    """A scene could not be generated (model or template)."""


class RenderError(MathreelError):
    """Manim failed to render a scene."""


class NotesError(MathreelError):
    """pandoc or LaTeX failed to turn notes.md into notes.tex / notes.pdf."""


class SiteError(MathreelError):
    """MkDocs failed to build the site."""


class LockError(MathreelError):
    """Another build holds the project lock."""
