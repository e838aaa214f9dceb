"""What the static checks know of the libraries a scene can reach: the live modules, or a mirror.

The safety step and the API lint judge a scene by the real objects its names hold (is `np.lib.npyio`
a module that reads files, does `Axes` take `x_min=`, is `Scene` a base of `ThreeDScene`). Asking
the live objects means importing Manim, NumPy and SciPy: about 0.8 s, more than the checks
themselves on any scene, and more than a plain `manim render` needs to reject a scene that does
not parse. So the facts the checks ask are recorded once per installation, by the checks' own
live code, into a mirror (`~/.cache/mathreel/mirror/<key>.marshal`):

- every object reachable from Manim's namespace and the third-party modules a scene may import
  (NumPy, mathreel_style), walked through module attributes: its kind (module, class, callable,
  other), name, and the answers of the safety step's predicates (dangerous, a Formatter, a
  metaclass);
- for Manim's classes: `dir()`, the `self.X` names of their source, the keyword arguments their
  constructor accepts, their MRO, and for the scene classes the parameters of each method;
- Manim's version, the denylist of re-exported dangerous names, the union of Manim's attribute
  names and the keyword arguments of the checked methods.

Standard-library objects are never mirrored: the mirror names them (module and qualified name) and
they are looked up live, so identity tests against `functools.wraps` or a builtin stay exact.

The key covers the Python version, every installed distribution (the `*.dist-info` names of
sys.path) and the source of the checks, so an upgrade or an edit to a rule records it again. A
question the mirror cannot answer (a module or class it did not record) raises `MirrorMiss`,
and `check_scene` runs the step again against the live modules: the mirror only ever makes the
answer faster, never different. The file is `marshal` data: plain values, nothing that runs when
loaded.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import marshal
import os
import sys
import threading
import time
import types
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")

log = logging.getLogger(__name__)

#: Bumped when the mirror's layout changes.
FORMAT = 1

#: The value of a name that does not exist (shared with the safety step).
MISSING: Any = object()

_DANGEROUS, _FORMATTER, _METACLASS, _GETATTR_HOOK = 1, 2, 4, 16


class MirrorMiss(Exception):
    """The mirror did not record what a check asked: ask the live modules instead."""


class Mirrored:
    """An object of a mirrored library, as the checks see it (interned: one per recorded object)."""

    __slots__ = ("_index", "_mirror", "flags", "kind", "module", "name")

    def __init__(self, mirror: Mirror, index: int, kind: str, name: str | None, module: str | None,
                 flags: int) -> None:
        self._mirror, self._index = mirror, index
        self.kind, self.name, self.module, self.flags = kind, name, module, flags

    def __repr__(self) -> str:
        return f"<mirrored {self.kind} {self.module or ''}.{self.name or '?'}>"


class Live:
    """The libraries as they are imported in this process (imports Manim on first use)."""

    mirrored = False

    def __init__(self) -> None:
        self._facts: dict[str, Any] = {}

    @property
    def namespace(self) -> Mapping[str, object]:
        from builder.checks.diagnostics import manim_namespace

        return manim_namespace()

    def import_module(self, name: str) -> object:
        from builder.checks import safety

        return safety.live_import(name)

    def loaded_module(self, name: str) -> object:
        self.namespace  # noqa: B018 - Manim's submodules are loaded
        return sys.modules.get(name, MISSING)

    def fact(self, name: str) -> Any:
        """A global fact (version, denied names, ...), computed by the checks' live code."""
        if name not in self._facts:
            self._facts[name] = _LIVE_FACTS[name]()
        return self._facts[name]

    def class_fact(self, cls: object, fact: str, arg: str | None = None) -> Any:
        return _CLASS_FACTS[fact](cls, arg)


class Mirror:
    """The recorded facts (see the module doc); objects come to life as `Mirrored` when reached."""

    mirrored = True

    def __init__(self, data: dict[str, Any]) -> None:
        self._objects: list[tuple[Any, ...]] = data["objects"]
        self._handles: dict[int, Mirrored] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._modules: dict[str, int] = data["modules"]
        self._facts: dict[str, Any] = data["facts"]
        self._thawed: dict[str, Any] = {}
        self._raw_namespace: dict[str, Any] = data["namespace"]
        self.namespace: Mapping[str, object] = _Namespace(self)

    def import_module(self, name: str) -> object:
        if name in self._modules:
            return self._handle(self._modules[name])
        if _stdlib(name):
            try:
                return importlib.import_module(name)
            except Exception:
                return MISSING
        raise MirrorMiss(f"module {name} is not in the mirror")

    def loaded_module(self, name: str) -> object:
        return self._handle(self._modules[name]) if name in self._modules else MISSING

    def fact(self, name: str) -> Any:
        if name not in self._thawed:
            value = self._facts[name]
            if name == "method_kwargs":
                value = {method: _thaw(v) for method, v in value.items()}
            elif name != "version":
                value = _thaw(value)
            self._thawed[name] = value
        return self._thawed[name]

    def class_fact(self, cls: Mirrored, fact: str, arg: str | None = None) -> Any:
        extra = self._objects[cls._index][5] or {}
        table = extra.get(fact)
        if table is None:
            raise MirrorMiss(f"{fact} of {cls!r} is not in the mirror")
        if fact == "params":
            if arg not in table:
                raise MirrorMiss(f"params of {cls!r}.{arg} are not in the mirror")
            return _thaw(table[arg])
        if fact == "mro":
            return tuple(self._resolve(r) for r in table)
        return _thaw(table[0])

    # -- objects ---------------------------------------------------------------------------
    def attr(self, obj: Mirrored, name: str) -> object:
        entry = self._objects[obj._index]
        attrs = entry[4]
        if attrs is None:
            raise MirrorMiss(f"the attributes of {obj!r} are not in the mirror")
        if name in attrs:
            return self._resolve(attrs[name])
        if obj.flags & _GETATTR_HOOK and name not in (entry[5] or {}).get("missing", ()):
            raise MirrorMiss(f"{obj!r} computes attributes on demand ({name})")
        return MISSING

    def names(self, obj: Mirrored) -> frozenset[str]:
        found = self._names.get(obj._index)
        if found is None:  # made once per object: the API lint asks a scene class for each self.X
            names = self._objects[obj._index][6]
            if names is None:
                raise MirrorMiss(f"dir() of {obj!r} is not in the mirror")
            found = self._names.setdefault(obj._index, frozenset(names))
        return found

    def star(self, obj: Mirrored) -> frozenset[str] | None:
        entry = self._objects[obj._index]
        return None if entry[7] is None else frozenset(entry[7])

    def _handle(self, index: int) -> Mirrored:
        found = self._handles.get(index)
        if found is None:
            kind, name, module, flags = self._objects[index][:4]
            # setdefault is atomic: two threads reaching one object get the same handle
            found = self._handles.setdefault(index, Mirrored(self, index, kind, name, module, flags))
        return found

    def _resolve(self, ref: Any) -> object:
        if isinstance(ref, int):
            return self._handle(ref)
        tag = ref[0]
        if tag == "V":
            return ref[1]
        if tag == "L":
            return _live_object(ref[1], ref[2])
        raise MirrorMiss(f"unknown reference {ref!r}")


class _Namespace(Mapping[str, object]):
    """Manim's namespace from the mirror, each name resolved when first read (a standard-library
    object it re-exports is imported only if a scene uses it)."""

    def __init__(self, mirror: Mirror) -> None:
        self._mirror = mirror
        self._raw = mirror._raw_namespace
        self._done: dict[str, object] = {}

    def __getitem__(self, name: str) -> object:
        found = self._done.get(name, MISSING)
        if found is MISSING:
            found = self._done.setdefault(name, self._mirror._resolve(self._raw[name]))
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


# -- the current world ---------------------------------------------------------------------------

_local = threading.local()
_lock = threading.Lock()
_default: Live | Mirror | None = None
_live = Live()


def current() -> Live | Mirror:
    """The world the checks ask in this thread: the mirror when one is recorded for this
    installation, else the live modules."""
    forced: Live | Mirror | None = getattr(_local, "world", None)
    if forced is not None:
        return forced
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = _load() or _live
    return _default


@contextlib.contextmanager
def using(world: Live | Mirror) -> Iterator[None]:
    """Ask `world` in this thread for the duration (tests compare the two; a miss falls back)."""
    before = getattr(_local, "world", None)
    _local.world = world
    try:
        yield
    finally:
        _local.world = before


def live() -> Live:
    return _live


#: Mirror misses in this process (tests assert the corpora need none).
misses: list[str] = []


def with_fallback(step: Callable[[], _T]) -> _T:
    """Run a check step against the current world (held for the whole step, so one step never
    mixes two worlds); on a mirror miss, again against the live one."""
    try:
        with using(current()):
            return step()
    except MirrorMiss as miss:
        misses.append(str(miss))
        log.debug("the API mirror could not answer (%s): asking the live modules", miss)
        with using(_live):
            return step()


_recorded = False


def ensure_mirror() -> None:
    """Record this installation's mirror if the checks ran live for want of one and have
    imported Manim already (once per process), and use it from then on. A check that never
    needed Manim (a syntax error) leaves the recording to the next one."""
    global _default, _recorded
    if (_recorded or os.environ.get("MATHREEL_API_MIRROR", "1") == "0" or "manim" not in sys.modules
            or not isinstance(current(), Live)):
        return
    with _lock:
        if _recorded:
            return
        _recorded = True
        path = mirror_path()
        if path is None:
            return
        try:
            record(path)
        except Exception:  # the checks work without it, only slower
            log.warning("could not record the Manim API mirror at %s", path, exc_info=True)
            return
        _default = load(path) or _live


def mirror_path() -> Path | None:
    """Where this installation's mirror lives, or None when its key cannot be computed."""
    from builder.fsutil import user_cache

    try:
        return user_cache("mirror") / f"{_key()}.marshal"
    except OSError:
        return None


def _load() -> Mirror | None:
    if os.environ.get("MATHREEL_API_MIRROR", "1") == "0":
        return None
    path = mirror_path()
    return None if path is None else load(path)


def load(path: Path) -> Mirror | None:
    """The mirror recorded at `path`, or None when it is missing, torn or of another format."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return Mirror(data)


def _key() -> str:
    """Python, the installed distributions and the checks' source, as a 64-bit checksum
    (zlib's: hashlib's import costs more than the rest of the key)."""
    parts = [f"{FORMAT} {sys.version} {sys.executable}".encode()]
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                parts.append(" ".join(sorted(n for n in os.listdir(entry) if n.endswith(".dist-info"))).encode())
    here = Path(__file__).parent
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            parts.append((here / name).read_bytes())
    with contextlib.suppress(OSError):
        parts.append((here.parent / "templates" / "mathreel_style.py").read_bytes())
    data = b"\0".join(parts)
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def _live_object(module: str, qualname: str | None) -> object:
    try:
        obj: object = importlib.import_module(module)
        for part in (qualname or "").split(".") if qualname else ():
            obj = getattr(obj, part)
    except Exception as exc:
        raise MirrorMiss(f"{module}:{qualname} cannot be looked up here") from exc
    return obj


# -- questions the checks ask of a value (either world) -----------------------------------------

def is_module(value: object) -> bool:
    return value.kind == "module" if isinstance(value, Mirrored) else isinstance(value, types.ModuleType)


def is_class(value: object) -> bool:
    return value.kind == "class" if isinstance(value, Mirrored) else isinstance(value, type)


def is_metaclass(value: object) -> bool:
    if isinstance(value, Mirrored):
        return bool(value.flags & _METACLASS)
    return isinstance(value, type) and issubclass(value, type)


def is_formatter(value: object) -> bool:
    if isinstance(value, Mirrored):
        return bool(value.flags & _FORMATTER)
    import string

    return isinstance(value, type) and issubclass(value, string.Formatter)


def recorded_dangerous(value: Mirrored) -> bool:
    """What the safety step's own predicate said of the live object when the mirror was recorded."""
    return bool(value.flags & _DANGEROUS)


def name_of(value: object, default: str = "") -> str:
    """`__name__` (a module's dotted name, a class's or function's name)."""
    if isinstance(value, Mirrored):
        return value.name if value.name is not None else default
    name = getattr(value, "__name__", default)
    return name if isinstance(name, str) else default


def get_attr(value: object, name: str) -> object:
    """`getattr(value, name, MISSING)` for a module (any failure reads as missing)."""
    if isinstance(value, Mirrored):
        return value._mirror.attr(value, name)
    try:
        return getattr(value, name, MISSING)
    except Exception:
        return MISSING


def has_attr(value: object, name: str) -> bool:
    if isinstance(value, Mirrored):
        if value.kind == "module":
            return value._mirror.attr(value, name) is not MISSING
        return name in value._mirror.names(value)
    try:
        return hasattr(value, name)
    except Exception:
        return False


def attr_names(value: object) -> frozenset[str]:
    """`dir(value)`."""
    if isinstance(value, Mirrored):
        return value._mirror.names(value)
    return frozenset(dir(value))


def star_names(module: object) -> frozenset[str]:
    """The names `from module import *` binds (its __all__, else its public names)."""
    if isinstance(module, Mirrored):
        star = module._mirror.star(module)
        if star is not None:
            return star
        return frozenset(n for n in module._mirror.names(module) if not n.startswith("_"))
    if not isinstance(module, types.ModuleType):
        return frozenset()
    names = getattr(module, "__all__", None)
    if isinstance(names, list | tuple):
        return frozenset(str(n) for n in names)
    return frozenset(n for n in dir(module) if not n.startswith("_"))


def is_subclass(value: object, base: object) -> bool:
    """issubclass for two classes of the same world."""
    if isinstance(value, Mirrored):
        return value is base or base in value._mirror.class_fact(value, "mro")
    return isinstance(value, type) and isinstance(base, type) and issubclass(value, base)


def class_fact(value: object, fact: str, arg: str | None = None) -> Any:
    """instance_attributes / accepted_kwargs / required_args / params (of method `arg`) of a class."""
    if isinstance(value, Mirrored):
        return value._mirror.class_fact(value, fact, arg)
    return _live.class_fact(value, fact, arg)


def world_fact(name: str) -> Any:
    """version, denied_attributes, manim_attributes, method_kwargs (a dict), array_functions, ..."""
    return current().fact(name)


# -- the live answers (the checks' own code) ------------------------------------------------------

def _live_version() -> str:
    ver = _live.namespace.get("__version__")
    if isinstance(ver, str):
        return ver
    try:
        import manim

        return str(manim.__version__)
    except Exception:
        return "CE"


def _api(name: str) -> Callable[..., Any]:
    from builder.checks import api_lint

    found: Callable[..., Any] = getattr(api_lint, name)
    return found


def _safety(name: str) -> Callable[..., Any]:
    from builder.checks import safety

    found: Callable[..., Any] = getattr(safety, name)
    return found


_LIVE_FACTS: dict[str, Callable[[], Any]] = {
    "version": _live_version,
    "denied_attributes": lambda: _safety("live_denied_attribute_names")(),
    "manim_attributes": lambda: _api("live_manim_attribute_names")(),
    "method_kwargs": lambda: _LiveMethods(),
}


class _LiveMethods(dict):  # type: ignore[type-arg]
    """method -> its keyword arguments, computed when first asked."""

    def __missing__(self, method: str) -> Any:
        self[method] = found = _api("live_method_kwargs")(method)
        return found


def _live_params(cls: object, attr: str | None) -> frozenset[str] | bool | None:
    """The keyword-capable parameters of `cls.attr`: None when they cannot be known, False when
    the attribute is missing or not callable."""
    func = getattr(cls, attr or "", None)
    if func is None or not callable(func):
        return False
    names: set[str] = set()
    if not _api("collect_params")(func, names):
        return None
    return frozenset(names)


_CLASS_FACTS: dict[str, Callable[[Any, str | None], Any]] = {
    "instance_attributes": lambda cls, _arg: _api("instance_attributes")(cls),
    "accepted_kwargs": lambda cls, _arg: _api("accepted_kwargs")(cls),
    "required_args": lambda cls, _arg: _api("required_args")(cls),
    "params": _live_params,
    "mro": lambda cls, _arg: cls.__mro__,
}


# -- recording ------------------------------------------------------------------------------------

def _freeze(value: Any) -> Any:
    """A fact as marshal data: frozensets as sorted tuples tagged "S", None and bools kept."""
    if isinstance(value, frozenset | set):
        return ("S", tuple(sorted(value)))
    return ("N", value)


def _thaw(value: Any) -> Any:
    tag, data = value
    return frozenset(data) if tag == "S" else data


def _literal(value: object) -> bool:
    if type(value) in (str, int, float, bool, complex, type(None)):
        return True
    return type(value) is tuple and all(_literal(v) for v in value) and len(value) < 64


def record(path: Path) -> None:
    """Ask the live modules everything the checks may ask, and write the answers to `path`."""
    from builder.checks import api_lint, safety
    from builder.fsutil import atomic_write_bytes

    started = time.monotonic()
    with using(_live):
        namespace = dict(_live.namespace)
        facts: dict[str, Any] = {
            "version": _live.fact("version"),
            "denied_attributes": _freeze(_live.fact("denied_attributes")),
            "manim_attributes": _freeze(_live.fact("manim_attributes")),
            "method_kwargs": {m: _freeze(_live.fact("method_kwargs")[m]) for m in api_lint.CHECKED_METHODS},
        }
        roots = {"manim": _live.import_module("manim")}
        for name in sorted(safety.ALLOWED_IMPORTS | safety.REVIEWED_MODULES):
            if name != "__future__" and not _stdlib(name):
                module = _live.import_module(name)
                if module is not MISSING:
                    roots[name] = module
        recorder = _Recorder(safety, api_lint)
        modules: dict[str, Any] = {}
        data: dict[str, Any] = {
            "format": FORMAT,
            "namespace": {k: recorder.ref(v) for k, v in namespace.items()},
            "modules": modules,
            "facts": facts,
        }
        for name, module in roots.items():
            modules[name] = recorder.ref(module)
        for name, module in list(sys.modules.items()):
            if isinstance(module, types.ModuleType) and name.startswith("manim."):
                # the safety step compares a submodule's names with Manim's (I3), dangerous or not
                modules[name] = recorder.ref(module, attrs=True)
        recorder.drain()
        recorder.probe_hooks(api_lint, safety)
        recorder.drain()
        for name, index in recorder.module_index.items():
            modules.setdefault(name, index)
        scene = namespace.get("Scene")
        for value in namespace.values():
            if isinstance(value, type) and id(value) in recorder.index:
                recorder.class_details(value, scene_type=scene)
        for value in recorder.reviewed_classes:
            recorder.class_details(value, scene_type=scene)
        recorder.drain()  # modules first reached through a class's bases
        data["objects"] = recorder.objects
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, marshal.dumps(data))
    _prune(path.parent, keep=path)
    log.info("recorded the Manim API mirror for the checks (%d objects, %.1f s; once per installation)",
             len(recorder.objects), time.monotonic() - started)


#: Mirrors kept in the folder: other virtualenvs sharing this cache keep theirs, and each edit
#: of the checks (or upgrade) does not leave another 1.6 MB behind for good.
KEEP = 4


def _prune(folder: Path, *, keep: Path) -> None:
    """Remove all but the KEEP most recently written mirrors (never `keep`)."""
    try:
        found = sorted(folder.glob("*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in [p for p in found if p != keep][KEEP - 1:]:
        with contextlib.suppress(OSError):
            old.unlink()


class _Recorder:
    def __init__(self, safety: types.ModuleType, api_lint: types.ModuleType) -> None:
        self.safety, self.api_lint = safety, api_lint
        self.objects: list[Any] = []
        self.index: dict[int, int] = {}
        self.keep: list[object] = []  # ids stay unique while recording
        self.todo: list[tuple[int, types.ModuleType]] = []
        self.module_index: dict[str, int] = {}
        self.reviewed_classes: list[type] = []

    def ref(self, value: object, *, attrs: bool = False) -> Any:
        if _literal(value):
            return ("V", value)
        if id(value) in self.index:
            found = self.index[id(value)]
        else:
            live = self._live_ref(value)
            if live is not None:
                return live
            found = self._add(value)
        if attrs and isinstance(value, types.ModuleType) and (found, value) not in self.todo \
                and self.objects[found][4] is None:
            self.todo.append((found, value))
        return found

    def probe_hooks(self, api_lint: types.ModuleType, safety: types.ModuleType) -> None:
        """For modules that compute attributes on demand (`numpy.__getattr__`: lazy submodules,
        names removed in NumPy 2), ask every name the checks could plausibly ask: each module's
        names, the checks' tables, and the names such a module lists itself."""
        vocabulary: set[str] = set(safety.live_denied_attribute_names())
        vocabulary |= set(api_lint._NUMPY_RENAMES) | set(api_lint._NUMPY_RENAMES.values())
        vocabulary |= set(api_lint._OLD_NAMES) | set(safety._DANGER_ROOTS) | set(safety._DANGEROUS_MODULES)
        for entry in self.objects:
            vocabulary.update(entry[6] or ())
        for index, module in [(i, self.keep[i]) for i, e in enumerate(self.objects) if e[3] & _GETATTR_HOOK]:
            assert isinstance(module, types.ModuleType)
            own = set(vocabulary)
            for name, value in vars(module).items():
                if name.startswith("__") and isinstance(value, dict | set | frozenset | list | tuple):
                    own.update(v for v in value if isinstance(v, str))
            attrs = self.objects[index][4] or {}
            missing: list[str] = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name in sorted(own - set(attrs)):
                    value = get_attr(module, name)
                    if value is MISSING:
                        missing.append(name)
                    else:
                        attrs[name] = self.ref(value)
            self.objects[index][4] = attrs
            self.objects[index][5] = {"missing": tuple(missing)}

    def _live_ref(self, value: object) -> Any:
        """A standard-library (or builtin) object, named so it can be looked up live."""
        if isinstance(value, types.ModuleType):
            return ("L", value.__name__, None) if _stdlib(value.__name__) or value.__name__ == "builtins" else None
        module = getattr(value, "__module__", None) if isinstance(value, type) or callable(value) else None
        qualname = getattr(value, "__qualname__", None)
        if not (isinstance(module, str) and isinstance(qualname, str)) or "<" in qualname:
            return None
        if not (_stdlib(module) or module == "builtins"):
            return None
        try:
            if _live_object(module, qualname) is value:
                return ("L", module, qualname)
        except MirrorMiss:
            pass
        return None

    def _add(self, value: object) -> int:
        safety = self.safety
        index = len(self.objects)
        self.index[id(value)] = index
        self.keep.append(value)
        flags = 0
        try:
            if safety.live_object_dangerous(value):
                flags |= _DANGEROUS
        except Exception:
            flags |= _DANGEROUS
        if is_formatter(value):
            flags |= _FORMATTER
        if is_metaclass(value):
            flags |= _METACLASS
        name: str | None
        module: str | None
        if isinstance(value, types.ModuleType):
            kind, name, module = "module", value.__name__, value.__name__
            if "__getattr__" in vars(value):
                flags |= _GETATTR_HOOK
        else:
            kind = "class" if isinstance(value, type) else "callable" if callable(value) else "other"
            found_name = getattr(value, "__name__", None) if kind != "other" else None
            found_module = getattr(value if kind != "other" else type(value), "__module__", None)
            name = found_name if isinstance(found_name, str) else None
            module = found_module if isinstance(found_module, str) else None
        # kind, name, module, flags, attrs (modules), extra (classes), dir (classes), star (modules)
        self.objects.append([kind, name, module, flags, None, None, None, None])
        if kind == "module":
            assert isinstance(value, types.ModuleType)
            self.module_index.setdefault(value.__name__, index)
            if not safety.module_dangerous(value.__name__):
                self.todo.append((index, value))
        if kind in ("module", "class"):
            with contextlib.suppress(Exception):
                self.objects[index][6] = tuple(sorted(dir(value)))
        if isinstance(value, type) and value.__module__ == "mathreel_style":
            self.reviewed_classes.append(value)
        return index

    def drain(self) -> None:
        while self.todo:
            index, module = self.todo.pop()
            attrs: dict[str, Any] = {}
            for name in dir(module):
                value = get_attr(module, name)
                if value is not MISSING:
                    attrs[name] = self.ref(value)
            self.objects[index][4] = attrs
            public = getattr(module, "__all__", None)
            if isinstance(public, list | tuple):
                self.objects[index][7] = tuple(str(n) for n in public)

    def class_details(self, cls: type, *, scene_type: object) -> None:
        index = self.index[id(cls)]
        extra: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            extra["instance_attributes"] = (_freeze(self.api_lint.instance_attributes(cls)),)
        with contextlib.suppress(Exception):
            extra["accepted_kwargs"] = (_freeze(self.api_lint.accepted_kwargs(cls)),)
        with contextlib.suppress(Exception):
            extra["required_args"] = (_freeze(self.api_lint.required_args(cls)),)
        extra["mro"] = tuple(self.ref(klass) for klass in cls.__mro__)
        if isinstance(scene_type, type) and issubclass(cls, scene_type):
            extra["params"] = {attr: _freeze(_live_params(cls, attr)) for attr in dir(cls)}
        self.objects[index][5] = extra
