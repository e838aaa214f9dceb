"""Part of step 4 (the API lint): what a scene does with the Manim objects it builds.

Three mistakes that plain Manim reports only when the scene runs, found here from the source:

- a method the object's class does not have: `c = Circle()` ... `c.get_nonexistent()` (or
  `c.animate.get_nonexistent()`);
- an argument a call leaves out: `Transform(c)` (no target), `GrowFromPoint(dot)` (no point);
- a part past the end of a formula: `eq = MathTex("a", "+", "b")` ... `eq[5]`.

Each rule speaks only where the source leaves no doubt: a local name bound once, by a call of
a Manim class, and (for formula parts) used in no way that could change the parts. Anything
else is left to the preflight run, which sees the real objects.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from builder.checks import world
from builder.checks.diagnostics import names_bound_by

if TYPE_CHECKING:
    from builder.checks.api_lint import _Ctx, _Finding

#: Methods that change which submobjects (parts) a mobject has, or may.
_RESHAPING = frozenset({
    "add", "add_to_back", "insert", "remove", "become", "submobjects", "set_submobjects", "align_data",
    "align_submobjects", "null_point_align", "add_n_more_submobjects", "push_self_into_submobjects",
    "add_updater", "interpolate", "restore", "match_points", "target", "generate_target",
    "set_submobject_colors_by_gradient", "split", "remove_submobjects", "__init__",
})

#: Scene methods that take a formula without changing its parts.
_SCENE_TAKES = frozenset({"add", "remove", "play", "bring_to_front", "bring_to_back", "add_foreground_mobject",
                          "add_foreground_mobjects", "add_fixed_in_frame_mobjects",
                          "add_fixed_orientation_mobjects"})


def check_objects(ctx: _Ctx) -> list[_Finding]:
    """Every finding of this module, for the lint's list."""
    if "opengl" in ctx.source.lower() or "setattr" in ctx.source or "__dict__" in ctx.source:
        # OpenGL classes have other methods, and attributes set by name are invisible here
        return []
    bindings = _constructed_locals(ctx)
    return _check_methods(ctx, bindings) + _check_required_args(ctx) + _check_formula_parts(ctx, bindings)


def manim_class(ctx: _Ctx, node: ast.expr) -> object | None:
    """The Manim class a callee names: `Circle`, or `Arrow` imported from its submodule."""
    if isinstance(node, ast.Name) and ((node.id not in ctx.bound and ctx.manim_available(node.id))
                                       or (node.id in ctx.from_submodules and node.id in ctx.ns)):
        value = ctx.ns[node.id]
        if world.is_class(value):
            return value
    return None


# -- local names bound once to a Manim object ---------------------------------------------------


class _Bound:
    """A local name bound once, by `name = ManimClass(...)`, and the loads that read it."""

    def __init__(self, name: str, call: ast.Call, cls: object) -> None:
        self.name, self.call, self.cls = name, call, cls
        self.loads: list[ast.Name] = []


def _constructed_locals(ctx: _Ctx) -> list[_Bound]:
    """For each function of the scene, its local names bound exactly once (in the function and all
    it holds: nested functions, lambdas, comprehensions) by a call of a Manim class."""
    found: list[_Bound] = []
    for func in ast.walk(ctx.tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        binds: dict[str, list[ast.AST]] = {}
        for node in _below(func):
            for name in names_bound_by(node):
                binds.setdefault(name, []).append(node)
        own = {n.id: n for n in _own_body_stores(func)}
        here: dict[str, _Bound] = {}
        for name, nodes in binds.items():
            store = own.get(name)
            if len(nodes) != 1 or store is None or nodes[0] is not store:
                continue
            assign = ctx.parents.get(store)
            value = (assign.value if isinstance(assign, ast.Assign) and assign.targets == [store]
                     else assign.value if isinstance(assign, ast.AnnAssign) and assign.target is store else None)
            if isinstance(value, ast.Call):
                cls = manim_class(ctx, value.func)
                if cls is not None:
                    here[name] = _Bound(name, value, cls)
        for node in _below(func):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in here:
                here[node.id].loads.append(node)
        found += here.values()
    return found


def _below(func: ast.AST) -> Iterator[ast.AST]:
    """Every node inside a function (its parameters included), not the function's own name."""
    for child in ast.iter_child_nodes(func):
        yield from ast.walk(child)


def _own_body_stores(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Name]:
    """Name stores of the function's own scope (not inside a nested def, lambda, class or comprehension)."""
    todo: list[ast.AST] = list(func.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
                      | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node
        todo.extend(ast.iter_child_nodes(node))


# -- methods the class does not have --------------------------------------------------------------


def _check_methods(ctx: _Ctx, bindings: list[_Bound]) -> list[_Finding]:
    """`c.method(...)` or `c.animate.method(...)` where c is a Manim mobject and no `method`
    exists on its class.

    Known: the class's attributes (its dir), every `self.X = ...` in the source of its classes,
    any attribute the scene stores itself (`c.X = ...`) or sets with `c.set(X=...)` or
    `c.set_X(...)`; `set_X` always (Mobject.__getattr__ makes it a setter) and `get_X` when X is
    known.
    """
    mobject = ctx.ns.get("Mobject")
    if not world.is_class(mobject):
        return []
    set_keys: set[str] = set()  # attributes `.set(X=...)` or `.set_X(...)` may create
    for n in ast.walk(ctx.tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            if n.func.attr == "set":
                set_keys.update(kw.arg for kw in n.keywords if kw.arg)
            elif n.func.attr.startswith("set_"):
                set_keys.add(n.func.attr[4:])
    receivers: list[tuple[ast.Attribute, object, str]] = []
    for bound in bindings:
        for load in bound.loads:
            parent = ctx.parents.get(load)
            if isinstance(parent, ast.Attribute) and parent.attr == "animate":
                # c.animate.method(...) and c.animate(run_time=2).method(...) call c's method
                after = ctx.parents.get(parent)
                if isinstance(after, ast.Call) and after.func is parent:
                    after = ctx.parents.get(after)
                if isinstance(after, ast.Attribute):
                    receivers.append((after, bound.cls, f"{bound.name}.animate"))
            elif isinstance(parent, ast.Attribute):
                receivers.append((parent, bound.cls, bound.name))
    for node in ast.walk(ctx.tree):  # Circle().method(...)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            cls = manim_class(ctx, node.value.func)
            if cls is not None:
                receivers.append((node, cls, f"{world.name_of(cls)}(...)"))
    out: list[_Finding] = []
    for attr_node, cls, shown in receivers:
        call = ctx.parents.get(attr_node)
        attr = attr_node.attr
        if not (isinstance(call, ast.Call) and call.func is attr_node) or not world.is_subclass(cls, mobject):
            continue
        if attr.startswith("__") or attr in ctx.old_methods:
            continue
        known = world.attr_names(cls) | world.class_fact(cls, "instance_attributes") | ctx.self_attrs | set_keys
        if attr in known or attr.startswith("set_") or (attr.startswith("get_") and attr[4:] in known):
            continue
        cname = world.name_of(cls)
        hint = ctx.did_you_mean(attr, [a for a in world.attr_names(cls) if not a.startswith("_")])
        advice = f"; did you mean .{hint}()?" if hint else ""
        out.append(ctx.finding(
            "unknown-attribute", f"{shown}.{attr}() does not exist: {cname} has no method `{attr}` in Manim "
            f"{ctx.version} (it would raise AttributeError){advice}", attr_node.lineno))
    return out


# -- arguments a call leaves out ------------------------------------------------------------------


def _check_required_args(ctx: _Ctx) -> list[_Finding]:
    """`GrowFromPoint(dot)`: a Manim animation or mobject called without an argument it needs."""
    kinds = [c for c in (ctx.ns.get("Mobject"), ctx.ns.get("Animation")) if world.is_class(c)]
    out: list[_Finding] = []
    for call in ast.walk(ctx.tree):
        if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
                or any(kw.arg is None for kw in call.keywords):
            continue
        cls = manim_class(ctx, call.func)
        if cls is None or not any(world.is_subclass(cls, k) for k in kinds):
            continue
        needed = world.class_fact(cls, "required_args")
        if not needed:
            continue
        given = {kw.arg for kw in call.keywords}
        missing = [name for name, position in needed
                   if name not in given and not (0 <= position < len(call.args))]
        if not missing:
            continue
        cname = world.name_of(cls)
        if missing == ["target_mobject"]:
            message = (f"{cname}() has no target: give it the mobject to become, "
                       f"{cname}(mobject, target_mobject) (without one it fails when played)")
        else:
            names = ", ".join(f"`{m}`" for m in missing)
            message = (f"{cname}() is missing the argument{'s' * (len(missing) > 1)} {names} "
                       f"(it would raise TypeError)")
        out.append(ctx.finding("missing-argument", message, call.lineno))
    return out


# -- formula parts past the end -------------------------------------------------------------------


def _check_formula_parts(ctx: _Ctx, bindings: list[_Bound]) -> list[_Finding]:
    """`eq[5]` of `eq = MathTex("a", "+", "b")`: each non-empty string is one part, so 3 parts.

    Only for a formula built from plain strings (no `{{ }}` groups, no substrings to isolate) and
    used in no way that could change its parts (a Transform, an updater, `.become`, `.add`, a
    function of the scene's own, ...).
    """
    formulas = [c for c in (ctx.ns.get("MathTex"), ctx.ns.get("Tex")) if world.is_class(c)]
    out: list[_Finding] = []
    for bound in bindings:
        if not any(bound.cls is f for f in formulas):
            continue
        parts = _literal_parts(bound.call)
        if parts is None or not all(_keeps_parts(ctx, load) for load in bound.loads):
            continue
        for load in bound.loads:
            sub = ctx.parents.get(load)
            if not (isinstance(sub, ast.Subscript) and sub.value is load):
                continue
            index = _int_literal(sub.slice)
            if index is None or -len(parts) <= index < len(parts):
                continue
            cname = world.name_of(bound.cls)
            have = (f"{len(parts)} part{'s' * (len(parts) != 1)}, {bound.name}[0] to {bound.name}[{len(parts) - 1}]"
                    if parts else "no parts")
            out.append(ctx.finding(
                "no-such-part", f"{bound.name}[{index}] does not exist: the {cname} of line {bound.call.lineno} "
                f"has {have}, one per string argument (it would raise IndexError); "
                f"{bound.name}[i][j] is the j-th symbol of part i", sub.lineno))
    return out


def _literal_parts(call: ast.Call) -> list[str] | None:
    """The parts a MathTex/Tex call makes, when its arguments say so plainly."""
    if any(kw.arg in {None, "substrings_to_isolate", "tex_to_color_map"} for kw in call.keywords):
        return None
    strings: list[str] = []
    for arg in call.args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        if "{{" in arg.value or "}}" in arg.value:
            return None
        strings.append(arg.value)
    return [s for s in strings if s]  # Manim drops empty strings


def _keeps_parts(ctx: _Ctx, load: ast.Name) -> bool:
    """Whether this use of the formula leaves its parts as they are.

    `eq[i]` always does (what happens to a part does not change how many there are). A chain of
    methods (`eq.scale(2).next_to(x)`, `eq.animate.shift(UP)`) does when none of them reshapes,
    and its value (often `eq` itself) is dropped or given to a scene method or an animation that
    is no Transform. Held anywhere else (a VGroup, a list, another name), a later Transform of
    the holder could change the parts, so the rule stays silent.
    """
    node: ast.AST = load
    parent = ctx.parents.get(node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return True
    while True:
        if isinstance(parent, ast.Attribute):
            if parent.attr in _RESHAPING:
                return False
        elif not (isinstance(parent, ast.Call) and parent.func is node):
            break
        node, parent = parent, ctx.parents.get(parent)
    if isinstance(parent, ast.Expr):
        return True
    return isinstance(parent, ast.Call) and node in parent.args and _takes_as_is(ctx, parent.func)


def _takes_as_is(ctx: _Ctx, func: ast.expr) -> bool:
    """A scene method or a Manim animation that leaves a mobject's parts as they are."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return func.attr in _SCENE_TAKES
    cls = manim_class(ctx, func)
    animation, transform = ctx.ns.get("Animation"), ctx.ns.get("Transform")
    return (cls is not None and world.is_class(animation) and world.is_class(transform)
            and world.is_subclass(cls, animation) and not world.is_subclass(cls, transform)
            and "Transform" not in world.name_of(cls))


def _int_literal(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int):
        return -node.operand.value
    return None
