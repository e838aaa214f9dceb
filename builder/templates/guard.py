"""mathreel's runtime guard: an audit hook in the child process that runs a scene.

Staged next to scene.py with the entry script and installed by it before Manim and the scene
are imported. Bubblewrap confines the child from outside; this hook closes whole classes of
escapes from inside, whatever name the scene reaches them by:

- programs: only Manim's own `latex` and `dvisvgm`, with the argument shapes Manim 0.22 uses,
  on files in the work folder, and `latex` only on TeX that passes `tex_refusal`;
- files: no writing outside the work folder and private temp folders, no reading outside
  those, the Python installs and a few read-only system folders;
- no sockets, no second audit hook; TeX's restrictions (openin_any=p, openout_any=p,
  shell_escape=f) set in the environment;
- once scene.py starts importing ("scene phase"), whoever asks: no ctypes, no gc walks, no
  change to the environment, no code executed from files of the work folder but scene.py;
- and when the scene's own code asks: no frame or code introspection, no code built from
  bytes or with a made-up file name, no new modules beyond a small allowlist.

A refusal writes one line `mathreel guard: refused ...` to stderr and ends the process at once
with status 97 (os._exit): the scene cannot catch it. Standard library only; events the hook
does not watch cost one set lookup (a render spends about 5% of its time in the hook).

What the hook cannot see, and what covers it: C libraries that open files by name (cairo's
write_to_png, PyAV's av.open, pango and FreeType loading fonts) raise no audit event;
bubblewrap's read-only mounts, private /tmp and --unshare-net confine those. A thread of the
scene could rewrite a .tex file between the check and latex reading it; latex's openin_any=p
still refuses absolute and parent paths. Code that passes for Manim's (built through
importlib's internals with a made-up file name) gains introspection only: files, programs,
network, ctypes and the environment are judged by what is done, not by who asks.
"""

from __future__ import annotations

import _thread
import builtins
import os
import re
import sys

# Every function below looks builtins up in this private copy (functions capture their
# builtins when defined): a scene that replaces `builtins.isinstance` cannot run its code
# inside the hook, where audit events are not checked.
__builtins__ = dict(vars(builtins))

# C functions captured at import: a scene that reaches `os` and swaps `os.lstat` or
# `os.path.realpath` changes nothing here.
_lstat = os.lstat
_stat = os.stat
_readlink = os.readlink
_getcwd = os.getcwd
_access = os.access
_write = os.write
_exit = os._exit
_get_ident = _thread.get_ident
_getframe = sys._getframe
_FS_ENCODING = sys.getfilesystemencoding()
_CODE_TYPE = type(_getframe(0).f_code)
_FRAME_TYPE = type(_getframe(0))

EXIT_STATUS = 97
PREFIX = "mathreel guard: "
_MARK = "_mathreel_guard_installed"
_LINK_MODE = 0o120000
_TYPE_MASK = 0o170000
_REG_MODE = 0o100000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

# What a -ql render of a MathTex + Text + 3D Surface scene opens from Python, measured with a
# hook that logged every event: files of the standard library and the venv, files of the work
# folder (scene.py, manim.cfg, Tex/, media/, home/.config), and /dev/null (subprocess's
# DEVNULL, read-write). Fonts, fontconfig's cache, TeX's trees and ld.so.cache are read by C
# libraries (cairo, pango, kpathsea), where no audit event is raised; they are listed so that
# a Python-level reader of the same read-only data keeps working. Nothing under /proc, /etc
# (but fonts and TeX configuration), the home folder of the build or the project is needed.
SYSTEM_READ = ("/usr", "/etc/fonts", "/etc/texmf", "/var/lib/texmf", "/var/cache/fontconfig",
               "/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/urandom")
#: Devices a render writes to (subprocess.DEVNULL opens /dev/null read-write).
DEVICE_WRITE = ("/dev/null",)

#: Top-level modules the scene's own code may import for the first time (the static check's
#: allowlist, plus pure helpers). Modules Manim already imported raise no event at all.
SCENE_IMPORTS = frozenset({
    "manim", "numpy", "math", "cmath", "random", "itertools", "functools", "typing",
    "dataclasses", "collections", "colorsys", "fractions", "decimal", "statistics", "string",
    "enum", "abc", "copy", "operator", "__future__", "numbers", "bisect", "heapq", "textwrap",
    "warnings", "encodings",
})

# ---------------------------------------------------------------------------------- TeX

#: Manim 0.22's default template around the formula (TexTemplate().body split at its
#: placeholder); tests/test_guard.py checks it against the installed Manim.
MANIM_HEAD = ("\\documentclass[preview]{standalone}\n\\usepackage[english]{babel}\n"
              "\\usepackage{amsmath}\n\\usepackage{amssymb}\n\\begin{document}\n")
MANIM_TAIL = "\n\\end{document}"
#: The only \special Manim writes: SVG groups around each part of a MathTex.
_MANIM_SPECIAL = re.compile(
    r"\\special\{dvisvgm:raw (?:<g id='unique[0-9]{3,}(?:substring)?'>|</g>)\}")
_CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z]+\*?\Z")
_LOADER = re.compile(r"\\(usepackage|RequirePackage|documentclass|LoadClass|usetikzlibrary"
                     r"|usepgflibrary|usepgfmodule)(?![A-Za-z@])")
_LOADER_ARGS = re.compile(r"\s*(?:\[[^\]]*\]\s*)?\{([^{}\\]*)\}")
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
#: Parts of command names that read or write files, run code, or build command names from
#: text (which would get around a check by name). Lower case; matched anywhere in the name.
TEX_DENIED_PARTS = ("input", "include", "file", "read", "write", "openin", "openout",
                    "csname", "usename", "expandargs", "catcode", "special", "scantokens",
                    "scantext", "immediate", "primitive", "mdfivesum", "explsyntax",
                    "providesexpl", "makeatletter", "shellesc")
#: Command name prefixes: pdfTeX's primitives (\pdffiledump, \pdfshellescape ...) and Lua.
TEX_DENIED_PREFIXES = ("pdf", "lua", "directlua", "latelua")
#: Whole command names: \font loads a font file by any name.
TEX_DENIED_NAMES = ("font",)
#: Packages that run PostScript in dvisvgm's Ghostscript, read files or start programs.
TEX_DENIED_PACKAGES = ("pstricks", "pst-", "epsf", "psfrag", "catchfile", "filecontents",
                       "shellesc", "bashful", "minted", "pythontex", "luacode")
MAX_TEX_BYTES = 2 * 2**20


def tex_refusal(source: str) -> str | None:
    """Why TeX source must not be compiled, or None; Manim's default template is told apart."""
    if source.startswith(MANIM_HEAD) and source.endswith(MANIM_TAIL):
        where, text = "in the formula", source[len(MANIM_HEAD):len(source) - len(MANIM_TAIL)]
    else:
        where, text = "in the TeX template", source  # a custom preamble is the scene's text
    text = _MANIM_SPECIAL.sub(" ", text)
    if "^^" in text:
        return f"{where}: ^^ character escapes (they spell any command)"
    for match in _CONTROL_WORD.finditer(text):
        name = match.group(1)
        lowered = name.lower()
        if "@" in name:
            return f"{where}: \\{name} (LaTeX internals)"
        if (lowered in TEX_DENIED_NAMES or lowered.startswith(TEX_DENIED_PREFIXES)
                or any(part in lowered for part in TEX_DENIED_PARTS)):
            return f"{where}: \\{name} (reads or writes files, runs code or builds command names)"
    for match in _ENVIRONMENT.finditer(text):
        env = match.group(1).strip()
        lowered = env.lower()
        if not _ENV_NAME.match(env) or any(part in lowered for part in TEX_DENIED_PARTS):
            return f"{where}: environment {env[:60]!r} (\\begin builds a command from its name)"
    for match in _LOADER.finditer(text):
        args = _LOADER_ARGS.match(text, match.end())
        if args is None:
            return f"{where}: \\{match.group(1)} without a plain {{name}}"
        for raw in args.group(1).split(","):
            name = raw.strip()
            if not name:
                continue
            if not _PACKAGE_NAME.match(name):
                return f"{where}: \\{match.group(1)}{{{name[:60]}}} (a path, not a package name)"
            if name.lower().startswith(TEX_DENIED_PACKAGES):
                return f"{where}: package {name} (runs code or reads files)"
    return None


# ---------------------------------------------------------------------------------- paths


def _text(value: object) -> str | None:
    """A path or argument as an exact str, never running code the scene put in a subclass."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is bytes:
        return value.decode(_FS_ENCODING, "surrogateescape")  # type: ignore[attr-defined]
    if issubclass(kind, str):
        return str.__str__(value)  # type: ignore[arg-type]  # copies the characters
    if issubclass(kind, bytes):
        return bytes.__bytes__(value).decode(_FS_ENCODING, "surrogateescape")  # type: ignore[arg-type]
    return None


def resolve(path: str, cwd: str) -> str:
    """os.path.realpath with functions captured at import; missing parts are kept as written."""
    if "\0" in path:
        raise ValueError("embedded null byte")
    full = path if path.startswith("/") else cwd.rstrip("/") + "/" + path
    todo = [part for part in reversed(full.split("/")) if part and part != "."]
    done: list[str] = []
    links = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = "/" + "/".join([*done, part])
        try:
            mode = _lstat(candidate).st_mode
        except OSError:
            done.append(part)  # not there (yet): the kernel will refuse or create it
            continue
        if mode & _TYPE_MASK != _LINK_MODE:
            done.append(part)
            continue
        links += 1
        if links > 40:
            raise OSError("too many levels of symbolic links")
        target = _readlink(candidate)
        if target.startswith("/"):
            done = []
        todo.extend(p for p in reversed(target.split("/")) if p and p != ".")
    return "/" + "/".join(done)


def within(path: str, roots: tuple[str, ...]) -> bool:
    """True when path is one of roots or inside one (all resolved, no trailing slash)."""
    return any(path == root or path.startswith(root + "/") or root == "/" for root in roots)


class Policy:
    """What the child may touch, fixed when the guard is installed (in the work folder)."""

    def __init__(self, work: str, scene: str, read: tuple[str, ...], write: tuple[str, ...],
                 listable: tuple[str, ...], stdlib: str, trusted_files: frozenset[str],
                 frozen: tuple[str, ...] = (), tex_format: str | None = None) -> None:
        self.work = work
        # The host's precompiled LaTeX format (read-only): latex may load this one, no other.
        self.tex_format = tex_format
        self.scene = scene
        self.scene_name = scene.rsplit("/", 1)[-1]
        self.read = read
        self.write = write
        # The Python installs: never writable, even where they lie under a writable root (a
        # project under /tmp whose venv bubblewrap binds read-only inside the private /tmp).
        self.frozen = frozen
        self.listable = listable
        self.stdlib = stdlib
        self.trusted_files = trusted_files
        self._untrusted: dict[str, bool] = {}
        self._folders: dict[str, str] = {}

    @classmethod
    def here(cls, scene: str = "scene.py") -> Policy:
        """The policy for a child whose work folder is the current directory."""
        work = resolve(_getcwd(), "/")
        prefixes = [os.path.abspath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
        installs = [resolve(p, "/") for p in prefixes]
        for entry in sys.path:
            # Only sys.path entries inside an install: an editable install of the project
            # puts the project folder itself on sys.path, and it is none of the scene's business.
            absolute = os.path.abspath(entry or ".")
            if within(absolute, (*prefixes, "/usr")) and os.path.exists(absolute):
                installs.append(resolve(absolute, "/"))
        write = [work, *DEVICE_WRITE]
        tmpdir = resolve(os.environ.get("TMPDIR") or work, work)
        if within(tmpdir, (work,)):
            write.append(tmpdir)  # mathreel puts it in the work folder; elsewhere it is ignored
        if _in_bubblewrap():
            write.append("/tmp")  # bubblewrap's private tmpfs, not the host's /tmp
        read = [*write, *installs, *(resolve(p, "/") for p in SYSTEM_READ)]
        shared_tex = os.environ.get("MATHREEL_TEX_CACHE", "")
        if os.path.isabs(shared_tex) and os.path.isdir(shared_tex):
            # The gallery's compiled formulas: read-only (a read-only bind inside bubblewrap),
            # looked up by the entry script before Manim compiles a formula again.
            read.append(resolve(shared_tex, "/"))
        tex_format = os.environ.get("MATHREEL_TEX_FORMAT", "")
        if not (os.path.isabs(tex_format) and tex_format.endswith(".fmt") and os.path.isfile(tex_format)):
            tex_format = None
        else:
            tex_format = resolve(tex_format, "/")
            read.append(tex_format.rsplit("/", 1)[0])
        # The import system lists every sys.path entry (names only): allowed as listings.
        listable = tuple(resolve(os.path.abspath(e or "."), "/") for e in sys.path)
        stdlib = resolve(getattr(sys, "_stdlib_dir", None) or os.path.dirname(os.__file__), "/")
        # The entry script and this guard, staged before the child started (by full path: the
        # scene may write files of the same name elsewhere in the work folder).
        trusted = frozenset(f"{work}/{name}" for name in os.listdir(work)
                            if name.endswith(".py") and f"{work}/{name}" != resolve(scene, work))
        return cls(work, resolve(scene, work), _unique(read), _unique(write), listable,
                   stdlib, trusted, _unique(installs), tex_format)

    def path_refusal(self, raw: object, *, write: bool, cwd: str | None = None) -> str | None:
        """Why the child may not open (or change) this path, or None."""
        if type(raw) is int:
            return None  # an open descriptor: it was checked when it was opened
        text = _text(raw)
        if text is None:
            return f"a path the guard cannot read ({type(raw).__name__})"
        try:
            real = self.resolve(text, cwd if cwd is not None else _getcwd())
        except (OSError, ValueError) as exc:
            return f"{_show(text)}: cannot be resolved ({exc})"
        if write and not self.writable(real):
            return f"writing {_show(real)}: only the work folder is writable"
        if not write and not within(real, self.read):
            return f"reading {_show(real)}: outside the work folder and the read-only installs"
        return None

    def writable(self, real: str) -> bool:
        """May the child change this (resolved) path: a write root, and not an install."""
        return within(real, self.write) and not within(real, self.frozen)

    def resolve(self, path: str, cwd: str) -> str:
        """resolve(), remembering folders the child cannot change (Manim opens ~1400 files).

        Only a folder named without `.`/`..` parts, outside the writable roots both as named
        and as resolved, is remembered: under the guard's own rules no link can appear there.
        """
        full = path if path.startswith("/") else cwd.rstrip("/") + "/" + path
        folder, _, name = full.rpartition("/")
        if (not folder or name in ("", ".", "..") or "/./" in folder + "/"
                or "/../" in folder + "/" or "//" in folder):
            return resolve(full, "/")
        real = self._folders.get(folder)
        if real is None:
            real = resolve(folder, "/")
            if not within(folder, self.write) and not within(real, self.write):
                self._folders[folder] = real
        candidate = real.rstrip("/") + "/" + name
        try:
            mode = _lstat(candidate).st_mode
        except (OSError, ValueError):
            return candidate
        return resolve(candidate, "/") if mode & _TYPE_MASK == _LINK_MODE else candidate

    def listing_refusal(self, raw: object) -> str | None:
        """Why the child may not list this folder, or None."""
        if raw is None or type(raw) is int:
            return None  # the current folder, or an open descriptor
        text = _text(raw)
        if text is not None:
            try:
                if resolve(text, _getcwd()) in self.listable:
                    return None
            except (OSError, ValueError):
                pass
        return self.path_refusal(raw, write=False)

    def in_work(self, raw: str) -> str | None:
        """The resolved path when it is inside the work folder, else None."""
        real = resolve(raw, _getcwd())
        return real if within(real, (self.work,)) else None

    def untrusted(self, filename: object) -> bool:
        """True for code from the scene: scene.py, other work-folder files, <string>."""
        if type(filename) is not str:
            return True
        known = self._untrusted.get(filename)
        if known is not None:
            return known
        if filename in ("<string>", "<stdin>"):
            verdict = True  # eval/exec text: only the scene's strings end up there
        elif filename.startswith("<"):
            verdict = False  # <frozen ...>, Cython's <stringsource>
        else:
            try:
                real = resolve(filename, self.work)
            except (OSError, ValueError):
                real = ""
            relative_missing = not filename.startswith("/") and not _exists(real)
            verdict = (real == self.scene or (within(real, (self.work,)) and not relative_missing
                                              and real not in self.trusted_files))
        self._untrusted[filename] = verdict
        return verdict

    def is_stdlib(self, filename: str) -> bool:
        """True for the standard library (frozen or on disk), not its site-packages."""
        if filename.startswith("<frozen "):
            return True
        return (filename.startswith(self.stdlib + "/") and "/site-packages/" not in filename
                and "/dist-packages/" not in filename)


def _exists(path: str) -> bool:
    try:
        _stat(path)
    except (OSError, ValueError):
        return False
    return True


def _unique(paths: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for path in paths:
        if path not in out:
            out.append(path)
    return tuple(out)


def _in_bubblewrap() -> bool:
    """True when bubblewrap is this PID namespace's init (its /tmp is a private tmpfs)."""
    try:
        with open("/proc/1/comm", encoding="ascii") as handle:
            return handle.read().strip() == "bwrap"
    except OSError:
        return False


def _show(text: str) -> str:
    """A path or argument for the one-line message: quoted, short, no newlines."""
    shown = repr(text)
    return shown if len(shown) <= 160 else shown[:157] + "..."


# ---------------------------------------------------------------------------------- programs

_LATEX_FLAGS = ("-interaction=batchmode", "-output-format=dvi", "-halt-on-error")
_DVISVGM_FLAGS = ("--no-fonts", "--verbosity=0")
#: One page as Manim asks, or a range (the preflight converts its batch of formulas at once).
_PAGE = re.compile(r"--page=[0-9]{1,6}(?:-(?:[0-9]{1,6})?)?\Z")
#: ctypes.util.find_library's look-up (it lists ld.so's cache), with the environment it sets.
_LDCONFIG = ("/sbin/ldconfig", "-p")
_LDCONFIG_ENV = {"LC_ALL": "C", "LANG": "C"}
#: Where the TeX tools must be installed (read-only in the sandbox).
PROGRAM_ROOTS = ("/usr",)


def program_refusal(argv: object, policy: Policy) -> str | None:
    """Why this command line must not start, or None (Manim's latex and dvisvgm calls only)."""
    if type(argv) not in (list, tuple):
        return "a program with a command line the guard cannot read"
    args = [_text(a) for a in argv]  # type: ignore[attr-defined]
    if not args or any(a is None for a in args):
        return "a program with arguments the guard cannot read"
    words: list[str] = args  # type: ignore[assignment]
    name = words[0]
    if tuple(words) == _LDCONFIG:
        return None  # ctypes.util.find_library: OpenGL renders look libGL up (glcontext)
    if name == "latex":
        return _latex_refusal(words, policy)
    if name == "dvisvgm":
        return _dvisvgm_refusal(words, policy)
    shown = " ".join(_show(w) for w in words[:4])
    if name in ("pdflatex", "lualatex", "xelatex", "luatex", "xetex", "pdftex", "tex"):
        return (f"starting {shown}: the only TeX compiler allowed is latex "
                f"(TexTemplate's tex_compiler must be \"latex\")")
    return f"starting {shown}: scenes may not run programs"


def _latex_refusal(args: list[str], policy: Policy) -> str | None:
    flag = "-output-directory="
    if len(args) == 7 and policy.tex_format is not None and args[4] == f"-fmt={policy.tex_format}":
        args = args[:4] + args[5:]  # the host's format of Manim's preamble (layout_hook.py)
    if (len(args) != 6 or tuple(args[1:4]) != _LATEX_FLAGS or not args[4].startswith(flag)
            or not args[5].endswith(".tex") or args[5].startswith("-")):
        return "latex with arguments Manim does not use: " + " ".join(_show(a) for a in args[1:])
    folder = policy.in_work(args[4][len(flag):])
    tex = policy.in_work(args[5])
    if folder is None or tex is None or tex.rsplit("/", 1)[0] != folder:
        return "latex on files outside the work folder: " + _show(args[5])
    try:
        if _lstat(tex).st_mode & _TYPE_MASK != _REG_MODE:
            return "latex on something that is not a plain file: " + _show(args[5])
        with open(tex, "rb") as handle:
            data = handle.read(MAX_TEX_BYTES + 1)
    except OSError as exc:
        return f"latex on {_show(args[5])}: cannot read it ({exc.strerror})"
    if len(data) > MAX_TEX_BYTES:
        return f"latex on {_show(args[5])}: larger than {MAX_TEX_BYTES} bytes"
    why = tex_refusal(data.decode("latin-1"))  # byte for byte, as TeX reads it
    return None if why is None else f"latex {_show(args[5])}: {why}"


def _dvisvgm_refusal(args: list[str], policy: Policy) -> str | None:
    flag = "--output="
    if (len(args) != 6 or not _PAGE.match(args[1]) or tuple(args[2:4]) != _DVISVGM_FLAGS
            or not args[4].startswith(flag) or not args[4].endswith(".svg")
            or not args[5].endswith(".dvi") or args[5].startswith("-")):
        return "dvisvgm with arguments Manim does not use: " + " ".join(_show(a) for a in args[1:])
    if "%" in args[4].replace("%p.svg", ""):
        # dvisvgm expands %f, %h... in the output name; only a page number (%p) is allowed
        return "dvisvgm with an output pattern other than a page number: " + _show(args[4])
    if policy.in_work(args[4][len(flag):]) is None or policy.in_work(args[5]) is None:
        return "dvisvgm on files outside the work folder: " + _show(args[5])
    return None


def _pinned_program(candidates: object) -> tuple[str | None, str | None]:
    """(the executable exec would pick, why not) from fork_exec's candidate list."""
    if type(candidates) not in (list, tuple):
        return None, "a program with a search path the guard cannot read"
    for raw in candidates:  # type: ignore[attr-defined]
        path = _text(raw)
        if path is None:
            return None, "a program path the guard cannot read"
        if not _access(path, os.X_OK):
            continue
        real = resolve(path, _getcwd())
        if not within(real, PROGRAM_ROOTS):
            return None, f"starting {_show(path)}: not an installed program ({_show(real)})"
        return path, None
    return None, None


# ---------------------------------------------------------------------------------- the hook

#: Events the hook looks at; everything else returns after one set lookup.
_WATCHED = frozenset({
    "open", "subprocess.Popen", "sys.addaudithook", "compile", "exec", "import",
    "os.listdir", "os.scandir", "os.chdir", "os.mkdir", "os.remove", "os.rmdir", "os.rename",
    "os.chmod", "os.chown", "os.utime", "os.truncate", "os.symlink", "os.link", "os.mkfifo",
    "os.mknod", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr", "os.putenv",
    "os.unsetenv", "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree",
    "shutil.rmtree", "shutil.move", "shutil.chown", "shutil.make_archive",
    "shutil.unpack_archive", "tempfile.mkstemp", "tempfile.mkdtemp", "sys._getframe",
    "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
    "object.__getattr__", "object.__setattr__", "object.__delattr__", "code.__new__",
    "function.__new__", "marshal.loads", "marshal.load", "builtins.breakpoint",
})
_PROCESS_PREFIXES = ("os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "pty.")
_NETWORK_PREFIXES = ("socket.", "urllib.", "http.client.", "ftplib.", "smtplib.", "poplib.",
                     "imaplib.", "nntplib.", "telnetlib.", "webbrowser.", "ssl.", "syslog.",
                     "sqlite3.")
_PREFIXES = (*_PROCESS_PREFIXES, *_NETWORK_PREFIXES, "ctypes.", "gc.")
#: Events about paths: (position of a path, written?, position of its dir_fd or -1).
_PATH_EVENTS: dict[str, tuple[tuple[int, bool, int], ...]] = {
    "os.mkdir": ((0, True, 2),), "os.remove": ((0, True, 1),), "os.rmdir": ((0, True, 1),),
    "os.rename": ((0, True, 2), (1, True, 3)), "os.link": ((0, True, 2), (1, True, 3)),
    "os.symlink": ((1, True, 2),), "os.chmod": ((0, True, 2),), "os.chown": ((0, True, 3),),
    "os.utime": ((0, True, 3),), "os.truncate": ((0, True, -1),),
    "os.mkfifo": ((0, True, 2),), "os.mknod": ((0, True, 3),), "os.chflags": ((0, True, -1),),
    "os.lchflags": ((0, True, -1),), "os.setxattr": ((0, True, -1),),
    "os.removexattr": ((0, True, -1),), "os.chdir": ((0, False, -1),),
    "shutil.copyfile": ((0, False, -1), (1, True, -1)),
    "shutil.copymode": ((0, False, -1), (1, True, -1)),
    "shutil.copystat": ((0, False, -1), (1, True, -1)),
    "shutil.copytree": ((0, False, -1), (1, True, -1)),
    "shutil.move": ((0, True, -1), (1, True, -1)), "shutil.rmtree": ((0, True, -1),),
    "shutil.chown": ((0, True, -1),), "shutil.make_archive": ((0, True, -1), (2, False, -1)),
    "shutil.unpack_archive": ((0, False, -1), (1, True, -1)),
    "tempfile.mkstemp": ((0, True, -1),), "tempfile.mkdtemp": ((0, True, -1),),
}
#: Attributes whose change turns one function into another, or a class into another.
_SWAP_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__", "__bases__",
                              "__class__", "__globals__", "__closure__", "__builtins__"})
#: Audited attributes that are frames (the others are code objects and defaults).
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
#: Standard library modules that hand frames back to their caller.
_LOGGING = "/logging/__init__.py"
_FRAME_HELPERS = ("/inspect.py", "/traceback.py", _LOGGING)


class _Guard:
    """The hook's state: the policy, the phase, and the replaced fork_exec (one per process)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.scene_phase = False
        self.wrapper: object = None
        self.busy: set[int] = set()
        # Events checked from the start, with or without the scene running.
        self.always = {
            "open": self._open, "os.listdir": self._listing, "os.scandir": self._listing,
            "subprocess.Popen": self._popen, "sys.addaudithook": self._second_hook,
            "compile": self._code_event, "exec": self._code_event,
            "object.__getattr__": self._wrapper_touched,
            "object.__setattr__": self._wrapper_touched,
            "object.__delattr__": self._wrapper_touched,
            **dict.fromkeys(_PATH_EVENTS, self._path_event),
        }
        # Events checked once scene.py starts importing: what the scene's code asked for.
        self.in_scene = {
            "import": self._import_event, "os.putenv": self._environment,
            "os.unsetenv": self._environment, "sys._getframe": self._introspection,
            "object.__getattr__": self._introspection, "object.__setattr__": self._swap,
            "object.__delattr__": self._swap,
            **dict.fromkeys(("code.__new__", "function.__new__", "marshal.loads", "marshal.load",
                             "sys._current_frames", "sys._current_exceptions", "sys.settrace",
                             "sys.setprofile", "builtins.breakpoint"), self._code_building),
        }

    # -- the hook and fork_exec ----------------------------------------------------------

    def hook(self, event: object, args: object) -> None:
        """The audit hook: decide, and end the process on a refusal."""
        if event == "builtins.id":  # the most frequent event by far, and harmless: return first
            return
        if type(event) is not str or (event not in _WATCHED and not event.startswith(_PREFIXES)):
            return
        ident = _get_ident()
        if ident in self.busy:
            return  # the guard's own work (reading a .tex file, walking frames)
        self.busy.add(ident)
        try:
            try:
                why = self.decide(event, args if type(args) is tuple else ())  # type: ignore[arg-type]
            except Exception as exc:  # fail closed: an event the guard cannot judge stops the child
                why = f"{event}: the guard could not check it ({type(exc).__name__})"
        finally:
            self.busy.discard(ident)
        if why is not None:
            refuse(why)

    def decide(self, event: str, args: tuple[object, ...]) -> str | None:
        """Why this event must stop the child, or None (call from the hook only: it reads frames)."""
        check = self.always.get(event)
        if check is not None:
            why = check(event, args)
            if why is not None:
                return why
        elif event.startswith(_PROCESS_PREFIXES):
            shown = _text(args[0]) if args else None
            return f"{event}({_show(shown) if shown else ''}): scenes may not run programs"
        elif event.startswith(_NETWORK_PREFIXES):
            return f"{event}: scenes may not use the network"
        if not self.scene_phase:
            return None  # Manim's own imports and set-up: trusted code
        check = self.in_scene.get(event)
        if check is not None:
            return check(event, args)
        if event.startswith("gc."):
            return f"{event}: walking the interpreter's objects"
        if event.startswith("ctypes."):
            # refused whoever asks: code can pass for Manim's (a made-up file name), and a
            # render uses no ctypes once the scene runs (measured)
            return f"{event}: raw memory and C functions while the scene runs"
        return None

    def exec_refusal(self, args: tuple[object, ...]) -> tuple[str | None, tuple[object, ...]]:
        """(why not, the arguments to run) for a fork_exec call: the argv and binary pinned."""
        if len(args) < 6:
            return "fork_exec with arguments the guard cannot read", args
        why = program_refusal(args[0], self.policy)
        if why is None and (args[4] is not None or not _expected_environment(args[0], args[5])):
            why = "starting a program with a folder or environment of its own"
        if why is not None:
            return why, args
        program, why = _pinned_program(args[1])
        if why is not None:
            return why, args
        if program is None:
            return None, args  # nothing to execute: exec fails with "not found" as usual
        argv = [_text(a) for a in args[0]]  # type: ignore[attr-defined]
        pinned = (program.encode(_FS_ENCODING, "surrogateescape"),)
        return None, (argv, pinned, *args[2:])

    # -- frames -------------------------------------------------------------------------

    @staticmethod
    def _caller() -> object:
        """The frame whose operation raised the event (above hook, decide and the check)."""
        try:
            return _getframe(4)
        except ValueError:
            return None  # raised with no Python frame left (the interpreter printing an error)

    def _initiator(self, frame: object) -> object:
        """The first frame outside the standard library: who asked, through any helpers."""
        while frame is not None and type(frame) is _FRAME_TYPE:
            name = frame.f_code.co_filename  # type: ignore[attr-defined]
            if type(name) is not str or not self.policy.is_stdlib(name):
                return frame
            frame = frame.f_back  # type: ignore[attr-defined]
        return None

    def _untrusted_frame(self, frame: object) -> bool:
        return (frame is not None and type(frame) is _FRAME_TYPE
                and self.policy.untrusted(frame.f_code.co_filename))  # type: ignore[attr-defined]

    def _asked_by_scene(self, frame: object) -> bool:
        """True when the first frame outside the standard library is the scene's code."""
        return self._untrusted_frame(self._initiator(frame))

    def _from_scene(self, frame: object, *, frames: bool = False) -> bool:
        """True when the scene's code asked directly; for `frames`, also through a helper.

        inspect.currentframe() or traceback.walk_stack() hand the scene a frame on its
        behalf; inspect.signature() reading __code__ for dataclasses hands it nothing.
        """
        if frame is None or type(frame) is not _FRAME_TYPE:
            return False
        name = frame.f_code.co_filename  # type: ignore[attr-defined]
        if self.policy.untrusted(name):
            return True
        if (frames and type(name) is str and name.endswith(_FRAME_HELPERS)
                and self.policy.is_stdlib(name)):
            return self._untrusted_frame(self._initiator(frame))
        return False

    def _importer(self, frame: object) -> object:
        """The frame whose import statement (or call) started this import."""
        while frame is not None and type(frame) is _FRAME_TYPE:
            name = frame.f_code.co_filename  # type: ignore[attr-defined]
            if not (type(name) is str and (name.startswith("<frozen importlib")
                                           or "/importlib/" in name)):
                return frame
            frame = frame.f_back  # type: ignore[attr-defined]
        return None

    # -- checks from the start ----------------------------------------------------------

    def _open(self, event: str, args: tuple[object, ...]) -> str | None:
        flags = args[2] if len(args) > 2 else None
        path = args[0] if args else None
        write = type(flags) is not int or bool(flags & _WRITE_FLAGS)  # type: ignore[operator]
        why = self.policy.path_refusal(path, write=write)
        if why is None and self.scene_phase and not write:
            text = _text(path)
            if text is not None and text.endswith(".pyc") and self.policy.writable(
                    self.policy.resolve(text, _getcwd())):
                why = f"reading {_show(text)}: compiled code the scene could have written"
        return None if why is None else f"open: {why}"

    def _listing(self, event: str, args: tuple[object, ...]) -> str | None:
        why = self.policy.listing_refusal(args[0] if args else None)
        return None if why is None else f"{event}: {why}"

    def _popen(self, event: str, args: tuple[object, ...]) -> str | None:
        # (executable, args, cwd, env): Popen fills executable in from args[0] itself
        if len(args) < 4:
            return "subprocess.Popen with arguments the guard cannot read"
        why = program_refusal(args[1], self.policy)
        if why is None and (args[2] is not None or _text(args[0]) != _text(args[1][0])  # type: ignore[index]
                            or not _expected_environment(args[1], args[3])):
            why = "a program with a folder, environment or executable of its own"
        return None if why is None else f"subprocess.Popen: {why}"

    @staticmethod
    def _second_hook(event: str, args: tuple[object, ...]) -> str | None:
        return "sys.addaudithook: a second audit hook"

    def _wrapper_touched(self, event: str, args: tuple[object, ...]) -> str | None:
        if args and args[0] is self.wrapper:
            return f"{event} on the guard's fork_exec"
        return None

    def _path_event(self, event: str, args: tuple[object, ...]) -> str | None:
        for index, write, fd_index in _PATH_EVENTS[event]:
            if index >= len(args) or args[index] is None:
                continue
            cwd = _getcwd()
            dir_fd = args[fd_index] if 0 <= fd_index < len(args) else None
            if type(dir_fd) is int and dir_fd >= 0:
                try:  # a path relative to an open folder: where that folder is
                    cwd = _readlink(f"/proc/self/fd/{dir_fd}")
                except OSError:
                    return f"{event}: relative to a folder the guard cannot see"
            why = self.policy.path_refusal(args[index], write=write, cwd=cwd)
            if why is None and event == "os.symlink":
                # the link's target, seen from the folder the link is made in
                link = _text(args[1])
                base = resolve(link, cwd).rsplit("/", 1)[0] or "/" if link else cwd
                why = self.policy.path_refusal(args[0], write=True, cwd=base)
            if why is not None:
                return f"{event}: {why}"
        return None

    def _code_event(self, event: str, args: tuple[object, ...]) -> str | None:
        """compile and exec: the scene phase starts with scene.py; no other work/ code runs.

        Compiling alone runs nothing (Python's own traceback printer parses source lines under
        their file's name), so files of the work folder are refused when executed.
        """
        if event == "compile":
            filename = _text(args[1]) if len(args) > 1 else None
        else:
            code = args[0] if args else None
            filename = code.co_filename if type(code) is _CODE_TYPE else None  # type: ignore[attr-defined]
        policy = self.policy
        if filename is None or (not self.scene_phase and not filename.endswith(policy.scene_name)):
            return None  # Manim's imports: ~1500 modules, not worth resolving each name
        real = _safe_resolve(filename, policy.work)
        if real == policy.scene:
            self.scene_phase = True
            return None
        if not self.scene_phase:
            return None
        if (event == "exec" and not filename.startswith("<") and within(real, (policy.work,))
                and (filename.startswith("/") or _exists(real))):
            # not even the entry script or this guard again: the scene can overwrite them
            return f"{event} of {_show(filename)}: no code from the work folder but scene.py"
        if (event == "compile" and filename not in ("<string>", "<stdin>")
                and self._asked_by_scene(self._caller())):
            return f"compile with the made-up file name {_show(filename)}"
        return None

    # -- checks once the scene runs -----------------------------------------------------

    def _import_event(self, event: str, args: tuple[object, ...]) -> str | None:
        name = _text(args[0]) if args else None
        if name is None:
            return None
        origin = _text(args[1]) if len(args) > 1 and args[1] is not None else None
        if origin is not None:  # an extension module: native code, from an install only
            real = _safe_resolve(origin, self.policy.work)
            if self.policy.writable(real) or not within(real, self.policy.read):
                return f"import {name}: native code from {_show(real)}"
        if not self._untrusted_frame(self._importer(self._caller())):
            return None
        if name.split(".", 1)[0] in SCENE_IMPORTS:
            return None
        return f"import {name}: not a module a scene may import"

    @staticmethod
    def _environment(event: str, args: tuple[object, ...]) -> str | None:
        # refused whoever asks: latex inherits the environment (TEXINPUTS, openin_any ...), and
        # nothing in a render sets a variable once the scene runs (measured)
        return f"{event}: the environment is fixed while the scene runs"

    def _introspection(self, event: str, args: tuple[object, ...]) -> str | None:
        caller = self._caller()
        if _ends_with(caller, _LOGGING) and (event != "sys._getframe"
                                             or (args and _ends_with(args[0], _LOGGING))):
            return None  # logging finding the caller's file and line: it keeps no frame
        attribute = _text(args[1]) if event == "object.__getattr__" and len(args) > 1 else None
        frames = attribute is None or attribute in _FRAME_ATTRIBUTES
        if not self._from_scene(caller, frames=frames):
            return None
        if attribute is not None:
            event = f"{event}({attribute})"
        return f"{event}: frame and code internals from the scene"

    def _swap(self, event: str, args: tuple[object, ...]) -> str | None:
        name = _text(args[1]) if len(args) > 1 else None
        if name in _SWAP_ATTRIBUTES and self._from_scene(self._caller()):
            return f"{event}({name}): swapping code or classes from the scene"
        return None

    def _code_building(self, event: str, args: tuple[object, ...]) -> str | None:
        caller = self._caller()
        if self._from_scene(caller) or (not _in_import_system(caller)
                                        and self._asked_by_scene(caller)):
            return f"{event}: building code or reaching frames from the scene"
        return None  # the import system loading a module the import check let through


def _safe_resolve(path: str, cwd: str) -> str:
    try:
        return resolve(path, cwd)
    except (OSError, ValueError):
        return path


def _expected_environment(argv: object, env: object) -> bool:
    """True when a program gets the environment Manim or ctypes gives it: the child's own,
    or find_library's two variables (a dict for Popen, NAME=value bytes for fork_exec)."""
    if env is None:
        return True
    if type(argv) not in (list, tuple) or tuple(_text(a) for a in argv) != _LDCONFIG:  # type: ignore[attr-defined]
        return False
    if type(env) is dict:
        # exact str first: comparing a str subclass would run the scene's __eq__ in the hook
        return all(type(k) is str and type(v) is str
                   for k, v in env.items()) and env == _LDCONFIG_ENV  # type: ignore[attr-defined]
    if type(env) in (list, tuple):
        return sorted(_text(item) or "" for item in env) == sorted(  # type: ignore[attr-defined]
            f"{k}={v}" for k, v in _LDCONFIG_ENV.items())
    return False


def _in_import_system(frame: object) -> bool:
    """True when the frame is importlib's own code (frozen, or the importlib package)."""
    if frame is None or type(frame) is not _FRAME_TYPE:
        return False
    name = frame.f_code.co_filename  # type: ignore[attr-defined]
    return type(name) is str and (name.startswith("<frozen importlib") or "/importlib/" in name)


def _ends_with(frame: object, suffix: str) -> bool:
    if frame is None or type(frame) is not _FRAME_TYPE:
        return False
    name = frame.f_code.co_filename  # type: ignore[attr-defined]
    return type(name) is str and name.endswith(suffix)


def refuse(why: str) -> None:
    """Say what was refused, on one line of stderr, and end the process at once."""
    line = PREFIX + "refused " + " ".join(why.split()) + "\n"
    try:
        _write(2, ("\n" + line).encode("utf-8", "replace"))
    finally:
        _exit(EXIT_STATUS)


def _fork_exec(*args: object, _real: object = None, _check: object = None,
               _refuse: object = None) -> object:
    """The body of the checking fork_exec: it looks up no global and no builtin name."""
    try:
        why, checked = _check(args)  # type: ignore[operator]
    except:  # noqa: E722  # no exception (and no traceback into the guard) leaves here
        why, checked = "arguments the guard cannot check", None
    if why is not None:
        _refuse("fork_exec: " + why)  # type: ignore[operator]
    return _real(*checked)  # type: ignore[operator]


def _wrap_fork_exec(guard: _Guard) -> None:
    """Put a checking fork_exec in front of _posixsubprocess's, which raises no audit event.

    subprocess.Popen raises "subprocess.Popen" before calling fork_exec, but code that calls
    _posixsubprocess.fork_exec itself starts any program unseen. The wrapper is reachable by
    anyone, so it is built with empty globals of its own (the guard's would be a dict anyone
    could edit through `__globals__`, which raises no audit event) and keeps the real function
    and the check in its keyword defaults: reading those or its code is an audit event the
    hook refuses whoever asks.
    """
    import _posixsubprocess

    function_type = type(_fork_exec)
    fork_exec = function_type(_fork_exec.__code__, {"__builtins__": {}}, "fork_exec")
    fork_exec.__kwdefaults__ = {"_real": _posixsubprocess.fork_exec,
                                "_check": guard.exec_refusal, "_refuse": refuse}
    guard.wrapper = fork_exec
    _posixsubprocess.fork_exec = fork_exec
    subprocess = sys.modules.get("subprocess")
    if subprocess is not None and hasattr(subprocess, "_fork_exec"):
        subprocess._fork_exec = fork_exec  # imported before the guard: its own name too


def restrict_tex_environment() -> None:
    """TeX run by Manim: no files outside its folder (by name), no shell escape."""
    os.environ.update(openin_any="p", openout_any="p", shell_escape="f")


def install(scene: str = "scene.py") -> None:
    """Install the guard in this process (once; later calls do nothing)."""
    if getattr(sys, _MARK, False):
        return
    restrict_tex_environment()
    guard = _Guard(Policy.here(scene))
    _wrap_fork_exec(guard)
    setattr(sys, _MARK, True)
    sys.addaudithook(guard.hook)
    # Nothing the scene can reach should lead back to the guard's state: the hook is held by
    # the interpreter only, and the module leaves sys.modules (the entry script drops its name).
    sys.modules.pop(__name__, None)
