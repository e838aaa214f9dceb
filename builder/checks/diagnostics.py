"""Structured diagnostics shared by every check step, and exact source rewrites by AST position."""

from __future__ import annotations

import ast
import functools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

log = logging.getLogger(__name__)

#: The steps, in the order check_scene runs them.
STEPS = ("syntax", "safety", "contract", "api", "latex", "dryrun")

#: Longest message or snippet kept in the text handed to the model.
_MAX_SNIPPET = 160


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a scene: which step, what kind, where, and how to fix it."""

    step: str
    kind: str
    message: str
    line: int | None
    snippet: str
    fixable: bool
    severity: str = "error"


@dataclass(frozen=True)
class CheckResult:
    """The (possibly rewritten) source, what is still wrong with it, and what was rewritten."""

    source: str
    diagnostics: tuple[Diagnostic, ...]
    rewrites: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no error-severity diagnostic is left."""
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the error-severity diagnostics."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


def format_diagnostics(diags: Iterable[Diagnostic]) -> str:
    """Trimmed text for a repair prompt or the terminal: one entry per problem, snippet indented."""
    out: list[str] = []
    for d in diags:
        where = f"line {d.line}" if d.line else "scene"
        tag = d.step if d.severity == "error" else f"{d.step} warning"
        out.append(f"{where} [{tag}] {_trim(d.message, 400)}")
        snippet = d.snippet.strip()
        if snippet:
            out.append(f"    {_trim(snippet, _MAX_SNIPPET)}")
    return "\n".join(out)


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def source_line(source: str, line: int | None) -> str:
    """The text of one 1-based source line, stripped ("" when out of range)."""
    if not line:
        return ""
    lines = source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def make(step: str, kind: str, message: str, source: str, line: int | None, *,
         fixable: bool = False, severity: str = "error", snippet: str | None = None) -> Diagnostic:
    """Build a Diagnostic whose snippet is the source line unless one is given."""
    return Diagnostic(step=step, kind=kind, message=message, line=line,
                      snippet=source_line(source, line) if snippet is None else snippet,
                      fixable=fixable, severity=severity)


@dataclass(frozen=True)
class Edit:
    """Replace source text between two AST positions (1-based lines, UTF-8 byte columns)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str

    @classmethod
    def replace(cls, node: ast.AST, text: str) -> Edit:
        """An edit replacing the whole node."""
        return cls(node.lineno, node.col_offset, _end_line(node), _end_col(node), text)  # type: ignore[attr-defined]

    @classmethod
    def insert_before(cls, node: ast.AST, text: str) -> Edit:
        """An edit inserting text right before the node."""
        return cls(node.lineno, node.col_offset, node.lineno, node.col_offset, text)  # type: ignore[attr-defined]

    @classmethod
    def insert_after(cls, node: ast.AST, text: str) -> Edit:
        """An edit inserting text right after the node."""
        line, col = _end_line(node), _end_col(node)
        return cls(line, col, line, col, text)


def _end_line(node: ast.AST) -> int:
    value = getattr(node, "end_lineno", None)
    return int(value) if value is not None else int(node.lineno)  # type: ignore[attr-defined]


def _end_col(node: ast.AST) -> int:
    value = getattr(node, "end_col_offset", None)
    return int(value) if value is not None else int(node.col_offset)  # type: ignore[attr-defined]


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits; every byte outside them stays as it was."""
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))

    def offset(line: int, col: int) -> int:
        if line > len(lines):
            return len(source)
        prefix = lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace")
        return starts[line - 1] + len(prefix)

    spans = sorted(((offset(e.line, e.col), offset(e.end_line, e.end_col), e.text) for e in edits),
                   key=lambda s: (s[0], s[1]), reverse=True)
    out = source
    last_start = len(source) + 1
    for start, end, text in spans:
        if end > last_start:
            log.debug("skipping overlapping edit at offset %d", start)
            continue
        out = out[:start] + text + out[end:]
        last_start = start
    return out


def manim_imports(tree: ast.AST) -> frozenset[ast.alias]:
    """The aliases of `from manim[.<sub>] import Name` that bind Manim's name as itself (no `as`)."""
    return frozenset(a for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0
                     and node.module is not None and (node.module == "manim" or node.module.startswith("manim."))
                     for a in node.names if a.name != "*" and a.asname in (None, a.name))


def bound_names(tree: ast.AST, *, skip: frozenset[ast.alias] = frozenset()) -> frozenset[str]:
    """Every name the module binds anywhere (assignments, defs, params, imports, handlers).

    Import aliases in `skip` do not count (e.g. Manim's own names imported from a submodule).
    """
    return frozenset(name for node in ast.walk(tree) if not (isinstance(node, ast.alias) and node in skip)
                     for name in names_bound_by(node))


def names_bound_by(node: ast.AST) -> Iterator[str]:
    """The names one node binds in some scope (assignment, parameter, import, def, handler, ...)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias) and node.name != "*":
        yield (node.asname or node.name).split(".")[0]
    elif (isinstance(node, ast.ExceptHandler) and node.name) or (isinstance(node, ast.MatchAs | ast.MatchStar) and node.name):
        yield node.name
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest
    elif isinstance(node, ast.Global | ast.Nonlocal):
        yield from node.names


def has_star_import(tree: ast.Module, module: str = "manim") -> bool:
    """True when the module does `from <module> import *`."""
    return any(isinstance(n, ast.ImportFrom) and n.module == module and n.level == 0
               and any(a.name == "*" for a in n.names) for n in ast.walk(tree))


def call_name(node: ast.Call) -> str | None:
    """The called name: `f` for f(...), `attr` for x.attr(...), else None."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


@functools.cache
def manim_namespace() -> Mapping[str, object]:
    """What `from manim import *` puts in a scene's namespace (imports manim once, in-process)."""
    import manim

    return MappingProxyType({n: getattr(manim, n) for n in dir(manim) if not n.startswith("_")})
