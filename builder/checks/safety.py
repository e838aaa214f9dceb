"""Step 2: an AST allowlist for model-written scenes; a rejected scene is never imported or run.

The rules are deliberately conservative. An import allowlist alone is not enough: Manim's own
modules re-export `os`, `subprocess` and `shutil`, its API reads files (SVGMobject, ImageMobject,
Code), NumPy reads and writes files, and Python's introspection (dunders, frames, format strings)
reaches everything. So besides imports this step rejects names, attributes and attribute chains
that lead to files, processes, the network or the interpreter's internals, and LaTeX commands
that read or write files. The render sandbox is the second wall; this is the first.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import logging
import re
import sys
import types
from collections.abc import Iterator

from builder.checks.diagnostics import Diagnostic, bound_names, make, manim_namespace

log = logging.getLogger(__name__)

#: Modules a scene may import, besides manim (`from manim import *`, `import manim`, `from manim import X`).
ALLOWED_IMPORTS = frozenset({
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial",
    "math", "cmath", "random", "itertools", "functools", "typing", "dataclasses", "collections",
    "collections.abc", "colorsys", "fractions", "decimal", "statistics", "string", "enum", "abc",
    "copy", "operator", "__future__",
})

#: Module roots that are escape hatches in themselves: never imported, never a bare name, and any
#: object defined in them (wherever re-exported) is off limits.
_DANGER_ROOTS = frozenset({
    "os", "posix", "posixpath", "nt", "ntpath", "sys", "subprocess", "socket", "pathlib", "shutil",
    "importlib", "importlib_metadata", "ctypes", "_ctypes", "pickle", "_pickle", "marshal", "io",
    "_io", "codecs", "tempfile", "signal", "_signal", "threading", "_thread", "multiprocessing",
    "concurrent", "asyncio", "urllib", "http", "requests", "inspect", "types", "gc", "runpy", "code",
    "codeop", "pdb", "bdb", "glob", "shelve", "dbm", "sqlite3", "zipfile", "tarfile", "gzip", "bz2",
    "lzma", "webbrowser", "platform", "resource", "pty", "fcntl", "mmap", "logging", "argparse",
    "configparser", "linecache", "traceback", "zipimport", "pkgutil", "site", "sysconfig",
    "fileinput", "filecmp", "ssl", "ftplib", "smtplib", "socketserver", "xmlrpc", "selectors",
    "select", "termios", "tty", "ensurepip", "venv", "distutils", "setuptools", "pkg_resources",
    "IPython", "av", "cairo", "PIL", "moderngl", "moderngl_window", "pyglet", "svgelements",
    "networkx", "pydub", "bs4", "rich", "watchdog", "pygments", "cloup", "click", "tqdm", "xml",
    "manimpango", "srt", "screeninfo", "builtins",
})

#: Names the brief singles out: rejected as bare names and as attributes on anything.
_DANGEROUS_MODULES = frozenset({
    "os", "sys", "subprocess", "socket", "pathlib", "shutil", "importlib", "builtins", "ctypes",
    "pickle", "marshal", "io", "tempfile", "signal", "threading", "multiprocessing", "urllib",
    "http", "requests", "inspect", "runpy", "posix", "posixpath", "codecs", "sp", "se", "av",
    "cairo", "webbrowser", "glob", "shelve", "zipfile", "tarfile",
})

#: Builtins that read input, run code, or reach the interpreter's namespaces.
_DENIED_BUILTINS = frozenset({
    "open", "exec", "eval", "compile", "__import__", "input", "breakpoint", "globals", "locals",
    "vars", "help", "license", "credits", "copyright", "memoryview",
})

#: Names `from manim import *` provides that touch files, processes or the configuration.
_DENIED_MANIM_NAMES = frozenset({"tempconfig", "console", "error_console", "register_font", "capture",
                                 "version", "get_plugins", "list_plugins", "logger"})

#: Manim classes that read a file named by their first argument: only direct calls, checked below.
_FILE_CLASSES = frozenset({"SVGMobject", "OpenGLSVGMobject", "ImageMobject", "OpenGLImageMobject", "Code"})

_REFLECTION = frozenset({"getattr", "setattr", "delattr", "hasattr"})

#: Attribute names that lead to files, frames, code objects or the interpreter, on any object.
_DENIED_ATTRS = frozenset(_DANGEROUS_MODULES | {
    # frames, generators, code objects, tracebacks
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "f_trace", "gi_frame", "gi_code",
    "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "tb_frame",
    "tb_next", "co_code", "co_consts", "co_names", "func_globals", "func_code", "func_closure",
    "im_func", "im_self", "cell_contents", "_getframe",
    # NumPy (and friends) file I/O
    "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
    "fromfile", "tofile", "fromregex", "memmap", "DataSource", "dump", "dumps", "lib",
    "ctypeslib", "f2py", "distutils", "testing", "rec",
    # files through Manim objects, pathlib-like and image objects
    "file_writer", "add_sound", "save_image", "get_image", "from_file", "open_file",
    "open_media_file", "register_font", "background_image", "write_text", "write_bytes",
    "read_text", "read_bytes", "write_to_png", "create_from_png", "unlink", "rmdir",
    "interactive_embed", "embed", "Path", "PurePath", "file_ops", "commands", "module_ops",
    "tex_file_writing", "scene_file_writer", "ipython_magic", "plugins", "cli", "sounds",
    # evaluation of strings as code (annotations, forward references)
    "get_type_hints", "ForwardRef", "singledispatch", "singledispatchmethod", "attrgetter",
    "methodcaller", "get_annotations", "system", "popen", "spawnl", "execv", "open",
    # rich consoles and logging handlers write files; C interfaces of arrays reach native code
    "console", "save_text", "save_html", "save_svg", "handlers", "cffi",
})

#: Attribute names the automatic scan would deny but which are ordinary Manim API.
_SCAN_EXEMPT = frozenset({"color", "errors", "renderer", "format", "copy", "time", "random", "math", "Style", "escape",
                          "union", "Match", "functools", "itertools", "typing", "np", "it", "op",
                          "reduce", "fr", "Fraction", "colorsys", "npt", "linalg", "dedent"})

#: Manim modules whose contents touch files, processes or configuration.
_MANIM_DANGER_MODULES = ("manim.utils.file_ops", "manim.utils.commands", "manim.utils.module_ops",
                         "manim.utils.sounds", "manim.utils.images", "manim.utils.tex_file_writing",
                         "manim.utils.ipython_magic", "manim.utils.docbuild", "manim.utils.testing",
                         "manim.utils.caching", "manim.scene.scene_file_writer", "manim._config",
                         "manim.plugins", "manim.cli", "manim.__main__", "manim.renderer",
                         "manim.manager", "manim.utils.hashing")

_MANIM_OK_PREFIXES = ("manim.animation", "manim.mobject", "manim.constants", "manim.utils.color",
                      "manim.utils.rate_functions", "manim.utils.space_ops", "manim.utils.bezier",
                      "manim.utils.simple_functions", "manim.utils.iterables", "manim.utils.paths",
                      "manim.utils.unit", "manim.utils.config_ops", "manim.typing", "manim.camera",
                      "manim.scene", "manim.data_structures")

_NUMPY_OK = ("numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial", "numpy.ma",
             "numpy.char", "numpy.strings", "numpy.dtypes", "numpy.exceptions", "numpy.typing")

#: NumPy modules that read or write files or load native code (the rest of NumPy's internals only
#: pass through, and their file functions are denied by name).
_NUMPY_DANGER = ("numpy.lib.npyio", "numpy.lib._npyio_impl", "numpy.lib._datasource", "numpy.lib.format",
                 "numpy.lib._format_impl", "numpy.ctypeslib", "numpy.f2py", "numpy.distutils",
                 "numpy.testing", "numpy._pytesttester", "numpy.lib._iotools")

#: Dunder methods a helper class may define (defining them reaches nothing).
_DUNDER_DEFS = frozenset({
    "__init__", "__post_init__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__", "__len__",
    "__iter__", "__next__", "__getitem__", "__contains__", "__call__", "__lt__", "__le__", "__gt__",
    "__ge__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__neg__", "__abs__", "__bool__", "__enter__", "__exit__",
})

#: `config` attributes a scene may read or set (frame geometry and colours; never paths or commands).
_CONFIG_OK = frozenset({
    "frame_width", "frame_height", "frame_x_radius", "frame_y_radius", "frame_size",
    "pixel_width", "pixel_height", "background_color", "background_opacity", "frame_rate",
    "top", "bottom", "left_side", "right_side", "aspect_ratio", "quality", "renderer",
    "transparent",
})

#: TeX that reads or writes files, runs code or builds control sequences out of text.
_TEX_DANGER = re.compile(
    r"\\(input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|readline|"
    r"write|immediate|newread|newwrite|closein|closeout|directlua|latelua|luaexec|catcode|csname|"
    r"scantokens|special|pdf[a-zA-Z]*|lstinputlisting|verbatiminput|includegraphics|includepdf|"
    r"endinput|everyeof|makeatletter|ExplSyntaxOn|CatchFile[a-zA-Z]*|filecontents|import|"
    r"subimport|jobname|shellescape|ShellEscape|write18|detokenize|string|usepackage\s*\[[^]]*\]\s*\{\s*/)"
    r"(?![a-zA-Z])|\^\^|\\begin\s*\{\s*filecontents")

_DUNDER = re.compile(r"__[A-Za-z0-9_]+__")
_ESCAPE_ATTR = re.compile(r"\b(f_globals|f_locals|f_builtins|f_back|gi_frame|gi_code|cr_frame|"
                          r"ag_frame|tb_frame|tb_next|co_code|func_globals)\b")


def check_safety(tree: ast.Module, source: str) -> tuple[Diagnostic, ...]:
    """Reject imports, names, attributes, calls and strings that escape the scene's sandbox."""
    visitor = _Safety(source, tree)
    visitor.visit(tree)
    seen: set[tuple[int | None, str, str]] = set()
    out: list[Diagnostic] = []
    for d in sorted(visitor.diags, key=lambda d: (d.line or 0, d.kind)):
        key = (d.line, d.kind, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return tuple(out)


def module_allowed(name: str) -> bool:
    """True when a scene may import the module or name it directly."""
    if name in ALLOWED_IMPORTS - {"__future__"} or name in {"manim", "manim.utils", "numpy.lib.scimath"}:
        return True
    if name.startswith(_MANIM_DANGER_MODULES):
        return False
    if name.startswith("manim."):
        return name.startswith(_MANIM_OK_PREFIXES)
    if name.startswith("numpy."):
        return name.startswith(_NUMPY_OK)
    return False


def module_dangerous(name: str) -> bool:
    """True for modules that reach files, processes, the network or the interpreter."""
    if module_allowed(name):
        return False
    root = name.split(".")[0]
    return (root in _DANGER_ROOTS or name.startswith(_MANIM_DANGER_MODULES + _NUMPY_DANGER)
            or name.startswith("scipy.io"))


def _object_dangerous(value: object) -> bool:
    """A dangerous module, a dangerous builtin, or a function/class defined in a dangerous module."""
    if isinstance(value, types.ModuleType):
        return module_dangerous(value.__name__)
    if any(value is b for b in _BUILTIN_DANGER):
        return True
    if isinstance(value, type) or callable(value):
        mod = getattr(value, "__module__", None)
        if not isinstance(mod, str) or mod == "builtins":
            return False
        return module_dangerous(mod) or (mod.startswith("numpy") and getattr(value, "__name__", "") in _DENIED_ATTRS)
    return False


_BUILTIN_DANGER = tuple(getattr(builtins, n) for n in sorted(_DENIED_BUILTINS) if hasattr(builtins, n))


@functools.cache
def denied_attribute_names() -> frozenset[str]:
    """The static denylist plus every name under which a module a scene can reach re-exports
    something dangerous (a breadth-first scan of the installed modules, done once)."""
    manim_namespace()  # manim and its dependencies are imported
    queue = [m for n, m in list(sys.modules.items())
             if m is not None and isinstance(m, types.ModuleType) and module_allowed(n)]
    seen = {id(m) for m in queue}
    found: set[str] = set()
    while queue:
        module = queue.pop()
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for name, value in items:
            if name.startswith("__"):
                continue
            try:
                dangerous = _object_dangerous(value)
            except Exception:
                continue
            if dangerous:
                found.add(name)
            elif isinstance(value, types.ModuleType) and id(value) not in seen:
                seen.add(id(value))
                queue.append(value)  # harmless pass-through (re, json, ...): scan what it re-exports
    found -= _SCAN_EXEMPT
    log.debug("safety: %d re-exported dangerous names", len(found))
    return frozenset(found | _DENIED_ATTRS)


class _Safety(ast.NodeVisitor):
    def __init__(self, source: str, tree: ast.Module) -> None:
        self.source = source
        self.bound = bound_names(tree)
        self.diags: list[Diagnostic] = []
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.aliases: dict[str, str] = {}  # local name -> module it stands for
        self.config_names = {"config"} - set(self.bound)
        self.denied_attrs = denied_attribute_names()
        self.namespace = manim_namespace()
        # names this file defines itself: its own private attributes and methods are fine
        self.user_members = set(self.bound) | {
            n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Load)}

    # -- reporting -------------------------------------------------------------
    def reject(self, node: ast.AST, kind: str, message: str) -> None:
        line = getattr(node, "lineno", None)
        self.diags.append(make("safety", kind, message, self.source, line))

    # -- imports ----------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if name == "manim" or name in ALLOWED_IMPORTS:
                self.aliases[alias.asname or name.split(".")[0]] = name if alias.asname else name.split(".")[0]
                continue
            if name.startswith("manim."):
                self.reject(node, "forbidden-import",
                            f"`import {name}` is not allowed: use `from manim import *` (everything "
                            "a scene needs is exported there)")
            else:
                self.reject(node, "forbidden-import", _import_message(name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        if node.level:
            self.reject(node, "forbidden-import", "relative imports are not allowed in a scene")
            return
        if mod.startswith("manim."):
            self.reject(node, "forbidden-import",
                        f"`from {mod} import ...` is not allowed: use `from manim import *`")
            return
        if mod != "manim" and mod not in ALLOWED_IMPORTS:
            self.reject(node, "forbidden-import", _import_message(mod))
            return
        for alias in node.names:
            if alias.name == "*":
                if mod != "manim":
                    self.reject(node, "forbidden-import",
                                f"`from {mod} import *` is not allowed: import the names you use, or "
                                f"`import {mod}`")
                continue
            if _DUNDER.fullmatch(alias.name) or alias.name in self.denied_attrs:
                self.reject(node, "forbidden-import", f"importing `{alias.name}` from {mod} is not allowed")
                continue
            if mod == "manim" and alias.name == "config":
                self.config_names.add(alias.asname or alias.name)
            value = _lookup(mod, alias.name)
            if value is not _MISSING and _object_dangerous(value):
                self.reject(node, "forbidden-import", f"importing `{alias.name}` from {mod} is not allowed "
                            "(it reaches files, processes or the interpreter)")
            elif isinstance(value, types.ModuleType):
                self.aliases[alias.asname or alias.name] = value.__name__

    # -- names ------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if _DUNDER.fullmatch(name):
            if not (name == "__name__" and self._in_main_guard(node)):
                self.reject(node, "dunder", f"`{name}` is not allowed in a scene (double-underscore "
                            "names reach the interpreter's internals)")
        elif name in _DENIED_BUILTINS:
            self.reject(node, "forbidden-name", f"`{name}` is not allowed in a scene: "
                        f"{_BUILTIN_ADVICE.get(name, 'it reads input or runs arbitrary code')}")
        elif (name in _DANGEROUS_MODULES or name in _DANGER_ROOTS) and name not in self.bound:
            self.reject(node, "forbidden-name", f"`{name}` is not allowed in a scene (files, processes "
                        "and the network are off limits)")
        elif name in _REFLECTION:
            parent = self.parents.get(node)
            if not (isinstance(parent, ast.Call) and parent.func is node):
                self.reject(node, "dynamic-attribute", f"`{name}` may only be called directly, with a "
                            "constant attribute name")
        elif name in _FILE_CLASSES and name not in self.bound and not self._is_call_func(node):
            self.reject(node, "file-access", f"{name} reads files: it may only be called directly "
                        "(with data built in code), not passed around, aliased or subclassed")
        elif name not in self.bound and name in self.namespace:
            value = self.namespace[name]
            if _object_dangerous(value) or name in _DENIED_MANIM_NAMES:
                self.reject(node, "forbidden-name", f"`{name}` (from manim) is not allowed in a scene: it "
                            "touches files, processes or the configuration")

    # -- attributes ---------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        parent = self.parents.get(node)
        if _DUNDER.fullmatch(attr):
            direct_call = isinstance(parent, ast.Call) and parent.func is node
            if not (attr == "__init__" and direct_call):
                self.reject(node, "dunder", f"`.{attr}` is not allowed in a scene (double-underscore "
                            "attributes reach the interpreter's internals)")
        elif attr in self.denied_attrs:
            self.reject(node, _attr_kind(attr), f"`.{attr}` is not allowed in a scene: "
                        f"{_ATTR_ADVICE.get(attr, 'it reaches files, processes or the interpreter')}")
        elif attr.startswith("_") and attr not in self.user_members:
            self.reject(node, "private-attribute", f"`.{attr}`: private attributes of library objects are not "
                        "allowed in a scene (only your own, defined in this file)")
        elif attr in _FILE_CLASSES and not self._is_call_func(node):
            self.reject(node, "file-access", f"{attr} reads files: it may only be called directly")
        else:
            self._check_chain(node)
        self._check_config_attr(node)
        self.generic_visit(node)

    def _check_chain(self, node: ast.Attribute) -> None:
        """Resolve `a.b.c` rooted at a module name and reject any step outside the allowlist."""
        parts: list[str] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name):
            return
        parts.reverse()
        obj = self._root_object(cur.id)
        if obj is _MISSING:
            return
        path = cur.id
        for part in parts:
            if part.startswith("_") and isinstance(obj, types.ModuleType):
                self.reject(node, "forbidden-attribute", f"`{path}.{part}`: private module attributes "
                            "are not allowed in a scene")
                return
            try:
                obj = getattr(obj, part, _MISSING)
            except Exception:
                return
            path = f"{path}.{part}"
            if obj is _MISSING:
                return
            if _object_dangerous(obj):
                self.reject(node, "forbidden-attribute", f"`{path}` is not allowed in a scene: it reaches "
                            "files, processes or the interpreter")
                return
            if not isinstance(obj, types.ModuleType):
                return

    def _root_object(self, name: str) -> object:
        if name in self.aliases:
            return _import(self.aliases[name])
        if name in self.bound:
            return _MISSING
        value = self.namespace.get(name, _MISSING)
        return value if isinstance(value, types.ModuleType) else _MISSING

    def _check_config_attr(self, node: ast.Attribute) -> None:
        base = node.value
        is_config = (isinstance(base, ast.Name) and base.id in self.config_names) or (
            isinstance(base, ast.Attribute) and base.attr == "config" and isinstance(base.value, ast.Name)
            and self.aliases.get(base.value.id) == "manim")
        if is_config and node.attr not in _CONFIG_OK:
            self.reject(node, "forbidden-config", f"`config.{node.attr}` is not allowed in a scene: a scene "
                        f"may only use {', '.join(sorted(_CONFIG_OK))}; the builder sets output paths "
                        "and quality")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.config_names:
            key = node.slice
            if not (isinstance(key, ast.Constant) and key.value in _CONFIG_OK):
                shown = key.value if isinstance(key, ast.Constant) else "..."
                self.reject(node, "forbidden-config", f"`config[{shown!r}]` is not allowed in a scene: "
                            f"only {', '.join(sorted(_CONFIG_OK))}")
        self.generic_visit(node)

    # -- calls ----------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Name) and name in _REFLECTION:
            self._check_reflection(node, name)
        if name in {"SVGMobject", "OpenGLSVGMobject"} and name not in self.bound:
            self.reject(node, "file-access", f"{name} reads a file and is not allowed in a scene: draw the "
                        "shape with VMobject, Polygon, Arc, ... instead")
        elif name in {"ImageMobject", "OpenGLImageMobject"} and name not in self.bound:
            if not node.args or not _is_array_expr(node.args[0]):
                self.reject(node, "file-access", f"{name} with a file name reads a file and is not allowed: "
                            "pass a NumPy array of pixels (e.g. np.uint8 values) instead")
        elif name == "Code" and name not in self.bound:
            if node.args or any(k.arg == "code_file" for k in node.keywords):
                self.reject(node, "file-access", "Code with a file name reads a file and is not allowed: "
                            "use Code(code_string=..., language=...)")
            if any(k.arg is None for k in node.keywords):
                self.reject(node, "file-access", "Code(**kwargs) is not allowed: pass code_string= explicitly")
        elif name == "join" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant):
            folded = _fold_join(node)
            if folded is not None:
                self._check_text(node, folded)
        self.generic_visit(node)

    def _check_reflection(self, node: ast.Call, name: str) -> None:
        if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant) or not isinstance(node.args[1].value, str):
            self.reject(node, "dynamic-attribute", f"{name}() needs a constant attribute name in a scene: "
                        "write obj.attribute directly")
            return
        attr = node.args[1].value
        if _DUNDER.fullmatch(attr) or attr in self.denied_attrs or attr.startswith("_") or attr in _FILE_CLASSES:
            self.reject(node, "dynamic-attribute", f"{name}(..., {attr!r}) is not allowed in a scene")

    # -- definitions ------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if _DUNDER.fullmatch(node.name) and node.name not in _DUNDER_DEFS:
            self.reject(node, "dunder", f"defining `{node.name}` is not allowed in a scene")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if _DUNDER.fullmatch(name):
                self.reject(node, "dunder", f"`global {name}` is not allowed in a scene")

    visit_Nonlocal = visit_Global  # type: ignore[assignment]

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg and _DUNDER.fullmatch(node.arg):
            self.reject(node, "dunder", f"keyword `{node.arg}=` is not allowed in a scene")
        self.generic_visit(node)

    # -- strings ----------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._check_text(node, node.value)
        elif isinstance(node.value, bytes):
            self._check_text(node, node.value.decode("latin-1"))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        folded = _fold_concat(node)
        if folded is not None:
            self._check_text(node, folded)
        self.generic_visit(node)

    def _check_text(self, node: ast.AST, text: str) -> None:
        dunder = _DUNDER.search(text)
        if dunder and not (dunder.group(0) == "__main__" and text == "__main__"):
            self.reject(node, "dunder", f"the string contains `{dunder.group(0)}`: double-underscore names "
                        "are not allowed in a scene, not even in strings (format strings reach attributes)")
        escape = _ESCAPE_ATTR.search(text)
        if escape:
            self.reject(node, "forbidden-attribute", f"the string names `{escape.group(1)}`, an interpreter "
                        "internal; not allowed in a scene")
        tex = _TEX_DANGER.search(text)
        if tex:
            self.reject(node, "tex-file-access", f"the LaTeX `{tex.group(0)}` reads or writes files or "
                        "builds commands from text; not allowed in a scene")

    def _is_call_func(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and parent.func is node

    def _in_main_guard(self, node: ast.Name) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Compare) and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in [parent.left, *parent.comparators])


_MISSING = object()

_BUILTIN_ADVICE = {
    "open": "scenes may not read or write files; build the data in code",
    "input": "scenes run without a terminal",
    "eval": "write the expression directly",
    "exec": "write the code directly",
    "compile": "write the code directly",
    "__import__": "use the allowed imports at the top of the file",
    "globals": "use module-level names directly",
    "locals": "use the variables directly",
    "vars": "use the attributes directly",
}

_ATTR_ADVICE = {
    "load": "scenes may not read files; build the array in code (np.array, np.linspace, ...)",
    "save": "scenes may not write files",
    "savetxt": "scenes may not write files",
    "loadtxt": "scenes may not read files; build the array in code",
    "tofile": "scenes may not write files",
    "fromfile": "scenes may not read files",
    "add_sound": "scenes may not read sound files",
    "get_image": "scenes may not export images",
}


def _attr_kind(attr: str) -> str:
    if attr in _DANGEROUS_MODULES:
        return "forbidden-module"
    if attr in {"load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
                "fromfile", "tofile", "fromregex", "memmap", "DataSource", "dump", "dumps", "add_sound",
                "save_image", "get_image", "from_file", "open_file", "read_text", "read_bytes",
                "write_text", "write_bytes", "register_font", "background_image"}:
        return "file-access"
    return "forbidden-attribute"


def _import_message(name: str) -> str:
    allowed = ", ".join(sorted(ALLOWED_IMPORTS - {"__future__"}))
    return f"`import {name}` is not allowed in a scene; allowed: manim, {allowed}"


@functools.cache
def _import(name: str) -> object:
    try:
        return importlib.import_module(name)
    except Exception:
        return _MISSING


def _lookup(module: str, name: str) -> object:
    if module == "manim":
        return manim_namespace().get(name, _MISSING)
    mod = _import(module)
    return getattr(mod, name, _MISSING) if mod is not _MISSING else _MISSING


def _is_array_expr(node: ast.expr) -> bool:
    """Pixel data built in code: np.something(...), a list display or a comprehension."""
    if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
        return True
    if isinstance(node, ast.Call):
        f = node.func
        while isinstance(f, ast.Attribute):
            f = f.value
        return isinstance(f, ast.Name) and f.id in {"np", "numpy"}
    if isinstance(node, ast.BinOp):
        return _is_array_expr(node.left) or _is_array_expr(node.right)
    return False


def _fold_concat(node: ast.expr) -> str | None:
    """The value of `"a" + "b" + ...` when every operand is a constant string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold_concat(node.left), _fold_concat(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _fold_join(node: ast.Call) -> str | None:
    """The value of `"sep".join([...constants...])`."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant)
            and isinstance(func.value.value, str) and len(node.args) == 1):
        return None
    arg = node.args[0]
    if not isinstance(arg, ast.List | ast.Tuple):
        return None
    parts = [_fold_concat(e) for e in arg.elts]
    if any(p is None for p in parts):
        return None
    return func.value.value.join(p for p in parts if p is not None)


def iter_rejections(source: str) -> Iterator[Diagnostic]:
    """Parse and check a snippet (for tests and tools); syntax errors yield nothing."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    yield from check_safety(tree, source)
