"""Step 1: the scene must parse as Python."""

from __future__ import annotations

import ast
import logging
import warnings

from builder.checks.diagnostics import Diagnostic, make
from builder.pyast import parse_python

log = logging.getLogger(__name__)


def check_syntax(source: str) -> tuple[ast.Module | None, tuple[Diagnostic, ...]]:
    """Parse the source; on failure return no tree and one diagnostic with the line."""
    try:
        with warnings.catch_warnings():
            # "\s" in a non-raw string is a SyntaxWarning on 3.12; the LaTeX step reports it.
            warnings.simplefilter("ignore")
            tree = parse_python(source, filename="scene.py", type_comments=False)
    except SyntaxError as exc:
        kind = "indentation-error" if isinstance(exc, IndentationError) else "syntax-error"
        line = exc.lineno
        snippet = (exc.text or "").strip() if exc.text else None
        msg = exc.msg
        if "unicode error" in msg or "escape" in msg:
            msg += ' - write LaTeX in raw strings: r"\\xi", r"\\uparrow", r"\\N"'
        message = f"{'Indentation' if kind == 'indentation-error' else 'Syntax'} error: {msg}"
        return None, (make("syntax", kind, message, source, line, snippet=snippet),)
    except ValueError as exc:  # e.g. NUL bytes in the source
        return None, (make("syntax", "syntax-error", f"Source cannot be parsed: {exc}", source, None),)
    return tree, ()
