"""Split a model's answer into scene code, study notes and reasoning; never return half a file."""

from __future__ import annotations

import ast
import io
import logging
import re
import tokenize
from dataclasses import dataclass

from builder.pyast import parse_python

log = logging.getLogger(__name__)

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3", "manim", "python-manim"})
NOTES_TAGS = frozenset({"markdown", "md", "notes", "mdx"})
#: Tags that are never the scene (math, shell, data).
OTHER_TAGS = frozenset({"latex", "tex", "math", "bash", "sh", "shell", "console", "text", "txt",
                        "json", "yaml", "yml", "toml", "html", "output"})

#: Names that show a file is written against Manim (used to decide whether to add the import).
MANIM_NAMES = frozenset({
    "Scene", "ThreeDScene", "MovingCameraScene", "ZoomedScene", "VectorScene", "MathTex", "Tex",
    "Text", "Create", "Write", "FadeIn", "FadeOut", "Transform", "ReplacementTransform", "Axes",
    "NumberPlane", "Circle", "Square", "Dot", "Line", "Arrow", "VGroup", "UP", "DOWN", "LEFT",
    "RIGHT", "ORIGIN", "BLUE", "RED", "GREEN", "YELLOW", "WHITE", "PI", "TAU", "DEGREES",
    "ValueTracker", "always_redraw", "Surface", "ThreeDAxes", "Indicate", "Rectangle", "Polygon",
})

_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n`]*$")
_NOTES_HEADING = re.compile(
    r"^[ \t]{0,3}(#{1,6}|\*\*)[ \t]*(study[ \t]+notes|notes|lecture[ \t]+notes)\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE)
_MD_HEADING = re.compile(r"^#{1,3}[ \t]+\S", re.MULTILINE)
_CODE_START = re.compile(r"^(from[ \t]+[\w.]+[ \t]+import[ \t]|import[ \t]+\w|class[ \t]+\w+[ \t]*[(:])")
_SCENE_CLASS_RE = re.compile(r"^class[ \t]+(\w+)[ \t]*\(([^)]*Scene[^)]*)\)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class ParsedAnswer:
    """What one answer held: the scene, the notes, the reasoning, and what went wrong or was fixed."""

    code: str | None
    notes: str | None
    reasoning: str
    problems: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Block:
    lang: str
    body: str
    start: int  # offset of the opening fence line in the text
    end: int  # offset just past the closing fence line (or the end of the text)
    closed: bool


@dataclass(frozen=True)
class _Candidate:
    block: _Block | None
    code: str
    tree: ast.Module | None
    scenes: tuple[str, ...]  # Scene subclasses defined, leaf ones last-defined-first


def split_reasoning(text: str) -> tuple[str, str, bool]:
    """Take `<think>` blocks out of an answer: (reasoning, rest, ended_inside_reasoning)."""
    text = _normalize(text)
    reasoning: list[str] = []
    # A chat template may open the block in the prompt: the answer then starts inside it.
    stripped = text.lstrip()
    close_only = re.search(r"</(think|thinking|reasoning)>", text, re.IGNORECASE)
    if close_only and not _THINK_OPEN.match(stripped) and not _THINK_OPEN.search(text[: close_only.start()]):
        reasoning.append(text[: close_only.start()].strip())
        text = text[close_only.end():]
    rest: list[str] = []
    pos = 0
    unterminated = False
    while True:
        match = _THINK_OPEN.search(text, pos)
        if match is None:
            rest.append(text[pos:])
            break
        tag = match.group(1).lower()
        close = re.compile(rf"</{tag}>", re.IGNORECASE).search(text, match.end())
        rest.append(text[pos: match.start()])
        if close is None:
            reasoning.append(text[match.end():].strip())
            unterminated = True
            break
        reasoning.append(text[match.end(): close.start()].strip())
        pos = close.end()
    return "\n\n".join(r for r in reasoning if r), "".join(rest), unterminated


def parse_answer(text: str, *, scene_class: str, finish_reason: str | None = None) -> ParsedAnswer:
    """Parse one model answer into scene code and notes, robust to the ways models format them."""
    problems: list[str] = []
    fixes: list[str] = []
    truncated = finish_reason == "length"
    if truncated:
        problems.append("answer was cut off by the token limit (finish_reason=length): raise `max_tokens`")
    elif finish_reason == "content_filter":
        problems.append("the endpoint's content filter stopped the answer")

    reasoning, body, in_reasoning = split_reasoning(text or "")
    if in_reasoning:
        problems.append("the answer ended inside its reasoning block: no code or notes were written")
    if not body.strip():
        if not in_reasoning:
            problems.append("the answer is empty")
        return ParsedAnswer(None, None, reasoning, tuple(problems), tuple(fixes))

    blocks = _fenced_blocks(body)
    candidate, code_problems, code_fixes = _choose_code(body, blocks, scene_class)
    problems += code_problems
    fixes += code_fixes

    code: str | None = None
    if candidate is not None:
        if candidate.block is not None:
            unterminated = not candidate.block.closed
        else:
            # Unfenced code that runs to the end of a cut-off answer is cut off too.
            unterminated = truncated and body.rstrip().endswith(candidate.code.rstrip())
        if candidate.tree is None:
            error = _syntax_error(candidate.code)
            if truncated or unterminated:
                problems.append(f"the code is incomplete (cut off): {error}; nothing of it is kept")
            else:
                problems.append(f"the code does not parse: {error}")
                code = _finish(candidate.code)
        elif unterminated and truncated:
            problems.append("the code was cut off before its end; nothing of it is kept")
        else:
            if unterminated:
                fixes.append("the code block had no closing fence; used it up to the end of the answer")
            code, more_problems, more_fixes = _normalize_code(candidate, scene_class)
            problems += more_problems
            fixes += more_fixes

    notes, notes_problems = _find_notes(body, blocks, candidate, truncated)
    problems += notes_problems
    if code is None and not any("code" in p for p in problems):
        problems.append("no python code block with a Scene subclass in the answer")
    return ParsedAnswer(code, notes, reasoning, tuple(problems), tuple(fixes))


# ---------------------------------------------------------------- blocks


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def _fenced_blocks(text: str) -> list[_Block]:
    """CommonMark-style fences (``` or ~~~), plus nesting inside Markdown blocks.

    Inside a block tagged markdown, a fence line with an info string opens an inner block,
    so notes that hold ```python examples are not cut at the inner fence.
    """
    blocks: list[_Block] = []
    lines = text.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, lang = match.group(2), match.group(3).lower().lstrip(".{").rstrip("}")
        char, size = fence[0], len(fence)
        nested = lang in NOTES_TAGS
        depth = 0
        j = i + 1
        closed = False
        while j < len(lines):
            inner = _FENCE.match(lines[j])
            if inner and inner.group(2)[0] == char and len(inner.group(2)) >= size:
                if not inner.group(3):
                    if depth == 0:
                        closed = True
                        break
                    depth -= 1
                elif nested:
                    depth += 1
            j += 1
        body = "\n".join(lines[i + 1: j])
        end = offsets[j] + len(lines[j]) + 1 if closed else len(text)
        blocks.append(_Block(lang, body, offsets[i], min(end, len(text)), closed))
        i = j + 1
    return blocks


def _choose_code(body: str, blocks: list[_Block], scene_class: str) -> tuple[_Candidate | None, list[str], list[str]]:
    """The block that defines the scene: the expected class first, then the last Scene block."""
    candidates: list[_Candidate] = []
    for block in blocks:
        if block.lang in NOTES_TAGS or block.lang in OTHER_TAGS:
            continue
        cand = _candidate(block, block.body)
        if cand.scenes:
            candidates.append(cand)
    if not blocks:
        whole = _candidate(None, body)
        if whole.scenes and whole.tree is not None:
            return whole, [], []
        code_part = _unfenced_code(body)
        if code_part is not None:
            cand = _candidate(None, code_part)
            if cand.scenes:
                return cand, [], ["took the code from an answer without code fences"]
        if whole.scenes:
            return whole, [], []
        return None, ["no python code block in the answer"], []
    if not candidates:
        remainder = body
        for block in reversed(blocks):
            remainder = remainder[: block.start] + remainder[block.end:]
        code_part = _unfenced_code(remainder)
        if code_part is not None:
            cand = _candidate(None, code_part)
            if cand.scenes:
                return cand, [], ["took the code from outside the answer's code fences"]
        tagged = [b for b in blocks if b.lang in PYTHON_TAGS or b.lang == ""]
        if tagged:
            return None, [f"no Scene subclass in the answer's {len(tagged)} code block{'s' if len(tagged) != 1 else ''}"], []
        return None, ["no python code block in the answer"], []
    fixes: list[str] = []
    named = [c for c in candidates if scene_class in c.scenes]
    pool = named or candidates
    complete = [c for c in pool if c.tree is not None and (c.block is None or c.block.closed)]
    chosen = (complete or pool)[-1]
    if len(candidates) > 1:
        index = candidates.index(chosen) + 1
        fixes.append(f"the answer had {len(candidates)} code blocks with a Scene; used block {index}")
    return chosen, [], fixes


def _candidate(block: _Block | None, code: str) -> _Candidate:
    code = _normalize(code)
    try:
        tree: ast.Module | None = parse_python(code)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        scenes = _scene_classes(tree)
    else:
        scenes = tuple(m.group(1) for m in _SCENE_CLASS_RE.finditer(code))
    return _Candidate(block, code, tree, scenes)


def _unfenced_code(body: str) -> str | None:
    """Code given without fences: from the first code-looking line to a notes heading or the end."""
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return None
    heading = _NOTES_HEADING.search(body)
    text = "\n".join(lines[start:])
    if heading is not None:
        cut = body[: heading.start()]
        text = "\n".join(cut.split("\n")[start:])
    return text.strip("\n")


def _scene_classes(tree: ast.Module) -> tuple[str, ...]:
    """Top-level classes deriving (directly or through local classes) from a *Scene base."""
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = []
            for base in node.bases:
                if isinstance(base, ast.Name):
                    names.append(base.id)
                elif isinstance(base, ast.Attribute):
                    names.append(base.attr)
            bases[node.name] = names

    def is_scene(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name in seen:
            return False
        for base in bases.get(name, []):
            if base in bases:
                if is_scene(base, seen | {name}):
                    return True
            elif base.endswith("Scene"):
                return True
        return False

    return tuple(name for name in bases if is_scene(name))


def _leaf_scenes(tree: ast.Module, scenes: tuple[str, ...]) -> list[str]:
    used_as_base = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if isinstance(base, ast.Name):
                    used_as_base.add(base.id)
    return [s for s in scenes if s not in used_as_base]


def _syntax_error(code: str) -> str:
    try:
        parse_python(code)
    except SyntaxError as exc:
        return f"SyntaxError at line {exc.lineno}: {exc.msg}"
    except ValueError as exc:
        return f"ValueError: {exc}"
    return "no error"


# ---------------------------------------------------------------- code fixes


def _finish(code: str) -> str:
    lines = [line.rstrip() for line in _normalize(code).split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def _normalize_code(cand: _Candidate, scene_class: str) -> tuple[str, list[str], list[str]]:
    problems: list[str] = []
    fixes: list[str] = []
    code = cand.code
    assert cand.tree is not None
    tree = cand.tree

    if re.search(r"^from[ \t]+manimlib(\.\w+)*[ \t]+import[ \t]+\*", code, re.MULTILINE):
        code = re.sub(r"^from[ \t]+manimlib(\.\w+)*[ \t]+import[ \t]+\*", "from manim import *",
                      code, flags=re.MULTILINE)
        fixes.append("replaced `from manimlib import *` (ManimGL) with `from manim import *`")
        tree = parse_python(code)

    if not _imports_manim(tree) and _uses_manim(tree):
        code = _add_import(code, tree)
        fixes.append("added `from manim import *`")
        tree = parse_python(code)

    scenes = _scene_classes(tree)
    if scene_class not in scenes:
        leaves = _leaf_scenes(tree, scenes)
        if len(leaves) == 1:
            old = leaves[0]
            if _defines_name(tree, scene_class):
                problems.append(f"the scene class is {old}, and {scene_class} names something else in the file")
            else:
                code = _rename(code, old, scene_class)
                fixes.append(f"renamed class {old} to {scene_class}")
        elif len(leaves) > 1:
            problems.append(f"{_count_word(len(leaves))} Scene subclasses: {', '.join(leaves)} "
                            f"(expected one named {scene_class})")
        else:
            problems.append(f"no Scene subclass named {scene_class}")
    return _finish(code), problems, fixes


def _count_word(n: int) -> str:
    return {2: "two", 3: "three", 4: "four"}.get(n, str(n))


def _imports_manim(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "manim":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "manim" for a in node.names):
            return True
    return False


def _uses_manim(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Name) and node.id in MANIM_NAMES for node in ast.walk(tree))


def _defines_name(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def _add_import(code: str, tree: ast.Module) -> str:
    """Insert after a module docstring and `from __future__` imports, where Python allows it."""
    insert_after = 0
    for node in tree.body:
        is_doc = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str) and node is tree.body[0])
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if is_doc or is_future:
            insert_after = node.end_lineno or insert_after
        else:
            break
    lines = code.split("\n")
    lines.insert(insert_after, "from manim import *")
    following = lines[insert_after + 1] if len(lines) > insert_after + 1 else ""
    if following.strip() and not following.startswith(("import ", "from ")):
        lines.insert(insert_after + 1, "")
    return "\n".join(lines)


def _rename(code: str, old: str, new: str) -> str:
    """Rename every NAME token `old` (not strings or comments)."""
    positions: list[tuple[int, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME and tok.string == old:
                positions.append(tok.start)
    except (tokenize.TokenError, SyntaxError):
        return re.sub(rf"\b{re.escape(old)}\b", new, code)
    lines = code.split("\n")
    for row, col in sorted(positions, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[col + len(old):]
    return "\n".join(lines)


# ---------------------------------------------------------------- notes


def _find_notes(body: str, blocks: list[_Block], code: _Candidate | None,
                truncated: bool) -> tuple[str | None, list[str]]:
    notes_blocks = [b for b in blocks if b.lang in NOTES_TAGS]
    if notes_blocks:
        block = max(notes_blocks, key=lambda b: len(b.body))
        if not block.closed and truncated:
            return None, ["the study notes were cut off by the token limit; none are kept"]
        notes = block.body.strip()
        return (notes + "\n" if notes else None), ([] if notes else ["the notes block is empty"])

    code_blocks = [b for b in blocks if _is_code_block(b, code)]
    spans = [(b.start, b.end) for b in blocks]
    if code is not None and code.block is None and code.code in body:
        at = body.find(code.code)
        spans.append((at, at + len(code.code)))

    def outside(match: re.Match[str]) -> bool:
        return not any(s <= match.start() < e for s, e in spans)

    heading = next((m for m in _NOTES_HEADING.finditer(body) if outside(m)), None)
    if heading is not None:
        notes, cut = _notes_region(body, heading.end(), code_blocks, code)
        if not notes:
            return None, ["the notes under the notes heading are empty"]
    else:
        # No notes heading: the first Markdown section outside the code that reads like notes.
        notes, cut = "", False
        for match in _MD_HEADING.finditer(body):
            if not outside(match):
                continue
            notes, cut = _notes_region(body, match.start(), code_blocks, code)
            if len(notes) >= 200 and _looks_like_notes(notes):
                break
            notes = ""
        if not notes:
            return None, ["no study notes in the answer"]
    if truncated and cut:
        return None, ["the study notes were cut off by the token limit; none are kept"]
    return notes + "\n", []


def _notes_region(body: str, start: int, code_blocks: list[_Block],
                  code: _Candidate | None) -> tuple[str, bool]:
    """Text from `start` to the next code block (or the end); True when it runs to the end."""
    following = [b for b in code_blocks if b.start >= start]
    stop = following[0].start if following else len(body)
    region = body[start:stop]
    if code is not None and code.block is None:
        region = region.replace(code.code, "\n", 1)
    lines = region.strip().split("\n")
    # A heading just before the code ("## Scene code") belongs to the code, not the notes.
    while following and lines and (not lines[-1].strip() or re.match(r"^#{1,6}\s", lines[-1])):
        lines.pop()
    return _unwrap_fence("\n".join(lines).strip()), not following


def _is_code_block(block: _Block, code: _Candidate | None) -> bool:
    if code is not None and code.block is block:
        return True
    if block.lang in PYTHON_TAGS:
        return True
    return block.lang == "" and bool(_candidate(block, block.body).scenes)


def _unwrap_fence(text: str) -> str:
    """Notes given as one fenced block under the heading: the block's body."""
    blocks = _fenced_blocks(text)
    if len(blocks) == 1 and blocks[0].start == 0 and blocks[0].end >= len(text.rstrip()) and blocks[0].lang not in PYTHON_TAGS:
        return blocks[0].body.strip()
    return text


def _looks_like_notes(text: str) -> bool:
    return "$" in text or "\\(" in text or len(_MD_HEADING.findall(text)) >= 2
