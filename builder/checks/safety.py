"""Step 2: the static safety check of model-written scenes; a refused scene is never imported or run.

This is the first of three walls: the scene then runs in a bubblewrap sandbox as nobody with no
network, under a run-time audit hook that aborts on files outside the work folder, processes
and sockets. The static rules below are the one rule set; each exists for the reason given.
An import allowlist alone is not enough: Manim's own modules re-export `os` and `subprocess`,
its API reads files, NumPy reads and writes files, and Python's introspection (dunders, frames,
format strings, `type`) reaches everything. Names are resolved by scope, so a rule applies to
what a name really holds (the manim `config`, a module, the file's own class), not to spelling.

Imports
  I1. `import M` only for M in ALLOWED_IMPORTS (and `manim`); `import manim.<sub>` is refused.
  I2. `from M import N`: M allowed, N not a dangerous object (a file/process function, a module
      that is not allowed, an evaluator such as typing.get_type_hints), no dunder, not private.
  I3. `from manim.<sub> import N` exactly when N is a public export of `manim` (or a name of
      manim.typing), is not a module or a dangerous export, and, where the submodule is loaded,
      is the same object as `manim.N`. So `...tips import ArrowSquareTip` passes and
      `from manim.utils.file_ops import os` does not.
  I4. `from manim.<sub> import *` is rewritten to `from manim import *` (fixable; fix_safety).
  I5. `from M import *` for an allowed M only when every name it binds passes I2 (`from math
      import *` passes; numpy, typing, string, functools, operator, warnings do not).

Names
  N1. Builtins that run code or reach namespaces (open, eval, exec, compile, __import__, input,
      globals, locals, vars, breakpoint, help, memoryview) are refused; bytes/bytearray too (R5).
  N2. Any identifier containing a dunder (`__x__`, also inside a longer name) is refused, except
      reads of `__name__`, `__qualname__`, `__doc__`. Helper classes may define the ordinary
      dunder methods in _DUNDER_DEFS (defining reaches nothing; reading does).
  N3. Dangerous module names and Manim exports that touch files, processes or the configuration
      (tempconfig, capture, console, logger, ...) are refused as names.
  N4. A module is only ever used as `module.name`: never passed, stored, aliased by assignment or
      modified. Together with I1-I3 this makes every module chain static, so M2 can be exact.
  N5. getattr/setattr/delattr/hasattr only as direct calls with a constant name, and that name
      must pass the attribute rules (A1-A6) for the receiver: `getattr(c, "radius", 1)` passes.
  N6. `type` only as `type(x)`: the 3-argument form, `type(x)(...)`, calling a name bound to
      `type(x)`, calling another metaclass (ABCMeta, EnumType, ...) and `.mro` are refused.

Attributes
  A1. Any attribute containing a dunder is refused, except `X.__init__(...)` as a direct call,
      reads of `__name__`/`__qualname__`/`__doc__`, and `__class__` directly followed by one of
      those (`self.__class__.__name__` passes, `self.__class__` alone does not).
  A2. Mobject turns `get_X()`/`set_X(v)` into getattr/setattr of X: X must pass A1-A4 too, so
      `Square().get___class__()` is refused.
  A3. On a module (M2 below) the real object is looked up: private attributes, dangerous objects
      and modules are refused; everything else passes (`decimal.Context`, `np.lib.stride_tricks`).
  A4. On any other receiver (a run-time object) the name denylist applies (denied_attribute_names:
      files, processes, frames and code objects, and every name under which a reachable module
      re-exports something dangerous), and private attributes are refused.
  A5. The file's own attributes are exempt from A4 (`self.system`, `self.images`, `self._cache`):
      X is exempt on `self` when the file assigns `self.X` or defines X in a class body, no
      library base class of any class in the file has X, `self` is the unrebound first parameter
      of an undecorated (or property) method, and that method is never reachable unbound: every
      `.method` reference is on self, super(), an instance of the file's class, a library object,
      `Class.method(self, ...)`, or a call with one positional argument too few to be unbound
      (`p.step(dt)` for `def step(self, dt)`); so `self` is always an instance of the file's own
      class. Interpreter internals, module names and the object-level file API (tofile, save,
      file_writer, ...) are never exempt.
  A6. `.format`/`.format_map` only on a string the check can compute (a literal, a sum of
      literals, a name bound only to literals, ...), and then every replacement field must pass
      A1-A4 (`'{0.__init__}'` is refused, `'{:.2f}'` passes); `string.Formatter` is refused in
      any use (R3). `.decode` is refused (R5).

Modules
  M1. ALLOWED_IMPORTS lists what a scene may import; Manim submodules reach it only through I3.
      Besides the standard library and NumPy it holds REVIEWED_MODULES, mathreel's own modules
      for scenes (mathreel_style: palette and caption helpers): staged beside scene.py for the
      child, loaded here from the same file, so every rule applies to what they really hold.
  M2. Module chains (`np.lib.npyio.load`, `warnings.sys`, `textwrap.re.sys`) are walked on the
      real modules; `module_dangerous` decides (files, processes, interpreter, evaluators).

Calls and values
  C1. SVGMobject is refused (it reads a file); ImageMobject takes pixel data only: a list, or a
      call of a known array-producing NumPy function (np.array, zeros, ones, full, linspace,
      arange, random.*, ...), arithmetic on one, or a name bound only to such values; not any
      `np.*(...)` (np.str_("/path") is a path). Code only with code_string=.
  C2. functools.wraps/update_wrapper only as direct calls without assigned=/updated= (those copy
      attributes by name); dataclasses.make_dataclass without namespace=; `**{...}` keys with
      dunders are refused (keyword names follow N2). `mob.set(**mapping)` with run-time keys stays
      allowed: it only sets attributes (setattr), it never reads one.
  C3. config (the manim config, followed through assignment aliases, tuple unpacking, walrus,
      `from manim import config as c`, `manim.config`): only config.<key> / config[<key>] for
      keys in _CONFIG_OK, and config.get(<key>); any other attribute, key, method call, deletion
      or use as a value (an argument, setattr(config, ...), stored in a container) is refused.
  C4. `match` class patterns name attributes (`case C(__class__=x)`): they follow A1-A4.

Strings and TeX
  R1. Plain text may contain anything (`Text("if __name__ == '__main__':")`, Code with
      `def __init__`): strings only matter where they become attribute names (N5, A6, C2, C4)
      or TeX.
  R2. Every string literal and every string the check can compute (concatenation, repetition,
      join, replace, f-strings of literals, names bound to literals) is searched for TeX that
      reads or writes files, runs code or builds control sequences from text (tex_danger:
      \\input, \\openin, \\write18, \\csname, \\UseName, \\directlua, \\catcode, ^^ escapes,
      \\usepackage{/abs/path}, ...).
  R3. TexTemplate(...), .add_to_preamble/.add_to_document, and the template fields (preamble=,
      documentclass=, ..., also assigned as attributes) take only computable strings;
      tex_compiler may only be "latex". string.Formatter is refused.
  R4. Tex/MathTex content may be built at run time (`MathTex(f"x = {v:.2f}")` is common): the
      run-time guard (builder/templates/guard.py, tex_refusal) checks every .tex file before
      latex reads it. Static checks cannot be a wall there: a backslash is one index away in any
      TeX literal (r"\\f"[0]) or string.punctuation.
  R5. Obfuscated string construction is refused so that R2 sees the text: chr() except of a
      constant that is not a backslash, caret or control character (`chr(960)` passes,
      `chr(65 + i)` is refused: index string.ascii_uppercase instead), bytes()/bytearray(),
      `.decode(...)`, str(x, encoding), codecs (a dangerous module).
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import importlib.util
import itertools
import logging
import re
import string
import sys
import types
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources

from builder.checks import world
from builder.checks.diagnostics import Diagnostic, Edit, apply_edits, make, manim_namespace
from builder.pyast import parse_python

log = logging.getLogger(__name__)

#: Modules a scene may import, besides manim (`from manim import *`, `import manim`, `from manim import X`).
ALLOWED_IMPORTS = frozenset({
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial", "numpy.typing",
    "numpy.lib.stride_tricks", "numpy.lib.scimath",
    "math", "cmath", "random", "itertools", "functools", "typing", "dataclasses", "collections",
    "collections.abc", "colorsys", "fractions", "decimal", "statistics", "string", "enum", "abc",
    "copy", "operator", "warnings", "textwrap", "re", "__future__", "mathreel_style",
})

#: mathreel's reviewed modules for scenes: files of builder/templates/ that sandbox.run_manim
#: stages beside scene.py. The checks load the same file under the same name (kept out of
#: sys.modules), so the objects they judge are the ones the scene gets.
REVIEWED_MODULES = frozenset({"mathreel_style"})

#: Module roots that are escape hatches in themselves: never imported, never a bare name, and any
#: object defined in them (wherever re-exported) is off limits.
_DANGER_ROOTS = frozenset({
    "os", "posix", "posixpath", "nt", "ntpath", "sys", "subprocess", "socket", "pathlib", "shutil",
    "importlib", "importlib_metadata", "ctypes", "_ctypes", "pickle", "_pickle", "marshal", "io",
    "_io", "codecs", "_codecs", "tempfile", "signal", "_signal", "threading", "_thread",
    "multiprocessing", "concurrent", "asyncio", "urllib", "http", "requests", "inspect", "types",
    "gc", "runpy", "code", "codeop", "pdb", "bdb", "glob", "shelve", "dbm", "sqlite3", "zipfile",
    "tarfile", "gzip", "bz2", "lzma", "webbrowser", "platform", "resource", "pty", "fcntl", "mmap",
    "logging", "argparse", "configparser", "linecache", "traceback", "zipimport", "pkgutil", "site",
    "sysconfig", "fileinput", "filecmp", "ssl", "ftplib", "smtplib", "socketserver", "xmlrpc",
    "selectors", "select", "termios", "tty", "ensurepip", "venv", "distutils", "setuptools",
    "pkg_resources", "IPython", "av", "cairo", "PIL", "moderngl", "moderngl_window", "pyglet",
    "svgelements", "networkx", "pydub", "bs4", "rich", "watchdog", "pygments", "cloup", "click",
    "tqdm", "xml", "manimpango", "srt", "screeninfo", "builtins", "_string", "copyreg", "pydoc",
})

#: Module names refused as bare names and as attributes on anything.
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

#: Frames, generators, code objects, tracebacks: the interpreter's internals, on any object.
_INTERNAL_ATTRS = frozenset({
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "f_trace", "gi_frame", "gi_code",
    "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "tb_frame",
    "tb_next", "co_code", "co_consts", "co_names", "func_globals", "func_code", "func_closure",
    "im_func", "im_self", "cell_contents", "_getframe", "mro",
})

#: Methods and attributes of run-time objects (arrays, scenes, cameras, images, paths, consoles)
#: that read or write files or reach native code.
_OBJECT_FILE_ATTRS = frozenset({
    "tofile", "dump", "dumps", "save", "file_writer", "add_sound", "save_image", "get_image",
    "write_to_png", "create_from_png", "read_text", "read_bytes", "write_text", "write_bytes",
    "unlink", "rmdir", "open", "open_file", "open_media_file", "from_file", "register_font",
    "background_image", "get_background_image", "interactive_embed", "embed", "console",
    "save_text", "save_html", "save_svg", "handlers", "ctypes", "cffi", "digest_file",
})

#: Attribute names that lead to files, frames, code objects or the interpreter, on any object.
_DENIED_ATTRS = frozenset(_DANGEROUS_MODULES | _INTERNAL_ATTRS | _OBJECT_FILE_ATTRS | {
    # NumPy (and friends) file I/O and raw memory
    "load", "loads", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile",
    "fromregex", "fromtextfile", "memmap", "open_memmap", "DataSource", "lib", "ctypeslib", "f2py",
    "distutils", "testing", "rec", "as_strided",
    # Manim's modules that touch files, pathlib-like names
    "Path", "PurePath", "file_ops", "commands", "module_ops", "tex_file_writing",
    "scene_file_writer", "ipython_magic", "plugins", "cli", "sounds",
    # evaluation of strings as code, or attribute access by a string
    "get_type_hints", "ForwardRef", "singledispatch", "singledispatchmethod", "attrgetter",
    "methodcaller", "get_annotations", "system", "popen", "spawnl", "execv", "Formatter",
    # warnings that read source lines of any file name
    "formatwarning", "showwarning", "warn_explicit",
})

#: Never exempt as the file's own attribute (A5): what is dangerous on a run-time object.
_NEVER_OWN = frozenset(_DANGEROUS_MODULES | _INTERNAL_ATTRS | _OBJECT_FILE_ATTRS)

#: Objects (by name) in allowed modules that evaluate strings, walk attributes by name, read
#: arbitrary files or reach raw memory.
_SPECIAL_DANGER = frozenset({
    "Formatter", "get_type_hints", "ForwardRef", "singledispatch", "singledispatchmethod",
    "attrgetter", "methodcaller", "formatwarning", "showwarning", "warn_explicit", "as_strided",
    "fromtextfile", "open_memmap",
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
             "numpy.char", "numpy.strings", "numpy.dtypes", "numpy.exceptions", "numpy.typing",
             "numpy.lib.stride_tricks", "numpy.lib.scimath")

#: NumPy modules that read or write files or load native code (the rest of NumPy's internals only
#: pass through, and their file functions are denied by name).
_NUMPY_DANGER = ("numpy.lib.npyio", "numpy.lib._npyio_impl", "numpy.lib._datasource", "numpy.lib.format",
                 "numpy.lib._format_impl", "numpy.ctypeslib", "numpy.f2py", "numpy.distutils",
                 "numpy.testing", "numpy._pytesttester", "numpy.lib._iotools", "numpy.ma.mrecords")

#: Dunder methods a helper class may define (defining them reaches nothing).
_DUNDER_DEFS = frozenset({
    "__init__", "__post_init__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__", "__len__",
    "__iter__", "__next__", "__getitem__", "__setitem__", "__contains__", "__call__", "__lt__",
    "__le__", "__gt__", "__ge__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__truediv__", "__rtruediv__", "__floordiv__", "__mod__", "__pow__", "__matmul__", "__neg__",
    "__pos__", "__abs__", "__bool__", "__float__", "__int__", "__round__", "__enter__", "__exit__",
})

#: Dunder names that only read a string (A1, N2).
_DUNDER_READS = frozenset({"__name__", "__qualname__", "__doc__"})

#: `config` attributes a scene may read or set (frame geometry and colours; never paths or commands).
_CONFIG_OK = frozenset({
    "frame_width", "frame_height", "frame_x_radius", "frame_y_radius", "frame_size",
    "pixel_width", "pixel_height", "background_color", "background_opacity", "frame_rate",
    "top", "bottom", "left_side", "right_side", "aspect_ratio", "quality", "renderer",
    "transparent",
})

#: TexTemplate fields that hold TeX source (R3).
_TEX_TEMPLATE_FIELDS = frozenset({"preamble", "documentclass", "post_doc_commands", "placeholder_text",
                                  "body", "tex_compiler"})

_TEX_PATH_COMMANDS = (r"usepackage|RequirePackage|RequirePackageWithOptions|documentclass|LoadClass|"
                      r"LoadClassWithOptions|usetikzlibrary|usepgflibrary|input|include")

#: TeX that reads or writes files, runs code or builds control sequences out of text (R2).
_TEX_DANGER = re.compile(
    r"\\(?:input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|readline|"
    r"write18|write|immediate|newread|newwrite|closein|closeout|directlua|latelua|luaexec|luadirect|catcode|"
    r"csname|begincsname|ifcs[a-zA-Z]*|lastnamedcs|UseName|UseExpandableName|ExpandArgs|letcs|"
    r"cs(?!ch?(?![a-zA-Z]))[a-zA-Z]*|scantokens|scantextokens|special|pdf[a-zA-Z]*|primitive|"
    r"lstinputlisting|verbatiminput|includegraphics|includepdf|endinput|everyeof|everyjob|font|"
    r"makeatletter|ExplSyntaxOn|CatchFile[a-zA-Z]*|filecontents|import|subimport|jobname|"
    r"shellescape|ShellEscape|detokenize|string)(?![a-zA-Z])"
    r"|\\@+[a-zA-Z]*input|\^\^|\\begin\s*\{\s*filecontents"
    rf"|\\(?:{_TEX_PATH_COMMANDS})\s*(?:\[[^\]]*\]\s*)?\{{(?:[^}}]*[/\\]|(?:[^}}]*,)?\s*\.)")

_DUNDER = re.compile(r"__[A-Za-z0-9_]*[A-Za-z0-9]_*__|____")

#: NumPy functions whose result is always an array (never a str): ImageMobject's pixel data (C1).
_ARRAY_FUNCTIONS = frozenset({
    "array", "asarray", "asanyarray", "ascontiguousarray", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "linspace", "logspace", "geomspace",
    "arange", "meshgrid", "stack", "vstack", "hstack", "dstack", "column_stack", "concatenate",
    "tile", "eye", "identity", "outer", "kron", "indices", "uint8", "uint16", "uint32", "int8",
    "int16", "int32", "int64", "float16", "float32", "float64",
})
_RANDOM_FUNCTIONS = frozenset({"rand", "randn", "randint", "random", "random_sample", "uniform", "normal",
                               "standard_normal", "integers", "beta", "exponential", "poisson", "binomial"})
_ARRAY_METHODS = frozenset({"astype", "reshape", "copy", "transpose", "swapaxes"})

_MISSING = world.MISSING

#: A variable: the scope node that binds it and its name.
_Var = tuple[ast.AST, str]


def check_safety(tree: ast.Module, source: str) -> tuple[Diagnostic, ...]:
    """Reject imports, names, attributes, calls and strings that escape the scene's sandbox."""
    return world.with_fallback(lambda: _check_safety(tree, source))


def _check_safety(tree: ast.Module, source: str) -> tuple[Diagnostic, ...]:
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


def fix_safety(tree: ast.Module, source: str) -> tuple[str, tuple[str, ...]]:
    """Apply the safety step's own rewrite (I4: `from manim.<sub> import *` -> `from manim import *`)."""
    edits: list[Edit] = []
    notes: list[str] = []
    has_star = any(isinstance(n, ast.ImportFrom) and n.module == "manim" and not n.level
                   and any(a.name == "*" for a in n.names) for n in tree.body)
    for node in _submodule_stars(tree):
        # one `from manim import *` is enough: further submodule stars are dropped
        edits.append(Edit.replace(node, "" if has_star else "from manim import *"))
        notes.append(f"line {node.lineno}: from {node.module} import * -> "
                     f"{'removed (from manim import * is there)' if has_star else 'from manim import *'}")
        has_star = True
    return (apply_edits(source, edits), tuple(notes)) if edits else (source, ())


def tex_danger(text: str) -> str | None:
    """The first TeX construct in text that reads or writes files or builds commands (R2), or None."""
    match = _TEX_DANGER.search(text)
    return match.group(0) if match else None


def module_allowed(name: str) -> bool:
    """True when a scene may import the module or name it directly."""
    if name in ALLOWED_IMPORTS - {"__future__"} or name in {"manim", "manim.utils"}:
        return True
    if name.startswith(_MANIM_DANGER_MODULES) or name.startswith(_NUMPY_DANGER):
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
    """A dangerous module, builtin, evaluator, file function, console or logger, wherever it lives
    (for a mirrored object, what this function said of the live one when the mirror was recorded)."""
    if isinstance(value, world.Mirrored):
        return world.recorded_dangerous(value)
    return live_object_dangerous(value)


def live_object_dangerous(value: object) -> bool:
    if isinstance(value, types.ModuleType):
        return module_dangerous(value.__name__)
    if any(value is b for b in _BUILTIN_DANGER):
        return True
    if isinstance(value, type) and issubclass(value, string.Formatter):
        return True
    if isinstance(value, type) or callable(value):
        if getattr(value, "__name__", None) in _SPECIAL_DANGER:
            return True
        mod = getattr(value, "__module__", None)
        if not isinstance(mod, str) or mod == "builtins":
            return False
        return module_dangerous(mod) or (mod.startswith("numpy") and getattr(value, "__name__", "") in _DENIED_ATTRS)
    if value is world.current().namespace.get("config"):
        return False  # the config has its own rule (C3)
    # module-level consoles, loggers and handlers write files (manim.console, manim.logger)
    mod = getattr(type(value), "__module__", None)
    return isinstance(mod, str) and mod.split(".")[0] in {"logging", "rich"}


_BUILTIN_DANGER = tuple(getattr(builtins, n) for n in sorted(_DENIED_BUILTINS) if hasattr(builtins, n))


def denied_attribute_names() -> frozenset[str]:
    """The static denylist plus every name under which a module a scene can reach re-exports
    something dangerous (see live_denied_attribute_names; the mirror holds its answer)."""
    found: frozenset[str] = world.world_fact("denied_attributes")
    return found


@functools.cache
def live_denied_attribute_names() -> frozenset[str]:
    """denied_attribute_names, from a breadth-first scan of the installed modules (done once)."""
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


def iter_rejections(source: str) -> Iterator[Diagnostic]:
    """Parse and check a snippet (for tests and tools); syntax errors yield nothing."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return
    yield from check_safety(tree, source)


# -- scopes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Binding:
    """One place a name is bound: how, where, and (for assignments and imports) to what."""

    kind: str  # assign | aug | param | import | def | class | other
    node: ast.AST
    value: ast.expr | None = None
    module: str | None = None  # imports: the module; with `name`, `from module import name`
    name: str | None = None


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class _Scopes:
    """Python's scoping rules, enough to tell which binding a name refers to."""

    def __init__(self, tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> None:
        self.module = tree
        self.parents = parents
        self.scope_of: dict[ast.AST, ast.AST] = {}
        self.enclosing: dict[ast.AST, ast.AST] = {}
        self.declared: dict[tuple[ast.AST, str], str] = {}  # (scope, name) -> global | nonlocal
        self.stars: list[str] = []  # modules star-imported at module level, in order
        self._raw: list[tuple[ast.AST, str, _Binding]] = []
        self._visit(tree, tree)
        raw_bound = {(scope, name) for scope, name, _ in self._raw}
        self.bindings: dict[_Var, list[_Binding]] = defaultdict(list)
        for scope, name, binding in self._raw:
            self.bindings[self._target_scope(scope, name, raw_bound), name].append(binding)

    # -- building
    def _bind(self, scope: ast.AST, name: str, binding: _Binding) -> None:
        self._raw.append((scope, name, binding))

    def _enter(self, node: ast.AST, scope: ast.AST) -> None:
        self.enclosing[node] = scope

    def _params(self, args: ast.arguments, scope: ast.AST) -> None:
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                self._bind(scope, a.arg, _Binding("param", a))

    def _outer_args(self, args: ast.arguments, scope: ast.AST) -> None:
        for d in [*args.defaults, *args.kw_defaults]:
            if d is not None:
                self._visit(d, scope)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self._visit(a.annotation, scope)

    def _visit(self, node: ast.AST, scope: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for d in node.decorator_list:
                self._visit(d, scope)
            self._outer_args(node.args, scope)
            if node.returns is not None:
                self._visit(node.returns, scope)
            self._bind(scope, node.name, _Binding("def", node))
            self._enter(node, scope)
            self._params(node.args, node)
            for stmt in node.body:
                self._visit(stmt, node)
        elif isinstance(node, ast.Lambda):
            self._outer_args(node.args, scope)
            self._enter(node, scope)
            self._params(node.args, node)
            self._visit(node.body, node)
        elif isinstance(node, ast.ClassDef):
            for outer in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self._visit(outer, scope)
            self._bind(scope, node.name, _Binding("class", node))
            self._enter(node, scope)
            for stmt in node.body:
                self._visit(stmt, node)
        elif isinstance(node, _COMPREHENSIONS):
            gens = node.generators
            self._visit(gens[0].iter, scope)  # the first iterable is evaluated outside
            self._enter(node, scope)
            for i, gen in enumerate(gens):
                if i:
                    self._visit(gen.iter, node)
                self._visit(gen.target, node)
                for cond in gen.ifs:
                    self._visit(cond, node)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self._visit(part, node)
        elif isinstance(node, ast.Name):
            self.scope_of[node] = scope
            if not isinstance(node.ctx, ast.Load):
                self._bind(scope, node.id, self._name_binding(node))
        elif isinstance(node, ast.NamedExpr):
            target = scope
            while isinstance(target, _COMPREHENSIONS):  # := binds in the enclosing function
                target = self.enclosing[target]
            self.scope_of[node.target] = target
            self._bind(target, node.target.id, _Binding("assign", node, node.value))
            self._visit(node.value, scope)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bind(scope, alias.asname, _Binding("import", node, module=alias.name))
                else:
                    root = alias.name.split(".")[0]
                    self._bind(scope, root, _Binding("import", node, module=root))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    if scope is self.module and not node.level:
                        self.stars.append(node.module or "")
                    continue
                self._bind(scope, alias.asname or alias.name,
                           _Binding("import", node, module=node.module or "", name=alias.name))
        elif isinstance(node, ast.Global | ast.Nonlocal):
            kind = "global" if isinstance(node, ast.Global) else "nonlocal"
            for name in node.names:
                self.declared[scope, name] = kind
        else:
            bound = (node.name if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar)
                     else node.rest if isinstance(node, ast.MatchMapping) else None)
            if bound:
                self._bind(scope, bound, _Binding("other", node))
            for child in ast.iter_child_nodes(node):
                self._visit(child, scope)

    def _name_binding(self, node: ast.Name) -> _Binding:
        parent = self.parents.get(node)
        if isinstance(parent, ast.Assign) and node in parent.targets:
            return _Binding("assign", node, parent.value)
        if isinstance(parent, ast.AnnAssign) and parent.target is node and parent.value is not None:
            return _Binding("assign", node, parent.value)
        if isinstance(parent, ast.AugAssign) and parent.target is node:
            return _Binding("aug", node, parent.value)
        if isinstance(parent, ast.Tuple | ast.List):
            grand = self.parents.get(parent)
            value = grand.value if isinstance(grand, ast.Assign) and parent in grand.targets else None
            if (isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(parent.elts)
                    and not any(isinstance(e, ast.Starred) for e in [*value.elts, *parent.elts])):
                return _Binding("assign", node, value.elts[parent.elts.index(node)])
        return _Binding("other", node)

    def _target_scope(self, scope: ast.AST, name: str, raw_bound: set[tuple[ast.AST, str]]) -> ast.AST:
        kind = self.declared.get((scope, name))
        if kind == "global":
            return self.module
        if kind == "nonlocal":
            outer = self.enclosing.get(scope, self.module)
            while outer is not self.module:
                if not isinstance(outer, ast.ClassDef) and (outer, name) in raw_bound:
                    return outer
                outer = self.enclosing.get(outer, self.module)
        return scope

    # -- queries
    def resolve(self, node: ast.Name) -> _Var | None:
        """The variable a name refers to, or None when it is free (a builtin or a star import)."""
        scope = self.scope_of.get(node, self.module)
        return self.lookup(scope, node.id)

    def lookup(self, scope: ast.AST, name: str) -> _Var | None:
        """Python's LEGB lookup of name from scope (class scopes only see their own body)."""
        first = True
        while True:
            kind = self.declared.get((scope, name))
            if kind == "global":
                return (self.module, name) if (self.module, name) in self.bindings else None
            if kind == "nonlocal" and scope is not self.module:  # (module-level nonlocal: a compile error)
                scope = self.enclosing.get(scope, self.module)
                first = False
                continue
            if (first or not isinstance(scope, ast.ClassDef)) and (scope, name) in self.bindings:
                return scope, name
            if scope is self.module:
                return None
            scope = self.enclosing.get(scope, self.module)
            first = False


# -- the check -------------------------------------------------------------------------------------

_Problem = tuple[str, str]


class _Safety(ast.NodeVisitor):
    def __init__(self, source: str, tree: ast.Module) -> None:
        self.source = source
        self.tree = tree
        self.diags: list[Diagnostic] = []
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.scopes = _Scopes(tree, self.parents)
        self.denied_attrs = denied_attribute_names()
        self.namespace = world.current().namespace
        self.config_object = self.namespace.get("config", _MISSING)
        self._memo: dict[tuple[str, object], object] = {}
        self._busy: set[tuple[str, object]] = set()
        self._init_classes()

    # -- reporting -------------------------------------------------------------------------
    def reject(self, node: ast.AST, kind: str, message: str, *, fixable: bool = False) -> None:
        line = getattr(node, "lineno", None)
        self.diags.append(make("safety", kind, message, self.source, line, fixable=fixable))

    # -- values ------------------------------------------------------------------------------
    def _cached(self, key: tuple[str, object], compute: functools.partial[object], default: object) -> object:
        """Memoised, recursion-safe evaluation (a name bound to itself gives the default)."""
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return default
        self._busy.add(key)
        try:
            value = compute()
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value

    def _bindings(self, var: _Var) -> list[_Binding]:
        return self.scopes.bindings.get(var, [])

    def _free_value(self, name: str) -> object:
        """What a free name holds: a star-imported name, a builtin, or Manim's export."""
        for module in reversed(self.scopes.stars):
            if module == "manim":
                if name in self.namespace:
                    return self.namespace[name]
            elif name in _star_names(module):
                return _lookup(module, name)
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return self.namespace.get(name, _MISSING)

    def _import_object(self, binding: _Binding) -> object:
        module = binding.module or ""
        if binding.name is None:
            return _import(module) if module == "manim" or module_allowed(module) else _MISSING
        if module == "manim":
            return self.namespace.get(binding.name, _MISSING)
        if module.startswith("manim."):
            return _submodule_export(module, binding.name)
        return _lookup(module, binding.name) if module_allowed(module) else _MISSING

    def _var_object(self, var: _Var) -> object:
        """The object a variable holds when every binding imports the same object."""
        bindings = self._bindings(var)
        if not bindings or any(b.kind != "import" for b in bindings):
            return _MISSING
        objects = [self._import_object(b) for b in bindings]
        return objects[0] if all(o is objects[0] for o in objects) else _MISSING

    def _value(self, expr: ast.AST) -> object:
        """The object an expression statically stands for (names and module attributes), or _MISSING."""
        if isinstance(expr, ast.Name):
            var = self.scopes.resolve(expr)
            return self._free_value(expr.id) if var is None else self._var_object(var)
        if isinstance(expr, ast.Attribute) and not expr.attr.startswith("_"):
            base = self._value(expr.value)
            if world.is_module(base) and not module_dangerous(world.name_of(base)):
                return world.get_attr(base, expr.attr)
        return _MISSING

    def _module_of(self, expr: ast.AST) -> object | None:
        value = self._value(expr)
        if world.is_module(value) and not module_dangerous(world.name_of(value)):
            return value
        return None

    def _is_builtin(self, expr: ast.AST, name: str) -> bool:
        return (isinstance(expr, ast.Name) and expr.id == name and self.scopes.resolve(expr) is None
                and self._free_value(name) is getattr(builtins, name))

    # -- computable strings (R2) -----------------------------------------------------------
    def _values(self, node: ast.AST, depth: int = 0) -> tuple[str, ...] | None:
        """Every value a string expression can have, when the check can compute them."""
        if depth > 24:
            return None
        if isinstance(node, ast.Constant):
            return (node.value,) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts: list[tuple[str, ...]] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append((v.value,))
                elif isinstance(v, ast.FormattedValue) and v.format_spec is None and v.conversion in (-1, 115):
                    inner = self._values(v.value, depth + 1)
                    if inner is None:
                        return None
                    parts.append(inner)
                else:
                    return None
            return _product(parts)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left, right = self._values(node.left, depth + 1), self._values(node.right, depth + 1)
                return None if left is None or right is None else _product([left, right])
            if isinstance(node.op, ast.Mult):
                for text, count in ((node.left, node.right), (node.right, node.left)):
                    values = self._values(text, depth + 1)
                    if (values is not None and isinstance(count, ast.Constant) and type(count.value) is int
                            and 0 <= count.value <= 1000):
                        return tuple(v * count.value for v in values)
            return None
        if isinstance(node, ast.IfExp):
            body, orelse = self._values(node.body, depth + 1), self._values(node.orelse, depth + 1)
            return None if body is None or orelse is None else _limit((*body, *orelse))
        if isinstance(node, ast.Subscript):
            return self._fold_subscript(node, depth)
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        if isinstance(node, ast.Name):
            var = self.scopes.resolve(node)
            if var is None:
                return None  # builtins and Manim's names are not strings
            return self._var_values(var)
        if isinstance(node, ast.Attribute):
            value = self._value(node)
            return (value,) if isinstance(value, str) else None
        return None

    def _var_values(self, var: _Var) -> tuple[str, ...] | None:
        def compute() -> object:
            bindings = self._bindings(var)
            if not bindings or any(b.kind != "assign" or b.value is None for b in bindings):
                return None
            out: list[str] = []
            for b in bindings:
                assert b.value is not None
                values = self._values(b.value)
                if values is None:
                    return None
                out.extend(values)
            return _limit(tuple(out))
        result = self._cached(("values", var), functools.partial(compute), None)
        return result if isinstance(result, tuple) else None

    def _fold_subscript(self, node: ast.Subscript, depth: int) -> tuple[str, ...] | None:
        values = self._values(node.value, depth + 1)
        if values is None:
            return None
        index: object
        if isinstance(node.slice, ast.Constant) and type(node.slice.value) is int:
            index = node.slice.value
        elif isinstance(node.slice, ast.Slice):
            bounds = [b.value if isinstance(b, ast.Constant) else _MISSING if b is not None else None
                      for b in (node.slice.lower, node.slice.upper, node.slice.step)]
            if any(b is _MISSING or (b is not None and type(b) is not int) for b in bounds):
                return None
            index = slice(*bounds)
        else:
            return None
        try:
            return tuple(v[index] for v in values)  # type: ignore[index]
        except (IndexError, ValueError):
            return None

    def _fold_call(self, node: ast.Call, depth: int) -> tuple[str, ...] | None:
        func = node.func
        if self._is_builtin(func, "str") and len(node.args) == 1 and not node.keywords:
            return self._values(node.args[0], depth + 1)
        if not isinstance(func, ast.Attribute) or node.keywords:
            return None
        receiver = self._values(func.value, depth + 1)
        if receiver is None:
            return None
        if func.attr == "join" and len(node.args) == 1 and isinstance(node.args[0], ast.List | ast.Tuple):
            items = [self._values(e, depth + 1) for e in node.args[0].elts]
            if any(i is None for i in items):
                return None
            joined: list[str] = []
            for sep in receiver:
                for combo in itertools.product(*[i for i in items if i is not None]):
                    joined.append(sep.join(combo))
                    if len(joined) > 64:
                        return None
            return _limit(tuple(joined))
        if func.attr == "replace" and len(node.args) in (2, 3):
            old, new = self._values(node.args[0], depth + 1), self._values(node.args[1], depth + 1)
            count = -1
            if len(node.args) == 3:
                arg = node.args[2]
                if not (isinstance(arg, ast.Constant) and type(arg.value) is int):
                    return None
                count = arg.value
            if old is None or new is None:
                return None
            return _limit(tuple(r.replace(o, n, count) for r in receiver for o in old for n in new))
        if func.attr in {"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
                         "swapcase"} and not node.args:
            return tuple(getattr(r, func.attr)() for r in receiver)
        return None

    # -- config (C3) ---------------------------------------------------------------------------
    def _config_valued(self, expr: ast.AST) -> bool:
        if isinstance(expr, ast.Name):
            var = self.scopes.resolve(expr)
            if var is None:
                return self._free_value(expr.id) is self.config_object
            return self._config_var(var)
        if isinstance(expr, ast.Attribute):
            return self.config_object is not _MISSING and self._value(expr) is self.config_object
        if isinstance(expr, ast.NamedExpr):
            return self._config_valued(expr.value)
        if isinstance(expr, ast.IfExp):
            return self._config_valued(expr.body) or self._config_valued(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return any(self._config_valued(v) for v in expr.values)
        return False

    def _config_var(self, var: _Var) -> bool:
        def compute() -> object:
            scope, name = var
            if scope is self.tree and name == "config" and "manim" in self.scopes.stars:
                return True  # before any rebinding, the module's `config` is Manim's
            for b in self._bindings(var):
                if b.kind == "import" and self._import_object(b) is self.config_object:
                    return True
                if b.kind == "assign" and b.value is not None and self._config_valued(b.value):
                    return True
            return False
        return bool(self._cached(("config", var), functools.partial(compute), False))

    def _config_position_problem(self, node: ast.expr) -> str | None:
        """A config-valued expression may only be the base of an attribute or subscript, or aliased."""
        cur: ast.AST = node
        parent = self.parents.get(cur)
        while ((isinstance(parent, ast.IfExp) and cur is not parent.test) or isinstance(parent, ast.BoolOp)
               or (isinstance(parent, ast.NamedExpr) and cur is parent.value)):
            cur, parent = parent, self.parents.get(parent)
        if isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is cur:
            return None
        if isinstance(parent, ast.Assign) and parent.value is cur and all(isinstance(t, ast.Name) for t in parent.targets):
            return None
        if isinstance(parent, ast.AnnAssign) and parent.value is cur and isinstance(parent.target, ast.Name):
            return None
        if isinstance(parent, ast.Expr):
            return None
        if isinstance(parent, ast.Tuple | ast.List):
            grand = self.parents.get(parent)
            if isinstance(grand, ast.Assign) and grand.value is parent:
                index = parent.elts.index(cur)  # type: ignore[arg-type]
                if all(isinstance(t, ast.Tuple | ast.List) and len(t.elts) == len(parent.elts)
                       and isinstance(t.elts[index], ast.Name) for t in grand.targets):
                    return None
        return ("`config` may only be used as config.<key> or config[<key>] (or given another name): "
                "not passed, stored or handed to setattr")

    def _config_attr_problem(self, attr: str, node: ast.Attribute | None) -> _Problem | None:
        if node is not None and isinstance(node.ctx, ast.Del):
            return "forbidden-config", f"deleting `config.{attr}` is not allowed in a scene"
        if attr in _CONFIG_OK:
            return None
        if attr == "get" and node is not None and self._is_call_func(node):
            call = self.parents[node]
            assert isinstance(call, ast.Call)
            if (call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value in _CONFIG_OK
                    and len(call.args) <= 2 and not call.keywords):
                return None
        return "forbidden-config", (f"`config.{attr}` is not allowed in a scene: a scene may only use "
                                    f"{', '.join(sorted(_CONFIG_OK))}; the builder sets output paths and quality")

    # -- the file's classes and own attributes (A5) --------------------------------------------
    def _init_classes(self) -> None:
        self.classes = [n for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)]
        self.class_vars: dict[_Var, ast.ClassDef] = {}
        for var, bindings in self.scopes.bindings.items():
            if len(bindings) == 1 and bindings[0].kind == "class":
                node = bindings[0].node
                assert isinstance(node, ast.ClassDef)
                self.class_vars[var] = node
        self.methods = {f.name for c in self.classes for f in c.body
                        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.unsafe_methods = self._unsafe_methods()
        self.base_attrs = self._base_attributes()
        own: set[str] = set()
        for node in ast.walk(self.tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                    and self._self_param(node.value) is not None):
                own.add(node.attr)
        for c in self.classes:
            own.update(name for (scope, name) in self.scopes.bindings if scope is c)
            own.update(s.target.id for s in c.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name))
        self.own_attrs = frozenset(own)

    def _self_param(self, expr: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The method whose `self` parameter this name is (never rebound), else None."""
        if not (isinstance(expr, ast.Name) and expr.id == "self"):
            return None
        var = self.scopes.resolve(expr)
        if var is None:
            return None
        scope, _ = var
        if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        params = [*scope.args.posonlyargs, *scope.args.args]
        if not params or params[0].arg != "self" or not isinstance(self.parents.get(scope), ast.ClassDef):
            return None
        bindings = self._bindings(var)
        return scope if len(bindings) == 1 and bindings[0].kind == "param" else None

    def _trusted_self(self, expr: ast.AST) -> bool:
        method = self._self_param(expr)
        return (method is not None and method.name not in self.unsafe_methods
                and all(_plain_decorator(d) for d in method.decorator_list))

    def _class_of(self, expr: ast.AST) -> ast.ClassDef | None:
        if isinstance(expr, ast.Name):
            var = self.scopes.resolve(expr)
            if var is not None:
                return self.class_vars.get(var)
        return None

    def _instance_of_own_class(self, expr: ast.AST) -> bool:
        if isinstance(expr, ast.Call):
            return self._class_of(expr.func) is not None
        if isinstance(expr, ast.Name):
            var = self.scopes.resolve(expr)
            bindings = self._bindings(var) if var is not None else []
            return bool(bindings) and all(
                b.kind == "assign" and isinstance(b.value, ast.Call) and self._class_of(b.value.func) is not None
                for b in bindings)
        return False

    def _unsafe_methods(self) -> frozenset[str]:
        """Methods of the file's classes that may be called with something else as `self`."""
        defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = defaultdict(list)
        for c in self.classes:
            for f in c.body:
                if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef):
                    defs[f.name].append(f)
        unsafe: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and node.attr in defs and isinstance(node.ctx, ast.Load):
                if not self._bound_receiver(node.value, node):
                    call = self.parents.get(node)
                    if not (isinstance(call, ast.Call) and call.func is node
                            and not any(_unbound_call_fits(f, call) for f in defs[node.attr])):
                        unsafe.add(node.attr)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _REFLECTION
                  and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                  and node.args[1].value in defs and not self._bound_receiver(node.args[0], None)):
                unsafe.add(str(node.args[1].value))
            elif isinstance(node, ast.Name) and node.id in defs and isinstance(node.ctx, ast.Load):
                var = self.scopes.resolve(node)
                if var is not None and isinstance(var[0], ast.ClassDef):
                    unsafe.add(node.id)  # a method used as a plain function in its class body
        return frozenset(unsafe)

    def _bound_receiver(self, receiver: ast.AST, attr_node: ast.Attribute | None) -> bool:
        """True when `receiver.method` can only give a method bound to a real instance (or a library's)."""
        if self._self_param(receiver) is not None or self._instance_of_own_class(receiver):
            return True
        if isinstance(receiver, ast.Call) and self._is_builtin(receiver.func, "super"):
            return True
        if self._class_of(receiver) is not None:
            call = self.parents.get(attr_node) if attr_node is not None else None
            return (isinstance(call, ast.Call) and call.func is attr_node and bool(call.args)
                    and self._self_param(call.args[0]) is not None)
        return self._value(receiver) is not _MISSING  # a library class or module: not the file's method

    def _base_attributes(self) -> frozenset[str] | None:
        """Every attribute of a library base class (or metaclass) of the file's classes; None if unknown."""
        names: set[str] = set(dir(object)) | set(dir(type))
        for c in self.classes:
            for base in [*c.bases, *(k.value for k in c.keywords)]:
                if self._class_of(base) is not None:
                    continue
                value = self._value(base)
                if not world.is_class(value):
                    return None
                names.update(world.attr_names(value))
                names.update(world.class_fact(value, "instance_attributes"))
        return frozenset(names)

    def _own(self, receiver: ast.AST, attr: str) -> bool:
        """A5: the file's own attribute on `self` (or on its own class), not a library's."""
        if (self.base_attrs is None or attr in self.base_attrs or attr in _NEVER_OWN
                or _DUNDER.search(attr) or attr not in self.own_attrs):
            return False
        return self._trusted_self(receiver) or self._class_of(receiver) is not None

    # -- attribute rules (A1-A6) ---------------------------------------------------------------
    def _name_problem(self, attr: str) -> _Problem | None:
        """A1, A2, A4 for an attribute name on a run-time object."""
        if _DUNDER.search(attr):
            return "dunder", (f"`.{attr}` is not allowed in a scene (double-underscore attributes reach the "
                              "interpreter's internals)")
        if attr == "mro":
            return "introspection", "`.mro` is not allowed in a scene (it walks the class hierarchy)"
        if attr == "Formatter":
            return "format-string", "string.Formatter is not allowed in a scene: use f-strings"
        if attr in self.denied_attrs:
            return _attr_kind(attr), (f"`.{attr}` is not allowed in a scene: "
                                      f"{_ATTR_ADVICE.get(attr, 'it reaches files, processes or the interpreter')}")
        if attr.startswith(("get_", "set_")) and len(attr) > 4:
            inner = self._name_problem(attr[4:])
            if inner is not None:
                return inner[0], (f"`.{attr}` is not allowed in a scene: Mobject turns it into `.{attr[4:]}`, "
                                  f"and {inner[1]}")
        if attr.startswith("_"):
            return "private-attribute", (f"`.{attr}`: private attributes of library objects are not allowed "
                                         f"in a scene (only your own: self.{attr} set in a method of your class)")
        return None

    def _attribute_problem(self, receiver: ast.expr, attr: str, node: ast.Attribute | None) -> _Problem | None:
        """Every attribute rule for `receiver.attr` (node is None for getattr and friends)."""
        load = node is None or isinstance(node.ctx, ast.Load)
        if _DUNDER.search(attr):
            if node is not None and attr == "__init__" and self._is_call_func(node):
                return None
            if load and attr in _DUNDER_READS:
                return None
            parent = self.parents.get(node) if node is not None else None
            if (load and attr == "__class__" and isinstance(parent, ast.Attribute)
                    and parent.attr in {"__name__", "__qualname__"} and isinstance(parent.ctx, ast.Load)):
                return None
            return self._name_problem(attr)
        if self._config_valued(receiver):
            return self._config_attr_problem(attr, node)
        module = self._module_of(receiver)
        if module is not None:
            return self._module_attribute_problem(module, attr, node)
        if self._own(receiver, attr):
            return None
        if attr in {"format", "format_map"}:
            return self._format_problem(receiver)
        if attr == "decode":
            return "string-construction", ("`.decode(...)` is not allowed in a scene (it builds text the check "
                                           "cannot see): write the string directly")
        problem = self._name_problem(attr)
        if problem is None and attr in _FILE_CLASSES and not (node is not None and self._is_call_func(node)):
            return "file-access", f"{attr} reads files: it may only be called directly"
        return problem

    def _module_attribute_problem(self, module: object, attr: str,
                                  node: ast.Attribute | None) -> _Problem | None:
        """A3: the real attribute of a module a scene may reach."""
        modname = world.name_of(module)
        path = f"{modname}.{attr}"
        if node is not None and not isinstance(node.ctx, ast.Load):
            return "forbidden-attribute", f"`{path}`: a scene may not modify modules"
        if attr.startswith("_"):
            return "forbidden-attribute", f"`{path}`: private module attributes are not allowed in a scene"
        if modname == "manim" and attr in _DENIED_MANIM_NAMES:
            return "forbidden-attribute", f"`{path}` is not allowed in a scene: it touches files or the configuration"
        value = world.get_attr(module, attr)
        if value is _MISSING:
            return self._name_problem(attr)  # not there (the API lint says so): the name rules decide
        if world.is_formatter(value):
            return self._name_problem("Formatter")
        if _object_dangerous(value) or attr in _SPECIAL_DANGER:
            return _attr_kind(attr), (f"`{path}` is not allowed in a scene: "
                                      f"{_ATTR_ADVICE.get(attr, 'it reaches files, processes or the interpreter')}")
        if attr in _FILE_CLASSES and not (node is not None and self._is_call_func(node)):
            return "file-access", f"{attr} reads files: it may only be called directly"
        return None

    def _format_problem(self, receiver: ast.expr) -> _Problem | None:
        """A6: str.format only on a computable string whose fields pass the attribute rules."""
        values = self._values(receiver)
        if values is None:
            return "format-string", ("`.format(...)` is only allowed on a string written in the code (a format "
                                     "string built at run time can read any attribute): use an f-string")
        for text in values:
            problem = self._fields_problem(text)
            if problem is not None:
                return problem
        return None

    def _fields_problem(self, text: str) -> _Problem | None:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            return None  # not a valid format string: .format raises before reading anything
        for _literal, field, spec, _conversion in parsed:
            if field:
                head = re.match(r"[^.\[]*", field)
                rest = field[head.end() if head else 0:]
                pos = 0
                for m in re.finditer(r"\.([^.\[]*)|\[([^\]]*)\]", rest):
                    if m.start() != pos:
                        break
                    pos = m.end()
                    if m.group(1) is not None:
                        inner = self._name_problem(m.group(1))
                        if inner is not None:
                            return "format-string", (f"the format field `{{{field}}}` reads an attribute: "
                                                     f"{inner[1]}")
                    elif _DUNDER.search(m.group(2) or ""):
                        return "format-string", f"the format field `{{{field}}}` is not allowed in a scene"
                if pos != len(rest):
                    return "format-string", f"the format field `{{{field}}}` is not allowed in a scene"
            if spec:
                nested = self._fields_problem(spec)
                if nested is not None:
                    return nested
        return None

    # -- imports (I1-I5) ----------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if name == "manim" or name in ALLOWED_IMPORTS:
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
        if mod == "__future__":
            return
        if mod.startswith("manim."):
            self._submodule_import(node, mod)
            return
        if mod != "manim" and mod not in ALLOWED_IMPORTS:
            self.reject(node, "forbidden-import", _import_message(mod))
            return
        for alias in node.names:
            if alias.name == "*":
                if mod != "manim":
                    bad = sorted(n for n in _star_names(mod) if _import_refused(mod, n, _lookup(mod, n)))
                    if bad:
                        self.reject(node, "forbidden-import",
                                    f"`from {mod} import *` is not allowed: it brings in {', '.join(bad[:4])}; "
                                    f"import the names you use, or `import {mod}`")
                continue
            if _DUNDER.search(alias.name) or alias.name.startswith("_"):
                self.reject(node, "forbidden-import", f"importing `{alias.name}` from {mod} is not allowed")
                continue
            if mod == "manim" and alias.name in _DENIED_MANIM_NAMES:
                self.reject(node, "forbidden-import", f"importing `{alias.name}` from manim is not allowed "
                            "(it touches files, processes or the configuration)")
                continue
            value = self.namespace.get(alias.name, _MISSING) if mod == "manim" else _lookup(mod, alias.name)
            if _import_refused(mod, alias.name, value):
                self.reject(node, "forbidden-import", f"importing `{alias.name}` from {mod} is not allowed "
                            "(it reaches files, processes or the interpreter)")

    def _submodule_import(self, node: ast.ImportFrom, mod: str) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.reject(node, "submodule-star", f"`from {mod} import *` is rewritten to `from manim import *` "
                            "(every name a scene needs is exported there)", fixable=True)
                continue
            name = alias.name
            value = _submodule_export(mod, name)
            if _DUNDER.search(name) or name.startswith("_") or value is _MISSING:
                self.reject(node, "forbidden-import", f"`from {mod} import {name}`: only Manim's public names may "
                            "be imported from its submodules; use `from manim import *`")
            elif world.is_module(value) or _object_dangerous(value) or name in _DENIED_MANIM_NAMES:
                self.reject(node, "forbidden-import", f"`from {mod} import {name}` is not allowed: it is a module "
                            "or touches files, processes or the configuration")

    # -- names (N1-N6) -------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        load = isinstance(node.ctx, ast.Load)
        if _DUNDER.search(name):
            if not (load and name in _DUNDER_READS):
                self.reject(node, "dunder", f"`{name}` is not allowed in a scene (double-underscore "
                            "names reach the interpreter's internals)")
            return
        var = self.scopes.resolve(node) if load else None
        free = load and var is None
        call_func = self._is_call_func(node)
        if name in _DENIED_BUILTINS:
            self.reject(node, "forbidden-name", f"`{name}` is not allowed in a scene: "
                        f"{_BUILTIN_ADVICE.get(name, 'it reads input or runs arbitrary code')}")
        elif free and (name in _DANGEROUS_MODULES or name in _DANGER_ROOTS):
            self.reject(node, "forbidden-name", f"`{name}` is not allowed in a scene (files, processes "
                        "and the network are off limits)")
        elif name in _REFLECTION and not call_func:
            self.reject(node, "dynamic-attribute", f"`{name}` may only be called directly, with a "
                        "constant attribute name")
        elif free and name in _FILE_CLASSES and not call_func:
            self.reject(node, "file-access", f"{name} reads files: it may only be called directly "
                        "(with data built in code), not passed around, aliased or subclassed")
        elif free and name in {"bytes", "bytearray"} and not self._in_annotation(node):
            self.reject(node, "string-construction", f"`{name}` is not allowed in a scene (it builds text the "
                        "check cannot see): write strings directly")
        elif free and name == "chr" and not call_func:
            self.reject(node, "string-construction", "`chr` may only be called directly, on a constant")
        elif free and name == "type" and not (call_func or self._type_check_position(node) or self._in_annotation(node)):
            self.reject(node, "introspection", "`type` may only be called as type(x) in a scene")
        elif free and name in self.namespace and self._free_value(name) is self.namespace[name] and (
                name in _DENIED_MANIM_NAMES or _object_dangerous(self.namespace[name])):
            self.reject(node, "forbidden-name", f"`{name}` (from manim) is not allowed in a scene: it "
                        "touches files, processes or the configuration")
        if load:
            self._check_value_use(node)

    def _check_value_use(self, node: ast.Name | ast.Attribute) -> None:
        """N4, C2, C3 for a name or attribute that stands for a module, wraps, or the config."""
        parent = self.parents.get(node)
        if self._module_of(node) is not None and not (isinstance(parent, ast.Attribute) and parent.value is node):
            shown = node.id if isinstance(node, ast.Name) else ast.unparse(node)
            self.reject(node, "module-value", f"the module `{shown}` may only be used as `{shown}.name` in a scene "
                        "(not passed, stored or aliased)")
        value = self._value(node)
        if any(value is w for w in _WRAPPERS) and not self._is_call_func(node):
            self.reject(node, "dynamic-attribute", f"functools.{world.name_of(value)} may only be called "
                        "directly (as a decorator)")
        if self._config_valued(node):
            problem = self._config_position_problem(node)
            if problem is not None:
                self.reject(node, "forbidden-config", problem)

    def _in_annotation(self, node: ast.AST) -> bool:
        """Inside a parameter, return or variable annotation (never evaluated as a call)."""
        cur, parent = node, self.parents.get(node)
        while parent is not None and not isinstance(parent, ast.stmt | ast.arg):
            cur, parent = parent, self.parents.get(parent)
        if isinstance(parent, ast.arg):
            return parent.annotation is cur
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return parent.returns is cur
        return isinstance(parent, ast.AnnAssign) and parent.annotation is cur

    def _type_check_position(self, node: ast.Name) -> bool:
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name):
            return parent.func.id in {"isinstance", "issubclass"}
        return isinstance(parent, ast.Subscript) and parent.value is node

    # -- attributes (A1-A6) ---------------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        problem = self._attribute_problem(node.value, node.attr, node)
        if problem is not None:
            self.reject(node, *problem)
        if node.attr in _TEX_TEMPLATE_FIELDS and not isinstance(node.ctx, ast.Load) and not self._own(node.value, node.attr):
            self._check_template_store(node)
        if isinstance(node.ctx, ast.Load):
            self._check_value_use(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self._config_valued(node.value):
            key = node.slice
            if isinstance(node.ctx, ast.Del) or not (isinstance(key, ast.Constant) and key.value in _CONFIG_OK):
                shown = key.value if isinstance(key, ast.Constant) else "..."
                self.reject(node, "forbidden-config", f"`config[{shown!r}]` is not allowed in a scene: "
                            f"only {', '.join(sorted(_CONFIG_OK))}")
        self.generic_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for name in node.kwd_attrs:
            problem = self._name_problem(name)
            if problem is not None:
                self.reject(node, problem[0], f"the pattern reads `.{name}`: {problem[1]}")
        self.generic_visit(node)

    # -- calls -----------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Name) and name in _REFLECTION:
            self._check_reflection(node, name)
        self._check_type_call(node)
        self._check_wrappers(node, name)
        self._check_strings_built(node)
        self._check_tex_call(node, name)
        if name in {"SVGMobject", "OpenGLSVGMobject"} and self._library_name(func):
            self.reject(node, "file-access", f"{name} reads a file and is not allowed in a scene: draw the "
                        "shape with VMobject, Polygon, Arc, ... instead")
        elif name in {"ImageMobject", "OpenGLImageMobject"} and self._library_name(func):
            data = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "filename_or_array"), None)
            if data is None or not self._is_array(data):
                self.reject(node, "file-access", f"{name} with a file name reads a file and is not allowed: "
                            "pass a NumPy array of pixels (e.g. np.uint8 values) instead")
        elif name == "Code" and self._library_name(func):
            if node.args or any(k.arg == "code_file" for k in node.keywords):
                self.reject(node, "file-access", "Code with a file name reads a file and is not allowed: "
                            "use Code(code_string=..., language=...)")
            if any(k.arg is None for k in node.keywords):
                self.reject(node, "file-access", "Code(**kwargs) is not allowed: pass code_string= explicitly")
        for kw in node.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                for key in kw.value.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and _DUNDER.search(key.value):
                        self.reject(node, "dunder", f"the keyword `{key.value}` is not allowed in a scene")
        self.generic_visit(node)

    def _library_name(self, func: ast.expr) -> bool:
        """The called name is not one the file defines itself."""
        if isinstance(func, ast.Name):
            return self.scopes.resolve(func) is None
        return True

    def _check_reflection(self, node: ast.Call, name: str) -> None:
        if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant) or not isinstance(node.args[1].value, str):
            self.reject(node, "dynamic-attribute", f"{name}() needs a constant attribute name in a scene: "
                        "write obj.attribute directly")
            return
        attr = node.args[1].value
        if name in {"setattr", "delattr"} and attr in _TEX_TEMPLATE_FIELDS:
            self.reject(node, "tex-template", f"{name}(..., {attr!r}) is not allowed: assign the attribute directly")
            return
        problem = self._attribute_problem(node.args[0], attr, None)
        if problem is None and attr in _FILE_CLASSES:
            problem = ("file-access", f"{attr} reads files")
        if problem is not None:
            self.reject(node, "dynamic-attribute", f"{name}(..., {attr!r}) is not allowed in a scene: {problem[1]}")

    def _check_type_call(self, node: ast.Call) -> None:
        """N6: type(x) only; no class creation through type or another metaclass."""
        func = node.func
        if isinstance(func, ast.Call) and self._is_builtin(func.func, "type"):
            self.reject(node, "introspection", "calling `type(x)(...)` is not allowed in a scene: call the class "
                        "by name")
        elif self._is_builtin(func, "type"):
            if len(node.args) != 1 or node.keywords:
                self.reject(node, "introspection", "`type(name, bases, dict)` is not allowed in a scene: write a "
                            "class statement")
        elif isinstance(func, ast.Name) and (var := self.scopes.resolve(func)) is not None and any(
                b.kind == "assign" and isinstance(b.value, ast.Call) and self._is_builtin(b.value.func, "type")
                for b in self._bindings(var)):
            self.reject(node, "introspection", f"`{func.id}` holds type(x): calling it is not allowed in a scene")
        else:
            value = self._value(func)
            if world.is_metaclass(value):
                self.reject(node, "introspection", f"calling the metaclass `{world.name_of(value)}` is not allowed in a "
                            "scene: write a class statement")

    def _check_wrappers(self, node: ast.Call, name: str | None) -> None:
        """C2: functools.wraps/update_wrapper copy attributes by name; make_dataclass's namespace= defines any."""
        value = self._value(node.func)
        if value is functools.update_wrapper or (value is _MISSING and name == "update_wrapper"):
            if len(node.args) > 2 or any(k.arg in {"assigned", "updated", None} for k in node.keywords):
                self.reject(node, "dynamic-attribute", "update_wrapper(..., assigned=/updated=) is not allowed in a "
                            "scene (it copies attributes by name)")
        elif value is functools.wraps or (value is _MISSING and name == "wraps"):
            if len(node.args) > 1 or any(k.arg in {"assigned", "updated", None} for k in node.keywords):
                self.reject(node, "dynamic-attribute", "wraps(..., assigned=/updated=) is not allowed in a scene "
                            "(it copies attributes by name)")
        elif name == "make_dataclass" and any(k.arg in {"namespace", None} for k in node.keywords):
            self.reject(node, "dynamic-attribute", "make_dataclass(namespace=...) is not allowed in a scene: write "
                        "a class statement")

    def _check_strings_built(self, node: ast.Call) -> None:
        """R5: chr() of constants only, no str(bytes, encoding)."""
        if self._is_builtin(node.func, "chr"):
            code = _int_constant(node.args[0]) if len(node.args) == 1 and not node.keywords else None
            if code is None:
                self.reject(node, "string-construction", "chr() of a computed value is not allowed in a scene: index "
                            "a string instead (string.ascii_uppercase[i], 'αβγ'[i])")
            elif not 0 <= code < 0x110000 or code < 32 or code == 127 or chr(code) in "\\^":
                self.reject(node, "string-construction", f"chr({code}) is not allowed in a scene (a backslash, caret "
                            "or control character builds TeX the check cannot see)")
        elif self._is_builtin(node.func, "str") and (len(node.args) > 1 or node.keywords):
            self.reject(node, "string-construction", "str(data, encoding) is not allowed in a scene: write the "
                        "string directly")

    def _check_tex_call(self, node: ast.Call, name: str | None) -> None:
        """R3: TeX templates only from strings the check can read; tex_compiler only latex."""
        checked: list[ast.expr] = []
        if name == "TexTemplate":
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                self.reject(node, "tex-template", "TexTemplate(*args/**kwargs) is not allowed: pass the fields by name")
            checked += node.args
            checked += [k.value for k in node.keywords if k.arg not in {None, "description", "tex_compiler"}]
        elif name in {"add_to_preamble", "add_to_document"}:
            checked += [a for a in node.args[:1]]
            checked += [k.value for k in node.keywords if k.arg == "txt"]
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                self.reject(node, "tex-template", f"{name}(*args/**kwargs) is not allowed")
        for kw in node.keywords:
            if kw.arg == "tex_compiler" and self._values(kw.value) != ("latex",):
                self.reject(kw.value, "tex-template", "tex_compiler may only be \"latex\" in a scene")
            elif kw.arg in _TEX_TEMPLATE_FIELDS - {"body", "tex_compiler"} and name != "TexTemplate":
                checked.append(kw.value)
        for arg in checked:
            if not self._tex_source_ok(arg):
                self.reject(arg, "tex-template", "TeX template text must be written in the code (a string the "
                            "check can read): a template built at run time is not allowed")

    def _tex_source_ok(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Constant) and not isinstance(expr.value, str | bytes):
            return True  # None, numbers
        return self._values(expr) is not None

    def _check_template_store(self, node: ast.Attribute) -> None:
        parent = self.parents.get(node)
        value: ast.expr | None = None
        if ((isinstance(parent, ast.Assign) and node in parent.targets)
                or (isinstance(parent, ast.AugAssign | ast.AnnAssign) and parent.target is node)):
            value = parent.value
        if node.attr == "tex_compiler":
            ok = value is not None and not isinstance(parent, ast.AugAssign) and self._values(value) == ("latex",)
            if not ok:
                self.reject(node, "tex-template", "tex_compiler may only be \"latex\" in a scene")
        elif value is None or not self._tex_source_ok(value):
            self.reject(node, "tex-template", f"`.{node.attr}` of a TeX template must be a string written in the "
                        "code (a template built at run time is not allowed)")

    def _is_array(self, node: ast.AST, depth: int = 0) -> bool:
        """C1: pixel data built in code (never a str, whatever the values)."""
        if depth > 16:
            return False
        if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
            return True
        if isinstance(node, ast.BinOp):
            if self._is_array(node.left, depth + 1):
                return True
            return (isinstance(node.left, ast.Constant) and type(node.left.value) in (int, float)
                    and self._is_array(node.right, depth + 1))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _ARRAY_METHODS:
                return self._is_array(func.value, depth + 1)
            if isinstance(func, ast.Attribute) and func.attr in _RANDOM_FUNCTIONS and self._is_rng(func.value):
                return True
            value = self._value(func)
            return any(value is f for f in _array_functions())
        if isinstance(node, ast.Name):
            var = self.scopes.resolve(node)
            if var is None:
                return False

            def compute() -> object:
                bindings = self._bindings(var)
                assigns = [b for b in bindings if b.kind == "assign"]
                return bool(assigns) and all(
                    (b.kind == "assign" and b.value is not None and self._is_array(b.value, depth + 1))
                    or b.kind == "aug" for b in bindings)
            return bool(self._cached(("array", var), functools.partial(compute), False))
        return False

    def _is_rng(self, node: ast.AST) -> bool:
        """np.random.default_rng(...) or a name bound only to it."""
        if isinstance(node, ast.Call):
            return self._value(node.func) is _default_rng()
        if isinstance(node, ast.Name):
            var = self.scopes.resolve(node)
            bindings = self._bindings(var) if var is not None else []
            return bool(bindings) and all(b.kind == "assign" and b.value is not None and isinstance(b.value, ast.Call)
                                          and self._value(b.value.func) is _default_rng() for b in bindings)
        return False

    # -- definitions ---------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if _DUNDER.search(node.name) and node.name not in _DUNDER_DEFS:
            self.reject(node, "dunder", f"defining `{node.name}` is not allowed in a scene")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if _DUNDER.search(node.name):
            self.reject(node, "dunder", f"the class name `{node.name}` is not allowed in a scene")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        if _DUNDER.search(node.arg):
            self.reject(node, "dunder", f"the parameter `{node.arg}` is not allowed in a scene")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if _DUNDER.search(name):
                self.reject(node, "dunder", f"`global {name}` is not allowed in a scene")

    visit_Nonlocal = visit_Global  # type: ignore[assignment]

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg and _DUNDER.search(node.arg):
            self.reject(node, "dunder", f"keyword `{node.arg}=` is not allowed in a scene")
        self.generic_visit(node)

    # -- strings (R2) ------------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._check_tex(node, (node.value,))
        elif isinstance(node.value, bytes):
            self._check_tex(node, (node.value.decode("latin-1"),))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._check_tex(node, self._values(node))
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._check_tex(node, self._values(node))
        self.generic_visit(node)

    def _check_tex(self, node: ast.AST, values: Sequence[str] | None) -> None:
        for text in values or ():
            found = tex_danger(text)
            if found:
                self.reject(node, "tex-file-access", f"the LaTeX `{found}` reads or writes files or builds "
                            "commands from text; not allowed in a scene")
                return

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            # computable strings built by calls (join, replace, ...) are TeX-checked as a whole
            folded = self._fold_call(node, 0)
            if folded is not None:
                self._check_tex(node, folded)
        super().generic_visit(node)

    def _is_call_func(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and parent.func is node


# -- helpers -----------------------------------------------------------------------------------------

_WRAPPERS = (functools.wraps, functools.update_wrapper)

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
    "as_strided": "it reads raw memory; use np.lib.stride_tricks.sliding_window_view",
    "formatwarning": "it reads lines of any file; use warnings.warn",
    "showwarning": "it reads lines of any file; use warnings.warn",
    "warn_explicit": "it reads lines of any file; use warnings.warn",
}

_FILE_ATTR_KINDS = frozenset({
    "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile",
    "tofile", "fromregex", "fromtextfile", "memmap", "open_memmap", "DataSource", "dump", "dumps", "add_sound",
    "save_image", "get_image", "from_file", "open_file", "read_text", "read_bytes", "write_text", "write_bytes",
    "register_font", "background_image", "digest_file", "formatwarning", "showwarning", "warn_explicit",
})


def _attr_kind(attr: str) -> str:
    if attr in _DANGEROUS_MODULES:
        return "forbidden-module"
    if attr in _FILE_ATTR_KINDS:
        return "file-access"
    return "forbidden-attribute"


def _import_message(name: str) -> str:
    allowed = ", ".join(sorted(ALLOWED_IMPORTS - {"__future__"}))
    return f"`import {name}` is not allowed in a scene; allowed: manim, {allowed}"


def _import_refused(module: str, name: str, value: object) -> bool:
    """I2: a name imported from an allowed module that a scene may not hold."""
    if _DUNDER.search(name) or name.startswith("_") or name in _SPECIAL_DANGER:
        return True
    if world.is_module(value):
        return not module_allowed(world.name_of(value))
    return value is not _MISSING and _object_dangerous(value)


def _submodule_stars(tree: ast.Module) -> list[ast.ImportFrom]:
    return [n for n in tree.body if isinstance(n, ast.ImportFrom) and not n.level
            and (n.module or "").startswith("manim.") and any(a.name == "*" for a in n.names)]


def _submodule_export(module: str, name: str) -> object:
    """I3: what `from manim.<sub> import name` may bind: Manim's public export of that name."""
    here = world.current()
    if module == "manim.typing" or module.startswith("manim.typing."):
        loaded = here.loaded_module(module)
        value = world.get_attr(loaded, name) if loaded is not _MISSING and not name.startswith("_") else _MISSING
        return _MISSING if world.is_module(value) else value
    value = here.namespace.get(name, _MISSING)
    loaded = here.loaded_module(module)  # never import a module the model names: only compare loaded ones
    if loaded is not _MISSING and value is not _MISSING:
        found = world.get_attr(loaded, name)
        if found is not _MISSING and found is not value:
            return _MISSING
    return value


def _star_names(module: str) -> frozenset[str]:
    """The names `from module import *` binds (its __all__, else its public names)."""
    mod = _import(module)
    return world.star_names(mod) if world.is_module(mod) else frozenset()


def _array_functions() -> tuple[object, ...]:
    np = _import("numpy")
    if np is _MISSING:
        return ()
    rand = world.get_attr(np, "random")
    found = [world.get_attr(np, n) for n in sorted(_ARRAY_FUNCTIONS)]
    found += [world.get_attr(rand, n) for n in sorted(_RANDOM_FUNCTIONS)] if rand is not _MISSING else []
    return tuple(f for f in found if f is not _MISSING)


def _default_rng() -> object:
    np = _import("numpy")
    rand = world.get_attr(np, "random") if np is not _MISSING else _MISSING
    found = world.get_attr(rand, "default_rng") if rand is not _MISSING else _MISSING
    return object() if found is _MISSING else found  # never the value of anything


def import_scene_module(name: str) -> types.ModuleType | None:
    """The module a scene's `import name` binds (REVIEWED_MODULES from builder/templates/),
    imported here; None when it cannot be imported."""
    found = live_import(name)
    return found if isinstance(found, types.ModuleType) else None


def scene_module(name: str) -> object | None:
    """import_scene_module as the checks see it: from the current world (live or mirrored)."""
    found = _import(name)
    return found if world.is_module(found) else None


def _import(name: str) -> object:
    return world.current().import_module(name)


@functools.cache
def live_import(name: str) -> object:
    try:
        return _load_reviewed(name) if name in REVIEWED_MODULES else importlib.import_module(name)
    except Exception:
        return _MISSING


def _load_reviewed(name: str) -> types.ModuleType:
    """A reviewed module, loaded from builder/templates/ under the name scenes import it by."""
    path = str(resources.files("builder").joinpath(f"templates/{name}.py"))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lookup(module: str, name: str) -> object:
    if module == "manim":
        return world.current().namespace.get(name, _MISSING)
    mod = _import(module)
    return world.get_attr(mod, name) if mod is not _MISSING else _MISSING


def _unbound_call_fits(method: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> bool:
    """Whether `receiver.method(...)` could be the unbound function taking its first argument as self.

    A bound call passes one positional argument fewer than an unbound one, so `q.step(dt)` for
    `def step(self, dt)` cannot hand `step` a foreign self, while `A.go(x)` for `def go(self)` can.
    """
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return True
    positional = [*method.args.posonlyargs, *method.args.args]
    if positional and any(k.arg == positional[0].arg for k in call.keywords):
        return True  # A.go(self=x)
    params = positional[1:]
    required = len(params) - len(method.args.defaults)
    given = len(call.args)
    if given < 1:
        return False  # no argument could be self
    if given - 1 > len(params) and method.args.vararg is None:
        return False
    return given - 1 + len(call.keywords) >= required


def _plain_decorator(node: ast.expr) -> bool:
    """Decorators that keep `self` an instance: property and its accessors, abstractmethod, cached_property."""
    if isinstance(node, ast.Name):
        return node.id in {"property", "abstractmethod", "cached_property", "override"}
    if isinstance(node, ast.Attribute):
        return node.attr in {"setter", "getter", "deleter", "abstractmethod", "cached_property"}
    return False


def _int_constant(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _limit(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """Computed strings: at most 64 alternatives of at most 100k characters (else not computable)."""
    if len(values) > 64 or any(len(v) > 100_000 for v in values):
        return None
    return values


def _product(parts: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
    out: tuple[str, ...] = ("",)
    for options in parts:
        out = tuple(a + b for a in out for b in options)
        if len(out) > 64:
            return None
    return _limit(out)
