"""Concept specs: load every `concepts/*.yaml`, validate them all, report every problem at once."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from builder.errors import SpecError, SpecProblem

LEVELS = ("intro", "undergraduate", "graduate", "research")
QUALITIES = ("l", "m", "h", "k")
RENDERERS = ("auto", "cairo", "opengl")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SPEC_BYTES = 256 * 1024

TOP_KEYS = (
    "title", "summary", "tags", "level", "prompt", "anchors",
    "prerequisites", "scene", "model", "models",
)
ANCHOR_KEYS = ("label", "latex")
SCENE_KEYS = ("duration", "quality", "three_d", "renderer", "chapters", "formats")
FORMATS = ("mp4", "webm")


@dataclass(frozen=True)
class Anchor:
    """One anchoring equation: a short label and the exact LaTeX (math mode, no `$`)."""

    label: str
    latex: str


@dataclass(frozen=True)
class SceneOptions:
    """Per-concept render options; None means "use the build's setting"."""

    duration: float = 45.0
    quality: str | None = None
    three_d: bool = False
    renderer: str | None = None
    #: Several Scene classes in scene.py are chapters of one video; false keeps the first only.
    chapters: bool = True
    #: Video formats besides the MP4 every render has (None: the build's setting).
    formats: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Concept:
    """A validated concept spec; the slug is its file name and its identity everywhere."""

    slug: str
    path: Path
    title: str
    prompt: str
    anchors: tuple[Anchor, ...]
    summary: str = ""
    tags: tuple[str, ...] = ()
    level: str = "undergraduate"
    prerequisites: tuple[str, ...] = ()
    scene: SceneOptions = field(default_factory=SceneOptions)
    model: str | None = None
    models: tuple[str, ...] = ()

    @property
    def scene_class(self) -> str:
        """The class name the scene must define, derived from the slug."""
        return scene_class_name(self.slug)


#: libyaml's parser where PyYAML was built with it (it is, in the wheels): the same events and
#: line marks as the pure-Python one, several times faster on a gallery of a thousand specs.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def scene_class_name(slug: str) -> str:
    """`fourier-series` -> `FourierSeriesScene`."""
    name = "".join(part.capitalize() for part in slug.split("-")) + "Scene"
    return name if name[0].isalpha() else "S" + name


def slugify(title: str) -> str:
    """Turn a title into a slug: lower case ASCII words joined by hyphens."""
    import unicodedata

    title = re.sub(r"[\u2010-\u2015]", "-", title)  # en and em dashes separate words too
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words)


def load_concepts(concepts_dir: Path) -> list[Concept]:
    """Load and validate every spec in `concepts_dir`; raise SpecError listing all problems."""
    problems: list[SpecProblem] = []
    if not concepts_dir.is_dir():
        raise SpecError([SpecProblem(str(concepts_dir), None, "the concepts folder does not exist",
                                     'create it, or run `mathreel new "A title"`')])
    paths = sorted(p for p in concepts_dir.iterdir() if p.suffix in (".yaml", ".yml"))
    concepts: list[Concept] = []
    seen: dict[str, Path] = {}
    for path in paths:
        concept = _load_one(path, problems)
        if concept is None:
            continue
        if concept.slug in seen:
            problems.append(SpecProblem(
                _display(path), None,
                f"duplicate slug {concept.slug!r}: {_display(seen[concept.slug])} has the same name",
                "keep one file per concept: rename or remove one of them"))
            continue
        seen[concept.slug] = path
        concepts.append(concept)
    _check_prerequisites(concepts, problems)
    if problems:
        raise SpecError(problems)
    return concepts


def validate_text(path: Path, text: str) -> tuple[Concept | None, list[SpecProblem]]:
    """Validate one spec given as text (used by tests and `mathreel new`)."""
    problems: list[SpecProblem] = []
    concept = _parse(path, text, problems)
    return concept, problems


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_one(path: Path, problems: list[SpecProblem]) -> Concept | None:
    shown = _display(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(SpecProblem(shown, None, f"cannot read the file: {exc.strerror}", "check its permissions"))
        return None
    if size > MAX_SPEC_BYTES:
        problems.append(SpecProblem(shown, None, f"the file is {size} bytes, over the {MAX_SPEC_BYTES} byte limit for a spec",
                                    "a concept spec is a short YAML file: move long text out of it"))
        return None
    data = path.read_bytes()
    if b"\x00" in data:
        problems.append(SpecProblem(shown, None, "the file is binary (it contains NUL bytes), not YAML",
                                    "replace it with a YAML text file, or remove it"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(SpecProblem(shown, line, "the file is not valid UTF-8",
                                    "save it as UTF-8 (most editors: File > Save with encoding)"))
        return None
    return _parse(path, text, problems)


def _parse(path: Path, text: str, problems: list[SpecProblem]) -> Concept | None:
    shown = _display(path)
    slug = path.stem
    start = len(problems)
    if not SLUG_RE.match(slug):
        suggestion = slugify(slug) or "my-concept"
        problems.append(SpecProblem(shown, None,
                                    f"the file name {slug!r} is not a valid slug (lower-case letters, digits and single hyphens)",
                                    f"rename it to {suggestion}.yaml"))
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                problems.append(SpecProblem(shown, line, "YAML aliases (*name) are not allowed in concept specs",
                                            "write the value out in full"))
                return None
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(SpecProblem(shown, line, f"YAML syntax error: {reason}",
                                    "check indentation and quoting; LaTeX with backslashes is safest in single quotes or a | block"))
        return None
    if node is None:
        problems.append(SpecProblem(shown, None, "the file is empty",
                                    'fill it in, or start from `mathreel new "Title"`'))
        return None
    if not isinstance(node, yaml.MappingNode):
        problems.append(SpecProblem(shown, _line(node), f"the top level must be a mapping of fields, not {_kind(node)}",
                                    "start with `title: ...` on the first line"))
        return None

    fields = _mapping(node, TOP_KEYS, shown, problems, where="")
    title = _string(fields, "title", shown, node, problems, required=True)
    prompt = _string(fields, "prompt", shown, node, problems, required=True)
    summary = _string(fields, "summary", shown, node, problems) or ""
    level = _string(fields, "level", shown, node, problems) or "undergraduate"
    if "level" in fields and level not in LEVELS:
        problems.append(SpecProblem(shown, _line(fields["level"]),
                                    f"unknown level {level!r}{_did_you_mean(level, LEVELS)}",
                                    f"use one of: {', '.join(LEVELS)}"))
    tags = _string_list(fields, "tags", shown, problems)
    prereqs = _string_list(fields, "prerequisites", shown, problems)
    for name in prereqs:
        if not SLUG_RE.match(name):
            problems.append(SpecProblem(shown, _line(fields["prerequisites"]), f"prerequisite {name!r} is not a slug",
                                        "name another concept by its file name without .yaml"))
    anchors = _anchors(fields, shown, node, problems)
    scene = _scene(fields, shown, problems)
    model = _string(fields, "model", shown, node, problems)
    models = _string_list(fields, "models", shown, problems)

    if len(problems) > start:
        return None
    assert title is not None and prompt is not None
    return Concept(
        slug=slug, path=path, title=title.strip(), prompt=prompt.strip(), anchors=anchors,
        summary=summary.strip(), tags=tuple(tags), level=level, prerequisites=tuple(prereqs),
        scene=scene, model=model, models=tuple(models),
    )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    value = node.value
    if node.tag.endswith(":str"):
        return f"the text {value!r}" if len(value) < 40 else "a text"
    if node.tag.endswith(":null"):
        return "nothing (null)"
    return f"the value {value!r}"


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _mapping(node: yaml.MappingNode, allowed: tuple[str, ...], shown: str,
             problems: list[SpecProblem], where: str) -> dict[str, yaml.Node]:
    out: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(SpecProblem(shown, _line(key_node), "a key must be a plain word",
                                        f"use one of: {', '.join(allowed)}"))
            continue
        key = str(key_node.value)
        if key not in allowed:
            hint = _did_you_mean(key, allowed)
            problems.append(SpecProblem(shown, _line(key_node), f"unknown key {where}{key!r}{hint}",
                                        f"allowed keys{' in ' + where.rstrip('.') if where else ''}: {', '.join(allowed)}"))
            continue
        if key in out:
            problems.append(SpecProblem(shown, _line(key_node), f"key {where}{key!r} is given twice",
                                        "keep one of them"))
            continue
        out[key] = value_node
    return out


def _scalar_string(value: yaml.Node) -> str | None:
    if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str"):
        return str(value.value)
    return None


def _string(fields: dict[str, yaml.Node], key: str, shown: str, parent: yaml.Node,
            problems: list[SpecProblem], *, required: bool = False, where: str = "") -> str | None:
    if key not in fields:
        if required:
            problems.append(SpecProblem(shown, _line(parent), f"missing required key {where}{key!r}",
                                        f"add `{key}: ...`"))
        return None
    value = fields[key]
    text = _scalar_string(value)
    if text is None:
        problems.append(SpecProblem(shown, _line(value), f"{where}{key!r} must be text, not {_kind(value)}",
                                    "quote it: single quotes keep backslashes as they are"))
        return None
    if required and not text.strip():
        problems.append(SpecProblem(shown, _line(value), f"{where}{key!r} is empty", f"write the {key}"))
        return None
    return text


def _string_list(fields: dict[str, yaml.Node], key: str, shown: str,
                 problems: list[SpecProblem]) -> list[str]:
    if key not in fields:
        return []
    value = fields[key]
    if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
        return []
    if not isinstance(value, yaml.SequenceNode):
        problems.append(SpecProblem(shown, _line(value), f"{key!r} must be a list, not {_kind(value)}",
                                    f"write `{key}: [a, b]` or one `- item` per line"))
        return []
    out: list[str] = []
    for item in value.value:
        text = _scalar_string(item)
        if text is None or not text.strip():
            problems.append(SpecProblem(shown, _line(item), f"each item of {key!r} must be non-empty text, not {_kind(item)}",
                                        "quote the item"))
            continue
        out.append(text.strip())
    return out


def _anchors(fields: dict[str, yaml.Node], shown: str, parent: yaml.Node,
             problems: list[SpecProblem]) -> tuple[Anchor, ...]:
    fix = "add at least one `- {label: ..., latex: '...'}` under `anchors:`"
    if "anchors" not in fields:
        problems.append(SpecProblem(shown, _line(parent), "missing required key 'anchors'", fix))
        return ()
    node = fields["anchors"]
    if not isinstance(node, yaml.SequenceNode):
        problems.append(SpecProblem(shown, _line(node), f"'anchors' must be a list, not {_kind(node)}", fix))
        return ()
    if not node.value:
        problems.append(SpecProblem(shown, _line(node), "'anchors' is empty: a concept needs at least one equation", fix))
        return ()
    out: list[Anchor] = []
    for index, item in enumerate(node.value, start=1):
        where = f"anchors[{index}]."
        if not isinstance(item, yaml.MappingNode):
            problems.append(SpecProblem(shown, _line(item), f"anchor {index} must be a mapping with label and latex, not {_kind(item)}",
                                        "write `- {label: Name, latex: 'a^2+b^2=c^2'}`"))
            continue
        sub = _mapping(item, ANCHOR_KEYS, shown, problems, where=where)
        label = _string(sub, "label", shown, item, problems, required=True, where=where)
        latex = _string(sub, "latex", shown, item, problems, required=True, where=where)
        if latex is not None:
            problem = _latex_problem(latex)
            if problem:
                problems.append(SpecProblem(shown, _line(sub["latex"]), f"anchor {index}: {problem[0]}", problem[1]))
                continue
        if label is not None and latex is not None:
            out.append(Anchor(label=label.strip(), latex=latex.strip()))
    return tuple(out)


_FORBIDDEN_TEX = re.compile(r"\\(input|include|write|openout|openin|immediate|read|special|catcode|def|csname|usepackage|documentclass)(?![a-zA-Z])")


def _latex_problem(latex: str) -> tuple[str, str] | None:
    """Cheap checks on anchor LaTeX; the full compile check happens later."""
    stripped = latex.strip()
    if stripped.startswith("$") or stripped.endswith("$"):
        return ("the LaTeX is wrapped in $ signs", "write the math alone: anchors are typeset in math mode already")
    depth = 0
    escaped = False
    for char in stripped:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        return ("the LaTeX has unbalanced braces { }", "close every { with a matching }")
    match = _FORBIDDEN_TEX.search(stripped)
    if match:
        return (f"the LaTeX uses \\{match.group(1)}, which is not allowed in anchors",
                "anchors are formulas: remove file, macro and shell commands")
    if any(ord(c) < 32 and c not in "\n" for c in latex):
        return ("the LaTeX holds control characters (a tab or form feed?)",
                "in double-quoted YAML, \\t and \\f are escapes: use single quotes around LaTeX")
    return None


def _scene(fields: dict[str, yaml.Node], shown: str, problems: list[SpecProblem]) -> SceneOptions:
    if "scene" not in fields:
        return SceneOptions()
    node = fields["scene"]
    if not isinstance(node, yaml.MappingNode):
        problems.append(SpecProblem(shown, _line(node), f"'scene' must be a mapping, not {_kind(node)}",
                                    "write `scene: {duration: 45, quality: m}`"))
        return SceneOptions()
    sub = _mapping(node, SCENE_KEYS, shown, problems, where="scene.")
    opts: dict[str, Any] = {}
    if "duration" in sub:
        value = _number(sub["duration"])
        if value is None or not 5 <= value <= 600:
            problems.append(SpecProblem(shown, _line(sub["duration"]), "scene.duration must be a number of seconds from 5 to 600",
                                        "write for example `duration: 45`"))
        else:
            opts["duration"] = value
    _choice(sub, "quality", QUALITIES, shown, problems, opts)
    _choice(sub, "renderer", RENDERERS, shown, problems, opts)
    for name in ("three_d", "chapters"):
        if name not in sub:
            continue
        value_node = sub[name]
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":bool"):
            opts[name] = value_node.value.lower() in ("true", "yes", "on")
        else:
            problems.append(SpecProblem(shown, _line(value_node), f"scene.{name} must be true or false",
                                        f"write `{name}: true`"))
    if "formats" in sub:
        formats = _formats(sub["formats"])
        if formats is None:
            problems.append(SpecProblem(shown, _line(sub["formats"]),
                                        f"scene.formats must be a list of {', '.join(FORMATS)}",
                                        "write `formats: [mp4, webm]`"))
        else:
            opts["formats"] = formats
    return SceneOptions(**opts)


def _formats(node: yaml.Node) -> tuple[str, ...] | None:
    """`[mp4, webm]` as a tuple of known formats, mp4 always first; None when invalid."""
    if not isinstance(node, yaml.SequenceNode):
        return None
    names = [item.value for item in node.value if isinstance(item, yaml.ScalarNode)]
    if len(names) != len(node.value) or any(n not in FORMATS for n in names):
        return None
    return tuple(["mp4", *(n for n in FORMATS[1:] if n in names)])


def _number(node: yaml.Node) -> float | None:
    if isinstance(node, yaml.ScalarNode) and (node.tag.endswith(":int") or node.tag.endswith(":float")):
        try:
            return float(node.value)
        except ValueError:
            return None
    return None


def _choice(sub: dict[str, yaml.Node], key: str, options: tuple[str, ...], shown: str,
            problems: list[SpecProblem], opts: dict[str, Any]) -> None:
    if key not in sub:
        return
    value = _scalar_string(sub[key])
    if value not in options:
        shown_value = value if value is not None else _kind(sub[key])
        problems.append(SpecProblem(shown, _line(sub[key]), f"scene.{key} {shown_value!r} is not one of {', '.join(options)}",
                                    f"write `{key}: {options[0]}`{_did_you_mean(value or '', options)}"))
        return
    opts[key] = value


def _check_prerequisites(concepts: list[Concept], problems: list[SpecProblem]) -> None:
    known = {c.slug for c in concepts}
    for concept in concepts:
        for name in concept.prerequisites:
            if name == concept.slug:
                problems.append(SpecProblem(_display(concept.path), None, f"{name!r} lists itself as a prerequisite",
                                            "remove it from prerequisites"))
            elif name not in known:
                problems.append(SpecProblem(_display(concept.path), None, f"prerequisite {name!r} is not a concept{_did_you_mean(name, known)}",
                                            f"add concepts/{name}.yaml or remove it from prerequisites"))


SPEC_TEMPLATE = """\
# A mathreel concept. The file name ({slug}.yaml) is the concept's id.
# Fill in the fields, then run `mathreel build`.

title: {title_yaml}

# One sentence for the gallery card.
summary: "TODO: one sentence a reader sees on the card."

# intro, undergraduate, graduate or research
level: undergraduate

tags: [mathematics]

# What the animation should show, in your own words. The model (or the
# anchor template, offline) builds the scene from this and the anchors.
prompt: |
  TODO: describe the idea, the picture you have in mind, and the steps
  the animation should walk through.

# The equations that anchor the idea. The LaTeX goes to the model verbatim,
# appears on screen and in the notes. Single quotes keep backslashes intact.
anchors:
  - label: Definition
    latex: 'f(x) = \\sum_{{n=0}}^{{\\infty}} a_n x^n'

# Slugs of concepts a reader should know first (optional).
prerequisites: []

# Render options (optional): target duration in seconds, quality l/m/h/k.
scene:
  duration: 45
"""


def spec_template(title: str, slug: str) -> str:
    """A commented concept file for `mathreel new`."""
    title_yaml = yaml.safe_dump(title, default_style='"', width=1000).strip()
    if title_yaml.endswith("..."):
        title_yaml = title_yaml[:-3].strip()
    return SPEC_TEMPLATE.format(slug=slug, title_yaml=title_yaml)

