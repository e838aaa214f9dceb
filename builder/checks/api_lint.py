"""Step 4: lint the scene against the installed Manim (introspected in-process, never executed).

Finds names that do not exist, ManimGL and old Manim CE names, NumPy 2 removals, unknown
keyword arguments to Manim constructors and common methods, and `self.camera.frame` outside a
MovingCameraScene. Safe rewrites are applied to the source text by AST position, leaving every
other byte as it was.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import functools
import inspect
import logging
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from builder.checks import objects, world
from builder.checks.contract import scene_base_names
from builder.checks.diagnostics import (
    Diagnostic,
    Edit,
    apply_edits,
    bound_names,
    has_star_import,
    make,
    manim_imports,
    manim_namespace,
)
from builder.checks.safety import scene_module
from builder.pyast import parse_python

log = logging.getLogger(__name__)

_MAX_PASSES = 4


@dataclass(frozen=True)
class _Finding:
    diag: Diagnostic
    edits: tuple[Edit, ...] = ()
    rewrite: str = ""


@dataclass(frozen=True)
class _OldName:
    new: str | None
    advice: str
    #: (call node, new name) -> edits for a whole-call rewrite, when a name swap is not enough
    call_fix: Callable[[ast.Call, str], tuple[Edit, ...] | None] | None = None


def _shift_fix(default: str, negate: bool, kw: str = "shift") -> Callable[[ast.Call, str], tuple[Edit, ...] | None]:
    """FadeInFrom(m, d) -> FadeIn(m, shift=-d); FadeInFromDown(m) -> FadeIn(m, shift=UP); ..."""

    def fix(call: ast.Call, new: str) -> tuple[Edit, ...] | None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg in {kw, None} for k in call.keywords):
            return None
        edits = [Edit.replace(call.func, new)]
        if len(call.args) == 1:
            edits.append(Edit.insert_after(call.args[0], f", {kw}={default}"))
        elif len(call.args) == 2:
            arg = call.args[1]
            if negate:
                simple = isinstance(arg, ast.Name | ast.Attribute)
                edits.append(Edit.insert_before(arg, f"{kw}=-" if simple else f"{kw}=-("))
                if not simple:
                    edits.append(Edit.insert_after(arg, ")"))
            else:
                edits.append(Edit.insert_before(arg, f"{kw}="))
        else:
            return None
        return tuple(edits)

    return fix


#: Old (ManimGL / pre-0.10 CE) names -> their Manim 0.22 replacement and advice.
_OLD_NAMES: dict[str, _OldName] = {
    "ShowCreation": _OldName("Create", "ShowCreation does not exist in Manim 0.22: use Create"),
    "TextMobject": _OldName("Tex", "TextMobject does not exist in Manim 0.22: use Tex (or Text for plain text)"),
    "TexMobject": _OldName("MathTex", "TexMobject does not exist in Manim 0.22: use MathTex"),
    "TexText": _OldName("Tex", "TexText is ManimGL: use Tex"),
    "OldTex": _OldName("MathTex", "OldTex is ManimGL: use MathTex"),
    "OldTexText": _OldName("Tex", "OldTexText is ManimGL: use Tex"),
    "ShowCreationThenDestructionAround": _OldName(
        "Circumscribe", "ShowCreationThenDestructionAround does not exist in Manim 0.22: use Circumscribe"),
    "ShowPassingFlashAround": _OldName("Circumscribe", "ShowPassingFlashAround was renamed Circumscribe"),
    "ShowCreationThenDestruction": _OldName(
        "ShowPassingFlash", "ShowCreationThenDestruction does not exist in Manim 0.22: use ShowPassingFlash"),
    "WiggleOutThenIn": _OldName("Wiggle", "WiggleOutThenIn was renamed Wiggle"),
    "ParametricSurface": _OldName("Surface", "ParametricSurface was renamed Surface"),
    "FadeInFromDown": _OldName("FadeIn", "FadeInFromDown does not exist in Manim 0.22: use FadeIn(mob, shift=UP)",
                               _shift_fix("UP", negate=False)),
    "FadeInFromUp": _OldName("FadeIn", "FadeInFromUp does not exist in Manim 0.22: use FadeIn(mob, shift=DOWN)",
                             _shift_fix("DOWN", negate=False)),
    "FadeInFrom": _OldName("FadeIn", "FadeInFrom does not exist in Manim 0.22: use FadeIn(mob, shift=-direction)",
                           _shift_fix("UP", negate=True)),
    "FadeOutAndShiftDown": _OldName("FadeOut", "FadeOutAndShiftDown does not exist in Manim 0.22: use "
                                    "FadeOut(mob, shift=DOWN)", _shift_fix("DOWN", negate=False)),
    "FadeOutAndShift": _OldName("FadeOut", "FadeOutAndShift does not exist in Manim 0.22: use "
                                "FadeOut(mob, shift=direction)", _shift_fix("DOWN", negate=False)),
    "FadeInFromLarge": _OldName("FadeIn", "FadeInFromLarge does not exist in Manim 0.22: use FadeIn(mob, scale=2)",
                                _shift_fix("2", negate=False, kw="scale")),
    "ShowCreationThenFadeOut": _OldName(None, "ShowCreationThenFadeOut does not exist in Manim 0.22: use "
                                        "Succession(Create(mob), FadeOut(mob))"),
    "ShowCreationThenFadeAround": _OldName(None, "ShowCreationThenFadeAround does not exist in Manim 0.22: "
                                           "use Circumscribe(mob, fade_out=True)"),
    "CircleIndicate": _OldName(None, "CircleIndicate does not exist in Manim 0.22: use Circumscribe(mob, Circle)"),
    "GraphScene": _OldName(None, "GraphScene was removed from Manim: subclass Scene and build the axes with "
                           "`axes = Axes(x_range=[xmin, xmax, step], y_range=[...])`, then `axes.plot(f)`, "
                           "`axes.get_axis_labels()`, `axes.c2p(x, y)`"),
    "ContinualAnimation": _OldName(None, "ContinualAnimation was removed: use an updater "
                                   "(mob.add_updater(lambda m, dt: ...)) or always_redraw"),
    "NumberLineScene": _OldName(None, "NumberLineScene was removed: subclass Scene and add a NumberLine"),
    "PiCreatureScene": _OldName(None, "PiCreatureScene is part of 3b1b's videos repository, not Manim: subclass Scene"),
    "TeacherStudentsScene": _OldName(None, "TeacherStudentsScene is part of 3b1b's videos repository, not Manim"),
    "SampleSpaceScene": _OldName(None, "SampleSpaceScene was removed from Manim: subclass Scene"),
    "ReconfigurableScene": _OldName(None, "ReconfigurableScene was removed from Manim: subclass Scene"),
    "FRAME_X_RADIUS": _OldName("config.frame_x_radius", "FRAME_X_RADIUS is ManimGL: use config.frame_x_radius"),
    "FRAME_Y_RADIUS": _OldName("config.frame_y_radius", "FRAME_Y_RADIUS is ManimGL: use config.frame_y_radius"),
    "FRAME_WIDTH": _OldName("config.frame_width", "FRAME_WIDTH is ManimGL: use config.frame_width"),
    "FRAME_HEIGHT": _OldName("config.frame_height", "FRAME_HEIGHT is ManimGL: use config.frame_height"),
}

#: Methods renamed in Manim CE (attribute names that exist on no Manim class any more).
_OLD_METHODS: dict[str, _OldName] = {
    "get_graph": _OldName("plot", "axes.get_graph does not exist in Manim 0.22: use axes.plot"),
    "get_derivative_graph": _OldName("plot_derivative_graph", "use axes.plot_derivative_graph"),
    "get_parametric_curve": _OldName("plot_parametric_curve", "use axes.plot_parametric_curve"),
    "get_implicit_curve": _OldName("plot_implicit_curve", "use axes.plot_implicit_curve"),
    "get_vertical_line_to_graph": _OldName(None, "use axes.get_vertical_line(axes.i2gp(x, graph))"),
}

#: NumPy 2 removals -> replacement.
_NUMPY_RENAMES = {
    "trapz": "trapezoid", "product": "prod", "cumproduct": "cumprod", "sometrue": "any",
    "alltrue": "all", "in1d": "isin", "row_stack": "vstack", "float_": "float64",
    "complex_": "complex128", "NaN": "nan", "NAN": "nan", "Inf": "inf", "Infinity": "inf",
    "infty": "inf", "PINF": "inf", "round_": "round", "mat": "asmatrix", "string_": "bytes_",
    "unicode_": "str_",
}

#: Advice for keyword arguments models often invent.
_KWARG_ADVICE = {
    "width": "for a line's thickness use stroke_width=",
    "thickness": "use stroke_width=",
    "x_min": "use x_range=[x_min, x_max, step]",
    "x_max": "use x_range=[x_min, x_max, step]",
    "y_min": "use y_range=[y_min, y_max, step]",
    "y_max": "use y_range=[y_min, y_max, step]",
    "number_line_config": "use axis_config=",
    "size": "use font_size= (text) or scale the mobject",
    "fontsize": "use font_size=",
    "opacity": "use fill_opacity= / stroke_opacity=",
    "run_time": "run_time belongs to self.play(..., run_time=...) or the animation, not here",
}

#: Mobject methods whose keyword arguments are checked (receiver type is unknown, so the union of
#: every Manim definition is accepted, and an open **kwargs anywhere disables the check).
CHECKED_METHODS = (
    "next_to", "move_to", "shift", "scale", "rotate", "to_edge", "to_corner", "align_to",
    "arrange", "arrange_in_grid", "set_color", "set_fill", "set_stroke", "set_opacity",
    "match_width", "match_height", "scale_to_fit_width", "scale_to_fit_height", "surround",
    "add_updater", "become", "set_value", "increment_value", "get_axis_labels", "add_coordinates",
    "get_riemann_rectangles", "get_area", "c2p", "coords_to_point", "input_to_graph_point",
    "get_vertical_line", "get_horizontal_line", "get_graph_label", "point_from_proportion",
)

#: Scene methods that exist only on other scene classes: advice on which to subclass.
_SCENE_ONLY = {
    "set_camera_orientation": "ThreeDScene", "move_camera": "ThreeDScene",
    "begin_ambient_camera_rotation": "ThreeDScene", "stop_ambient_camera_rotation": "ThreeDScene",
    "add_fixed_in_frame_mobjects": "ThreeDScene", "add_fixed_orientation_mobjects": "ThreeDScene",
    "begin_3dillusion_camera_rotation": "ThreeDScene", "zoomed_camera": "ZoomedScene",
    "activate_zooming": "ZoomedScene", "add_vector": "VectorScene",
    "apply_matrix": "LinearTransformationScene",
}


def lint_api(tree: ast.Module, source: str, *, scene_class: str,
             fix: bool = True) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    """Lint against the installed Manim; with fix, apply the safe rewrites (repeatedly) and
    return the new source, the diagnostics still standing, and one line per rewrite."""
    return world.with_fallback(lambda: _lint_api(tree, source, scene_class=scene_class, fix=fix))


def _lint_api(tree: ast.Module, source: str, *, scene_class: str,
              fix: bool) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    rewrites: list[str] = []
    for _ in range(_MAX_PASSES):
        findings = _lint(tree, source, scene_class)
        fixable = [f for f in findings if f.diag.fixable and f.edits]
        if not fix or not fixable:
            return source, tuple(_dedupe(f.diag for f in findings)), tuple(rewrites)
        edits, taken = _non_overlapping(fixable)
        new_source = apply_edits(source, edits)
        try:
            tree = parse_python(new_source)
        except SyntaxError:  # a rewrite must never break the file: keep the original, report all
            log.warning("api lint rewrite produced invalid Python; rewrites dropped")
            return source, tuple(_dedupe(f.diag for f in findings)), tuple(rewrites)
        rewrites.extend(f.rewrite for f in taken if f.rewrite)
        source = new_source
    findings = _lint(tree, source, scene_class)
    return source, tuple(_dedupe(f.diag for f in findings)), tuple(rewrites)


def _dedupe(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[int | None, str, str]] = set()
    for d in sorted(diags, key=lambda d: (d.line or 0, d.kind, d.message)):
        if (d.line, d.kind, d.message) not in seen:
            seen.add((d.line, d.kind, d.message))
            out.append(d)
    return out


def _non_overlapping(findings: list[_Finding]) -> tuple[list[Edit], list[_Finding]]:
    """Take findings in order, skipping any whose edits overlap edits already taken."""
    edits: list[Edit] = []
    taken: list[_Finding] = []
    for f in findings:
        if any(_overlap(e, t) for e in f.edits for t in edits):
            continue
        edits.extend(f.edits)
        taken.append(f)
    return edits, taken


def _overlap(a: Edit, b: Edit) -> bool:
    a0, a1 = (a.line, a.col), (a.end_line, a.end_col)
    b0, b1 = (b.line, b.col), (b.end_line, b.end_col)
    if a0 == a1 or b0 == b1:  # an insertion clashes only when strictly inside a replacement
        point, (s, e) = (a0, (b0, b1)) if a0 == a1 else (b0, (a0, a1))
        return s < point < e
    return a0 < b1 and b0 < a1


# -- introspection -------------------------------------------------------------------------


def _manim_attribute_names() -> frozenset[str]:
    names: frozenset[str] = world.world_fact("manim_attributes")
    return names


@functools.cache
def live_manim_attribute_names() -> frozenset[str]:
    """Every attribute name defined on any class Manim exports (methods, properties, ...)."""
    names: set[str] = set()
    for value in manim_namespace().values():
        if isinstance(value, type):
            names.update(dir(value))
    return frozenset(names)


@functools.cache
def accepted_kwargs(cls: type) -> frozenset[str] | None:
    """Keyword arguments a class's constructor accepts, walking the MRO while each __init__ hands
    its **kwargs on to the next one; None when the chain never closes or the kwargs go elsewhere
    (then nothing can be said)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            return None
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        closed = collect_params(init, names)
        if closed is None:
            return None
        if closed:
            return frozenset(names)
        extra = _kwargs_only_to_super(init)
        if extra is None:
            return None
        names |= extra
    return None


@functools.cache
def _kwargs_only_to_super(func: Callable[..., object]) -> frozenset[str] | None:
    """When func's **kwargs only reach super().__init__ (or Base.__init__), the keys it reads itself
    (kwargs.pop("x"), kwargs["x"], ...); None when the kwargs go anywhere else."""
    try:
        tree = parse_python(textwrap.dedent(inspect.getsource(inspect.unwrap(func))))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    fdef = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if fdef is None or fdef.args.kwarg is None:
        return None
    name = fdef.args.kwarg.arg
    parents = {child: parent for parent in ast.walk(fdef) for child in ast.iter_child_nodes(parent)}
    keys: set[str] = set()
    for node in ast.walk(fdef):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword) and parent.arg is None:
            call = parents.get(parent)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__":
                continue
            return None
        if isinstance(parent, ast.Attribute) and parent.attr in {"pop", "get", "setdefault"}:
            call = parents.get(parent)
            if (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)):
                keys.add(call.args[0].value)
                continue
            return None
        if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Constant):
            if isinstance(parent.slice.value, str):
                keys.add(parent.slice.value)
            continue
        if isinstance(parent, ast.Compare):
            continue
        return None
    return frozenset(keys)


def collect_params(func: object, into: set[str]) -> bool | None:
    """Add func's keyword-capable parameters; True when it has no **kwargs (the chain ends)."""
    try:
        sig = inspect.signature(func)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    open_kwargs = False
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            open_kwargs = True
        elif p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY) \
                and p.name != "self":
            into.add(p.name)
    return not open_kwargs


def _method_kwargs(method: str) -> frozenset[str] | None:
    found: frozenset[str] | None = world.world_fact("method_kwargs")[method]
    return found


@functools.cache
def live_method_kwargs(method: str) -> frozenset[str] | None:
    """Union of keyword arguments over every Manim definition of a method; None if any is open."""
    names: set[str] = set()
    found = False
    for value in manim_namespace().values():
        if not isinstance(value, type):
            continue
        for klass in value.__mro__:
            func = klass.__dict__.get(method)
            if func is None:
                continue
            found = True
            if isinstance(func, staticmethod | classmethod):
                func = func.__func__
            if not callable(func):
                return None
            if not collect_params(func, names):
                return None
    return frozenset(names) if found else None


@functools.cache
def required_args(cls: type) -> tuple[tuple[str, int], ...] | None:
    """What a call of the class must be given: (parameter, its position or -1 for keyword-only).

    A Transform that keeps Transform's own create_target needs its `target_mobject` too, though
    the parameter defaults to None: without one it fails when played. None: cannot be known.
    """
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    needed = [(p.name, positional.index(p) if p in positional else -1) for p in params
              if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    transform = manim_namespace().get("Transform")
    if (isinstance(transform, type) and issubclass(cls, transform)
            and getattr(cls, "create_target", None) is getattr(transform, "create_target", None)):
        target = next((p for p in positional if p.name == "target_mobject" and p.default is None), None)
        if target is not None:
            needed.append((target.name, positional.index(target)))
    return tuple(needed)


@functools.cache
def instance_attributes(cls: type) -> frozenset[str]:
    """Names assigned as `self.X = ...` anywhere in the classes of cls's MRO (read from source)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is not object:
            names |= _self_stores(klass)
    return frozenset(names)


@functools.cache
def _self_stores(klass: type) -> frozenset[str]:
    """The `self.X = ...` names in one class's source (its file is parsed once for all its classes)."""
    try:
        path = inspect.getsourcefile(klass)
    except TypeError:
        return frozenset()
    if path is None:
        return frozenset()
    return _classes_in_file(path).get(klass.__qualname__, frozenset())


@functools.cache
def _classes_in_file(path: str) -> dict[str, frozenset[str]]:
    """qualname -> `self.X` stores, for every class of a source file (the first of a repeated name)."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, frozenset[str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                qualname = prefix + child.name
                found.setdefault(qualname, frozenset(
                    n.attr for n in ast.walk(child)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == "self" and isinstance(n.ctx, ast.Store)))
                visit(child, qualname + ".")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, prefix + child.name + ".<locals>.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _star_imported_names(tree: ast.Module) -> frozenset[str]:
    """The names bound by `from <module> import *` for modules other than manim (math, ...)."""
    names: set[str] = set()
    for node in tree.body:
        if (isinstance(node, ast.ImportFrom) and not node.level and node.module and node.module != "manim"
                and not node.module.startswith("manim.") and any(a.name == "*" for a in node.names)):
            module = _module_for_alias(node.module)
            if module is not None:
                names.update(world.star_names(module))
    return frozenset(names)


def _module_for_alias(name: str) -> object | None:
    # the safety step's loader: reviewed modules (mathreel_style) come from the package
    return scene_module(name)


# -- the lint ---------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, tree: ast.Module, source: str, scene_class: str) -> None:
        self.tree = tree
        self.source = source
        self.scene_class = scene_class
        # names a `from <module> import *` of an allowed module (not manim) binds are defined too
        self.bound = bound_names(tree) | _star_imported_names(tree)
        # Manim's names imported from their submodules (`from manim.mobject... import Arrow`),
        # unless the scene binds the name some other way too
        manims = manim_imports(tree)
        self.from_submodules = frozenset(a.name for a in manims) - bound_names(tree, skip=manims)
        self.ns: Mapping[str, object] = world.current().namespace
        self.star = has_star_import(tree)
        self.imported_manim = {a.asname or "manim" for n in ast.walk(tree) if isinstance(n, ast.Import)
                               for a in n.names if a.name == "manim"}
        self.module_aliases: dict[str, object] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name != "manim":
                        mod = _module_for_alias(a.name)
                        if mod is not None:
                            if a.asname:
                                self.module_aliases[a.asname] = mod
                            else:
                                root = _module_for_alias(a.name.split(".")[0])
                                if root is not None:
                                    self.module_aliases[a.name.split(".")[0]] = root
        self.future_annotations = any(
            isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
            for n in tree.body)
        self.user_defs = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.self_attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                           and isinstance(n.ctx, ast.Store | ast.Del)}
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    old_methods = frozenset(_OLD_METHODS)

    @staticmethod
    def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
        return _did_you_mean(name, candidates)

    @property
    def version(self) -> str:
        return _manim_version()

    def manim_available(self, name: str) -> bool:
        return (self.star or self.missing_star) and name in self.ns

    missing_star = False

    def finding(self, kind: str, message: str, line: int | None, *, edits: tuple[Edit, ...] = (),
                rewrite: str = "", snippet: str | None = None, fixable: bool | None = None) -> _Finding:
        fixable = bool(edits) if fixable is None else fixable
        diag = make("api", kind, message, self.source, line, fixable=fixable, snippet=snippet)
        return _Finding(diag, edits, rewrite)


def _lint(tree: ast.Module, source: str, scene_class: str) -> list[_Finding]:
    ctx = _Ctx(tree, source, scene_class)
    findings: list[_Finding] = []
    findings += _check_missing_import(ctx)
    findings += _check_names(ctx)
    findings += _check_imports_from_manim(ctx)
    findings += _check_module_attributes(ctx)
    findings += _check_old_methods(ctx)
    findings += _check_kwargs(ctx)
    findings += _check_scene_self(ctx)
    findings += objects.check_objects(ctx)
    return findings


def _check_missing_import(ctx: _Ctx) -> list[_Finding]:
    if ctx.star:
        return []
    used = {n.id for n in ast.walk(ctx.tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    missing = sorted(n for n in used if n in ctx.ns and n not in ctx.bound and not hasattr(builtins, n))
    if not missing:
        return []
    ctx.missing_star = True
    line = _import_insertion_point(ctx.tree)
    edit = Edit(line, 0, line, 0, "from manim import *\n")
    shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
    return [ctx.finding("missing-import", f"{shown} used without importing Manim: add `from manim import *` "
                        "at the top", line, edits=(edit,), rewrite=f"line {line}: added `from manim import *`",
                        snippet="")]


def _import_insertion_point(tree: ast.Module) -> int:
    line = 1
    for i, node in enumerate(tree.body):
        is_doc = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if is_doc or is_future:
            line = (node.end_lineno or node.lineno) + 1
        else:
            break
    return line


def _annotation_nodes(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        anns: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            anns.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            anns.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for ann in anns:
            if ann is not None:
                ids.update(id(n) for n in ast.walk(ann))
    return ids


def _check_names(ctx: _Ctx) -> list[_Finding]:
    out: list[_Finding] = []
    skip = _annotation_nodes(ctx.tree) if ctx.future_annotations else set()
    for node in ast.walk(ctx.tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)) or id(node) in skip:
            continue
        name = node.id
        if name in ctx.bound or hasattr(builtins, name) or ctx.manim_available(name):
            continue
        if name in ctx.imported_manim or name in ctx.module_aliases:
            continue
        out.append(_old_or_unknown(ctx, node, name))
    return out


def _old_or_unknown(ctx: _Ctx, node: ast.Name | ast.alias, name: str) -> _Finding:
    old = _OLD_NAMES.get(name)
    line = getattr(node, "lineno", None)
    if old is not None and (old.new is None or _exists(ctx, old.new)):
        edits: tuple[Edit, ...] | None = None
        if old.new is not None and isinstance(node, ast.Name):
            parent = ctx.parents.get(node)
            if old.call_fix is not None:
                if isinstance(parent, ast.Call) and parent.func is node:
                    edits = old.call_fix(parent, old.new)
            else:
                edits = (Edit.replace(node, old.new),)
        elif old.new is not None and isinstance(node, ast.alias) and old.call_fix is None:
            edits = (Edit(node.lineno, node.col_offset, node.lineno, node.col_offset + len(name.encode()),
                          old.new),)
        return ctx.finding("old-api", _versioned(old.advice), line, edits=edits or (),
                           rewrite=f"line {line}: {name} -> {old.new}" if edits else "")
    hint = _did_you_mean(name, [*ctx.ns, *ctx.bound, *dir(builtins)])
    advice = f"; did you mean {hint}?" if hint else ""
    return ctx.finding("unknown-name", f"{name} is not defined (not in Manim {_manim_version()} or this file){advice}",
                       line)


def _versioned(advice: str) -> str:
    """Advice text naming the installed Manim's minor version instead of 0.22."""
    short = ".".join(_manim_version().split(".")[:2])
    return advice.replace("Manim 0.22", f"Manim {short}")


def _exists(ctx: _Ctx, dotted: str) -> bool:
    head = dotted.split(".")[0]
    return head in ctx.ns


def _did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    pool = sorted({c for c in candidates if not c.startswith("_")})
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.75)
    if not match:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            return lowered[name.lower()]
        return None
    return match[0]


def _manim_version() -> str:
    version: str = world.world_fact("version")
    return version


def _check_imports_from_manim(ctx: _Ctx) -> list[_Finding]:
    out: list[_Finding] = []
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.ImportFrom) and node.module == "manim" and not node.level:
            for alias in node.names:
                if alias.name != "*" and alias.name not in ctx.ns:
                    out.append(_old_or_unknown(ctx, alias, alias.name))
    return out


def _check_module_attributes(ctx: _Ctx) -> list[_Finding]:
    """np.X, math.X, manim.X ...: the attribute must exist on the real module."""
    out: list[_Finding] = []
    for node in ast.walk(ctx.tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and isinstance(node.ctx, ast.Load)):
            continue
        base = node.value.id
        module: object | None = None
        if base in ctx.module_aliases:
            module = ctx.module_aliases[base]
        elif base in ctx.imported_manim:
            module = world.current().import_module("manim")
        elif base not in ctx.bound and ctx.manim_available(base) and world.is_module(ctx.ns[base]):
            module = ctx.ns[base]
        if module is None or node.attr.startswith("__") or world.has_attr(module, node.attr):
            continue
        modname = world.name_of(module, base)
        if modname == "numpy" and node.attr in _NUMPY_RENAMES and world.has_attr(module, _NUMPY_RENAMES[node.attr]):
            new = _NUMPY_RENAMES[node.attr]
            edit = Edit(node.end_lineno or node.lineno, (node.end_col_offset or 0) - len(node.attr.encode()),
                        node.end_lineno or node.lineno, node.end_col_offset or 0, new)
            out.append(ctx.finding("old-api", f"{base}.{node.attr} was removed in NumPy 2: use {base}.{new}",
                                   node.lineno, edits=(edit,),
                                   rewrite=f"line {node.lineno}: {base}.{node.attr} -> {base}.{new}"))
            continue
        if modname == "manim" and node.attr in _OLD_NAMES:
            old = _OLD_NAMES[node.attr]
            out.append(ctx.finding("old-api", _versioned(old.advice), node.lineno))
            continue
        hint = _did_you_mean(node.attr, world.attr_names(module))
        advice = f"; did you mean {base}.{hint}?" if hint else ""
        out.append(ctx.finding("unknown-name", f"{base}.{node.attr} does not exist ({modname}){advice}",
                               node.lineno))
    return out


def _check_old_methods(ctx: _Ctx) -> list[_Finding]:
    out: list[_Finding] = []
    attrs = _manim_attribute_names()
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.Attribute) or node.attr not in _OLD_METHODS:
            continue
        if node.attr in attrs or node.attr in ctx.user_defs or node.attr in ctx.self_attrs:
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ctx.module_aliases:
            continue
        old = _OLD_METHODS[node.attr]
        edits: tuple[Edit, ...] = ()
        if old.new:
            line = node.end_lineno or node.lineno
            end = node.end_col_offset or 0
            edits = (Edit(line, end - len(node.attr.encode()), line, end, old.new),)
        out.append(ctx.finding("old-api", f".{node.attr} does not exist in Manim {_manim_version()}: {old.advice}",
                               node.lineno, edits=edits,
                               rewrite=f"line {node.lineno}: .{node.attr} -> .{old.new}" if edits else ""))
    return out


def _check_kwargs(ctx: _Ctx) -> list[_Finding]:
    out: list[_Finding] = []
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.Call) or not node.keywords:
            continue
        func = node.func
        accepted: frozenset[str] | None = None
        what = ""
        cls = objects.manim_class(ctx, func)
        if cls is not None:
            accepted = world.class_fact(cls, "accepted_kwargs")
            what = f"{ast.unparse(func)}()"
        elif (isinstance(func, ast.Attribute) and func.attr in CHECKED_METHODS
              and func.attr not in ctx.user_defs
              and not (isinstance(func.value, ast.Name) and (func.value.id in ctx.module_aliases
                                                             or func.value.id == "self"))):
            accepted = _method_kwargs(func.attr)
            what = f".{func.attr}()"
        if accepted is None:
            continue
        for kw in node.keywords:
            if kw.arg is None or kw.arg in accepted:
                continue
            out.append(_bad_kwarg(ctx, kw, what, accepted))
    return out


def _bad_kwarg(ctx: _Ctx, kw: ast.keyword, what: str, accepted: Iterable[str]) -> _Finding:
    hint = _did_you_mean(kw.arg or "", accepted)
    advice = _KWARG_ADVICE.get(kw.arg or "")
    tail = f": {advice}" if advice else (f"; did you mean {hint}=?" if hint else "")
    return ctx.finding("bad-kwarg", f"{what} has no keyword argument `{kw.arg}` in Manim {_manim_version()} "
                       f"(it would raise TypeError){tail}", kw.lineno)


def _check_scene_self(ctx: _Ctx) -> list[_Finding]:
    """self.camera.frame outside MovingCameraScene, ManimGL's self.frame, unknown self.method()."""
    classes = {c.name: c for c in ctx.tree.body if isinstance(c, ast.ClassDef)}
    scene = classes.get(ctx.scene_class)
    scene_type, mcs = ctx.ns.get("Scene"), ctx.ns.get("MovingCameraScene")
    if scene is None or not world.is_class(scene_type) or not world.is_class(mcs):
        return []
    family = _user_family(scene, classes)
    base_names = scene_base_names(ctx.tree, ctx.scene_class)
    bases = [v for v in (ctx.ns.get(b) for b in base_names) if world.is_class(v)]
    if not bases or not world.is_subclass(bases[0], scene_type):
        return []
    base = bases[0]
    base_name = world.name_of(base)
    base_node = next((b for c in family for b in c.bases if isinstance(b, ast.Name) and b.id == base_name), None)
    rebase = (Edit.replace(base_node, "MovingCameraScene"),) if base is scene_type and base_node else ()
    rebase_note = f"line {base_node.lineno}: class base Scene -> MovingCameraScene" if base_node else ""
    members: set[str] = set()
    for c in family:
        for item in c.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                members.add(item.name)
            elif isinstance(item, ast.Assign):
                members.update(t.id for t in item.targets if isinstance(t, ast.Name))
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                members.add(item.target.id)
    known = world.class_fact(base, "instance_attributes")
    out: list[_Finding] = []
    rebase_used = False
    for node in (n for c in family for n in ast.walk(c)):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self" and isinstance(node.ctx, ast.Load)):
            continue
        attr, parent = node.attr, ctx.parents.get(node)
        if (attr == "camera" and isinstance(parent, ast.Attribute) and parent.attr == "frame"
                and not world.is_subclass(base, mcs)):
            advice = ("" if rebase else " (a ThreeDScene moves its camera with self.set_camera_orientation / "
                      "self.move_camera)")
            out.append(ctx.finding(
                "camera-frame", f"self.camera.frame exists only in MovingCameraScene: subclass MovingCameraScene "
                f"instead of {base_name}{advice}", node.lineno,
                edits=rebase if not rebase_used else (), fixable=bool(rebase),
                rewrite=rebase_note if not rebase_used else ""))
            rebase_used = rebase_used or bool(rebase)
            continue
        if attr in members or attr in ctx.self_attrs or attr in known or world.has_attr(base, attr):
            if isinstance(parent, ast.Call) and parent.func is node and attr not in members:
                out += _check_self_kwargs(ctx, parent, base, attr)
            continue
        if attr == "frame":
            edits: tuple[Edit, ...] = ()
            if rebase or world.is_subclass(base, mcs):
                edits = (Edit.replace(node, "self.camera.frame"),)
                if rebase and not rebase_used:
                    edits += rebase
                    rebase_used = True
            out.append(ctx.finding("old-api", "self.frame is ManimGL: in Manim CE use self.camera.frame in a "
                                   "MovingCameraScene", node.lineno, edits=edits, fixable=bool(edits),
                                   rewrite=f"line {node.lineno}: self.frame -> self.camera.frame" if edits else ""))
            continue
        where = _SCENE_ONLY.get(attr)
        hint = _did_you_mean(attr, [a for a in world.attr_names(base) if not a.startswith("_")])
        advice = (f": it belongs to {where}; subclass {where}" if where
                  else f"; did you mean self.{hint}?" if hint else "")
        out.append(ctx.finding("unknown-attribute",
                               f"self.{attr} does not exist on {base_name} in Manim {_manim_version()}{advice}",
                               node.lineno))
    return out


def _user_family(cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """The class and its base classes defined in the same file."""
    out: list[ast.ClassDef] = []
    todo = [cls]
    while todo:
        c = todo.pop()
        if c in out:
            continue
        out.append(c)
        todo += [classes[b.id] for b in c.bases if isinstance(b, ast.Name) and b.id in classes]
    return out


def _check_self_kwargs(ctx: _Ctx, call: ast.Call, base: object, attr: str) -> list[_Finding]:
    if not call.keywords:
        return []
    names = world.class_fact(base, "params", attr)  # False: no such method; None: cannot be known
    if not isinstance(names, frozenset):
        return []
    return [_bad_kwarg(ctx, kw, f"self.{attr}()", names) for kw in call.keywords
            if kw.arg is not None and kw.arg not in names]
