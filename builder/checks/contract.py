"""Step 3: the scene contract: exactly one expected Scene subclass, with `construct(self)`."""

from __future__ import annotations

import ast
import logging

from builder.checks.diagnostics import Diagnostic, Edit, apply_edits, make, manim_namespace

log = logging.getLogger(__name__)

#: Manim's scene classes a generated scene may subclass (any subclass of Scene in the API counts).
SCENE_BASES = ("Scene", "ThreeDScene", "MovingCameraScene", "ZoomedScene", "VectorScene",
               "LinearTransformationScene")


def check_contract(tree: ast.Module, source: str, *, scene_class: str,
                   fix: bool = True) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    """Check the scene class; with fix, rename a single differently named scene to scene_class."""
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    all_defs = [c for c in tree.body if isinstance(c, ast.ClassDef)]
    scenes = [c for c in all_defs if _is_scene(c, classes, set())]
    diags: list[Diagnostic] = []

    if not scenes:
        same_name = classes.get(scene_class)
        line = same_name.lineno if same_name else None
        what = (f"class {scene_class} does not subclass Scene" if same_name
                else f"no class subclasses Scene (expected `class {scene_class}(Scene)`)")
        diags.append(make("contract", "no-scene-class",
                          f"{what}: write `class {scene_class}(Scene):` with a `construct(self)` method "
                          f"(or {', '.join(SCENE_BASES[1:])})", source, line))
        return source, tuple(diags), ()

    bases_of = _user_ancestors(classes)
    concrete = [c for c in scenes if not any(c.name in bases_of.get(o.name, set()) for o in scenes)]
    named = [c for c in all_defs if c.name == scene_class]

    if len(named) > 1:
        diags.append(make("contract", "duplicate-scene-class",
                          f"class {scene_class} is defined {len(named)} times: keep one", source,
                          named[1].lineno))
        return source, tuple(diags), ()

    if not named and len(concrete) == 1:
        old = concrete[0]
        diag = make("contract", "wrong-scene-name",
                    f"the scene class is called {old.name}, expected {scene_class}: rename it",
                    source, old.lineno, fixable=True)
        if not fix:
            return source, (diag,), ()
        source = _rename_class(tree, source, old.name, scene_class)
        rewrite = f"line {old.lineno}: class {old.name} -> class {scene_class}"
        source, more, _ = check_contract(ast.parse(source), source, scene_class=scene_class, fix=False)
        return source, more, (rewrite,)
    if not named:
        names = ", ".join(c.name for c in concrete)
        diags.append(make("contract", "wrong-scene-name",
                          f"no scene class named {scene_class} (found {names}): keep one scene, "
                          f"named {scene_class}", source, concrete[0].lineno))
        return source, tuple(diags), ()
    scene = named[0]
    if not _is_scene(scene, classes, set()):
        diags.append(make("contract", "no-scene-class",
                          f"class {scene_class} does not subclass Scene: write "
                          f"`class {scene_class}(Scene):`", source, scene.lineno))
        return source, tuple(diags), ()

    ancestors = bases_of.get(scene.name, set())
    for other in concrete:
        if other.name != scene.name and other.name not in ancestors:
            diags.append(make("contract", "extra-scene",
                              f"class {other.name} is a second Scene subclass: one file holds one scene "
                              f"({scene_class}); merge it into {scene_class} or make it a helper that "
                              "does not subclass Scene", source, other.lineno))

    construct = _find_construct(scene, classes)
    if construct is None:
        diags.append(make("contract", "no-construct",
                          f"class {scene_class} has no `construct(self)` method: put the animation in "
                          "`def construct(self):`", source, scene.lineno))
    elif isinstance(construct, ast.AsyncFunctionDef) or not _self_only(construct.args):
        diags.append(make("contract", "bad-construct",
                          "construct must be `def construct(self):` (no other parameters, not async)",
                          source, construct.lineno))
    return source, tuple(diags), ()


def scene_base_names(tree: ast.Module, scene_class: str) -> list[str]:
    """Names of the manim base classes the scene class derives from (through helper bases)."""
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    out: list[str] = []
    seen: set[str] = set()

    def walk(name: str) -> None:
        if name in seen or name not in classes:
            return
        seen.add(name)
        for base in classes[name].bases:
            bname = _base_name(base)
            if bname in classes:
                walk(bname)
            elif bname:
                out.append(bname)

    walk(scene_class)
    return out


def _base_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute):
        return base.attr
    return None


def _is_scene(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]) -> bool:
    """A Scene subclass through manim's classes, user helper bases, or an old *Scene name."""
    if cls.name in seen:
        return False
    seen = seen | {cls.name}
    ns = manim_namespace()
    for base in cls.bases:
        name = _base_name(base)
        if name is None:
            continue
        if name in classes and classes[name] is not cls:
            if _is_scene(classes[name], classes, seen):
                return True
            continue
        value = ns.get(name)
        scene_type = ns.get("Scene")
        if isinstance(value, type) and isinstance(scene_type, type) and issubclass(value, scene_type):
            return True
        if value is None and name.endswith("Scene"):
            return True  # GraphScene and friends: a scene, reported by the API lint
    return False


def _user_ancestors(classes: dict[str, ast.ClassDef]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}

    def ancestors(name: str, seen: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for base in classes[name].bases:
            b = _base_name(base)
            if b in classes and b not in seen:
                found |= {b} | ancestors(b, seen | {b})
        return found

    for name in classes:
        out[name] = ancestors(name, frozenset({name}))
    return out


def _find_construct(cls: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "construct":
            return item
    for base in cls.bases:
        name = _base_name(base)
        if name in classes and classes[name] is not cls:
            found = _find_construct(classes[name], classes)
            if found is not None:
                return found
    return None


def _self_only(args: ast.arguments) -> bool:
    positional = [*args.posonlyargs, *args.args]
    required_kw = [a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    extra = positional[1:]
    extra_required = len(extra) - len(args.defaults)
    return len(positional) >= 1 and extra_required <= 0 and not required_kw


def _rename_class(tree: ast.Module, source: str, old: str, new: str) -> str:
    """Rename the class definition and every load of its name."""
    edits: list[Edit] = []
    lines = source.splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == old:
            line = lines[node.lineno - 1].encode("utf-8")
            col = line.find(old.encode("utf-8"), node.col_offset + len(b"class"))
            if col >= 0:
                edits.append(Edit(node.lineno, col, node.lineno, col + len(old.encode("utf-8")), new))
        elif isinstance(node, ast.Name) and node.id == old:
            edits.append(Edit.replace(node, new))
    return apply_edits(source, edits)
