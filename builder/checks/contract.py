"""Step 3: the scene contract: Scene subclasses with `construct(self)`; several are one concept's chapters."""

from __future__ import annotations

import ast
import functools
import logging
import re
from dataclasses import dataclass

from builder.checks import world
from builder.checks.diagnostics import (
    Diagnostic,
    Edit,
    apply_edits,
    call_name,
    make,
)
from builder.pyast import parse_python

log = logging.getLogger(__name__)

#: Manim's scene classes a generated scene may subclass (any subclass of Scene in the API counts).
SCENE_BASES = ("Scene", "ThreeDScene", "MovingCameraScene", "ZoomedScene", "VectorScene",
               "LinearTransformationScene")

#: Calls whose first string literal in construct is taken as a chapter's on-screen title.
_TITLE_CALLS = frozenset({"Text", "MarkupText", "Tex", "Title"})

#: Words a chapter's class name starts with that carry only its position (`Scene3_...`, `Part2...`).
_ORDINAL_WORDS = frozenset({"Scene", "Part", "Chapter", "Act", "Step", "Section"})

# Words of a class name: "3D" as one word, acronym runs ("QED" in "QEDLagrangian"), capitalised
# and lower-case words, numbers.
_WORD = re.compile(r"\d+D(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@dataclass(frozen=True)
class SceneInfo:
    """One concrete Scene subclass of a scene file: a chapter of the concept, in file order."""

    name: str
    line: int
    base: str
    docstring: str | None
    title_text: str | None
    title: str


def check_contract(tree: ast.Module, source: str, *, scene_class: str,
                   fix: bool = True) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    """Check the scene classes; with fix, rename a single differently named scene to scene_class.

    Several concrete scenes in one file are accepted as chapters (see `scene_classes`); each
    diagnostic about one of them then names it.
    """
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

    concrete = _concrete(scenes, classes)
    named = [c for c in all_defs if c.name == scene_class]

    if len(named) > 1:
        diags.append(make("contract", "duplicate-scene-class",
                          f"class {scene_class} is defined {len(named)} times: keep one", source,
                          named[1].lineno))
        return source, tuple(diags), ()

    if len(concrete) > 1:
        return source, _check_chapters(all_defs, concrete, classes, source), ()

    if not named and len(concrete) == 1:
        old = concrete[0]
        diag = make("contract", "wrong-scene-name",
                    f"the scene class is called {old.name}, expected {scene_class}: rename it",
                    source, old.lineno, fixable=True)
        if not fix:
            return source, (diag,), ()
        source = _rename_class(tree, source, old.name, scene_class)
        rewrite = f"line {old.lineno}: class {old.name} -> class {scene_class}"
        source, more, _ = check_contract(parse_python(source), source, scene_class=scene_class, fix=False)
        return source, more, (rewrite,)
    if not named:
        # unreachable with at least one scene (a scene class that every scene derives from is concrete)
        diags.append(make("contract", "no-scene-class", f"no concrete scene class named {scene_class}",
                          source, scenes[0].lineno))
        return source, tuple(diags), ()
    scene = named[0]
    if not _is_scene(scene, classes, set()):
        diags.append(make("contract", "no-scene-class",
                          f"class {scene_class} does not subclass Scene: write "
                          f"`class {scene_class}(Scene):`", source, scene.lineno))
        return source, tuple(diags), ()
    # scene_class may be the base of the one concrete scene: that subclass is what plays
    return source, _check_construct(concrete[0] if concrete else scene, classes, source, ""), ()


def scene_classes(source_or_tree: str | ast.Module) -> list[SceneInfo]:
    """The concrete Scene subclasses of a scene file, in file order ([] when it does not parse)."""
    if isinstance(source_or_tree, str):
        try:
            tree = parse_python(source_or_tree)
        except SyntaxError:
            return []
    else:
        tree = source_or_tree
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    scenes = [c for c in tree.body if isinstance(c, ast.ClassDef) and _is_scene(c, classes, set())]
    out: list[SceneInfo] = []
    seen: set[str] = set()
    for cls in _concrete(scenes, classes):
        if cls.name in seen:
            continue  # Python keeps the last definition; one chapter per name, at its first place
        seen.add(cls.name)
        definition = classes[cls.name]
        doc = ast.get_docstring(definition)
        construct = _find_construct(definition, classes)
        title_text = _first_title_text(construct) if construct is not None else None
        first_doc_line = next((ln.strip() for ln in (doc or "").splitlines() if ln.strip()), "")
        title = first_doc_line or title_text or readable_class_name(cls.name)
        bases = [b for b in (_base_name(x) for x in definition.bases) if b]
        out.append(SceneInfo(name=cls.name, line=cls.lineno, base=bases[0] if bases else "",
                             docstring=doc, title_text=title_text, title=title))
    return out


def readable_class_name(name: str) -> str:
    """A chapter title from a class name: `Scene3_QEDLagrangian` -> "QED Lagrangian", `IntroScene` -> "Intro"."""
    words = _WORD.findall(name)
    if not words:
        return name
    if len(words) > 1 and words[-1] == "Scene":
        words = words[:-1]  # IntroScene, EulerIdentityScene
    # a leading position marker (`Scene3_`, `Part2`) says nothing a reader needs, if a name follows it
    if len(words) > 2 and words[0] in _ORDINAL_WORDS and words[1].isdigit():
        words = words[2:]
    elif len(words) > 1 and words[0] == "Scene" and not words[1].isdigit():
        words = words[1:]  # SceneIntro
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _concrete(scenes: list[ast.ClassDef], classes: dict[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """The scenes no other scene of the file derives from (a shared base is not a chapter)."""
    bases_of = _user_ancestors(classes)
    return [c for c in scenes if not any(c.name in bases_of.get(o.name, set()) for o in scenes)]


def _check_chapters(all_defs: list[ast.ClassDef], concrete: list[ast.ClassDef],
                    classes: dict[str, ast.ClassDef], source: str) -> tuple[Diagnostic, ...]:
    """Each chapter of a multi-scene file: defined once, with a proper construct."""
    diags: list[Diagnostic] = []
    reported: set[str] = set()
    for cls in concrete:
        where = f"in scene {cls.name} (line {cls.lineno}): "
        same = [c for c in all_defs if c.name == cls.name]
        if len(same) > 1:
            if cls.name not in reported:
                reported.add(cls.name)
                diags.append(make("contract", "duplicate-scene-class",
                                  f"{where}class {cls.name} is defined {len(same)} times: keep one, or give "
                                  "each chapter its own name", source, same[1].lineno))
            continue
        diags += _check_construct(cls, classes, source, where)
    return tuple(diags)


def _check_construct(scene: ast.ClassDef, classes: dict[str, ast.ClassDef], source: str,
                     where: str) -> tuple[Diagnostic, ...]:
    """No construct, or one that Manim cannot call as `construct(self)`."""
    construct = _find_construct(scene, classes)
    if construct is None:
        return (make("contract", "no-construct",
                     f"{where}class {scene.name} has no `construct(self)` method: put the animation in "
                     "`def construct(self):`", source, scene.lineno),)
    if isinstance(construct, ast.AsyncFunctionDef) or not _self_only(construct.args):
        return (make("contract", "bad-construct",
                     f"{where}construct must be `def construct(self):` (no other parameters, not async)",
                     source, construct.lineno),)
    return ()


def _first_title_text(construct: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The string literal of the first Text/Tex/Title call in construct (source order), if literal."""
    calls = [n for n in ast.walk(construct) if isinstance(n, ast.Call) and call_name(n) in _TITLE_CALLS]
    if not calls:
        return None
    first = min(calls, key=lambda n: (n.lineno, n.col_offset))
    parts = [a.value for a in first.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if not parts or len(parts) != len(first.args):
        return None
    text = " ".join(" ".join(parts).split())
    return text or None


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
    for base in cls.bases:
        name = _base_name(base)
        if name is None:
            continue
        if name in classes and classes[name] is not cls:
            if _is_scene(classes[name], classes, seen):
                return True
            continue
        if name in SCENE_BASES:
            return True  # known without importing Manim (the build asks on every run)
        value, known = world.with_fallback(functools.partial(_manim_scene, name))
        if known:
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


def _manim_scene(name: str) -> tuple[object, bool]:
    """What Manim exports under `name`, and whether it is a Scene class."""
    ns = world.current().namespace
    value, scene_type = ns.get(name), ns.get("Scene")
    return value, world.is_class(value) and world.is_class(scene_type) and world.is_subclass(value, scene_type)
