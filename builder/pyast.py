"""`ast.parse` that is safe to call from several threads at once.

CPython 3.11 keeps the AST converter's recursion depth in interpreter-wide state: two threads
parsing at once can fail with "SystemError: AST constructor recursion depth mismatch"
(CPython issue gh-106905, fixed in 3.12). The build parses in threads (concurrent model
answers, their checks, renders reading scene classes), so every parse goes through one lock.
Parsing a scene takes milliseconds; the lock costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse_python(source: str, filename: str = "<unknown>", **options: Any) -> ast.Module:
    """`ast.parse(source, filename, **options)` under the module's lock."""
    with _LOCK:
        tree: ast.Module = ast.parse(source, filename, **options)
    return tree
