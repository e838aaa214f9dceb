"""Step 5: LaTeX preflight. Every Tex/MathTex string (and the concept's anchors) is checked for
Python-string traps and compiled in one `latex` run; errors map back to the code line.

Manim hides some mistakes: it adds missing braces to a MathTex string, and a non-raw "\\frac"
holds a form feed. Both are caught here, before a render.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import logging
import os
import re
import shutil
import tempfile
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.checks.diagnostics import (
    Diagnostic,
    Edit,
    apply_edits,
    bound_names,
    make,
    manim_imports,
)
from builder.errors import ToolTimeout
from builder.pyast import parse_python
from builder.runner import Runner
from builder.runner import run as default_runner

log = logging.getLogger(__name__)

#: Manim's default TeX template (manim.utils.tex: _DEFAULT_PREAMBLE under standalone/preview).
DOCUMENT_CLASS = r"\documentclass[preview]{standalone}"
PREAMBLE = "\\usepackage[english]{babel}\n\\usepackage{amsmath}\n\\usepackage{amssymb}"

LATEX_TIMEOUT = 60.0

#: Callable name -> (Manim class it builds, default environment, separator between arguments).
_MATH = ("align*", " ")
_TEXT = ("center", "")
_TEX_CALLS: dict[str, tuple[str, tuple[str | None, str]]] = {
    "MathTex": ("MathTex", _MATH),
    "SingleStringMathTex": ("MathTex", _MATH),
    "Tex": ("Tex", _TEXT),
    "Title": ("Tex", _TEXT),
    "BraceText": ("Tex", _TEXT),
    "BraceLabel": ("MathTex", _MATH),
    "get_tex": ("MathTex", _MATH),
    "get_text": ("Tex", _TEXT),
    "get_x_axis_label": ("MathTex", _MATH),
    "get_y_axis_label": ("MathTex", _MATH),
    "get_axis_labels": ("MathTex", _MATH),
}
#: Where the TeX strings sit in the call: "all" positional, or the one index, or keywords.
_ARG_POSITIONS: dict[str, tuple[str, ...] | int] = {
    "BraceText": 1, "BraceLabel": 1, "get_x_axis_label": 0, "get_y_axis_label": 0,
    "get_axis_labels": ("x_label", "y_label"),
}

#: Python escapes that swallow the backslash of a TeX command: \f \b \t \n \a \v \r.
_TRAP_ESCAPES = {"f": "\f", "b": "\b", "t": "\t", "n": "\n", "a": "\a", "v": "\v", "r": "\r"}
_VALID_ESCAPES = set("\\'\"abfnrtv01234567xNuU\n")

#: Unicode math that the default template (latex + inputenc) cannot typeset -> TeX command.
UNICODE_MATH = {
    "∫": r"\int", "∬": r"\iint", "∮": r"\oint", "∑": r"\sum", "∏": r"\prod", "√": r"\sqrt",
    "∞": r"\infty", "∂": r"\partial", "∇": r"\nabla", "±": r"\pm", "∓": r"\mp", "×": r"\times",
    "÷": r"\div", "·": r"\cdot", "∘": r"\circ", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq",
    "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim", "≅": r"\cong", "∝": r"\propto",
    "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto", "∈": r"\in", "∉": r"\notin",
    "⊂": r"\subset", "⊆": r"\subseteq", "⊃": r"\supset", "⊇": r"\supseteq", "∪": r"\cup",
    "∩": r"\cap", "∅": r"\emptyset", "∀": r"\forall", "∃": r"\exists", "¬": r"\neg",
    "∧": r"\wedge", "∨": r"\vee", "⊕": r"\oplus", "⊗": r"\otimes", "…": r"\ldots",
    "⋯": r"\cdots", "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}",
    "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}", "ℏ": r"\hbar", "ℓ": r"\ell", "°": r"^\circ",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi", "χ": r"\chi",
    "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta",
    "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega", "−": "-", "′": "'", "²": "^2", "³": "^3", "¹": "^1",
}


@dataclass(frozen=True)
class _Literal:
    """One string token of the source, located, with its prefix and body."""

    line: int
    col: int  # UTF-8 byte column of the token start
    end_line: int
    end_col: int
    prefix: str
    quote: str
    body: str


@dataclass(frozen=True)
class TexItem:
    """One TeX string to compile: a Manim call's joined arguments or a concept anchor."""

    label: str  # "MathTex", "Tex" or "anchor"
    text: str
    environment: str | None
    line: int | None
    compile: bool = True


def check_latex(tree: ast.Module, source: str, *, runner: Runner | None = None, workdir: Path | None = None,
                fix: bool = True, anchors: Sequence[str] = (), compile_tex: bool = True,
                before_compile: Callable[[str], None] | None = None,
                ) -> tuple[str, tuple[Diagnostic, ...], tuple[str, ...]]:
    """Static TeX checks (rewriting the fixable ones when fix), then one batched latex run;
    `before_compile` gets the source between the two when the static checks found no error."""
    diags, edits, rewrites, items = _static(tree, source)
    if fix and edits:
        new_source = apply_edits(source, edits)
        try:
            tree = parse_python(new_source)
            source = new_source
            diags, _edits, _rw, items = _static(tree, source)
        except SyntaxError:
            log.warning("latex rewrite produced invalid Python; rewrites dropped")
            rewrites = []
    elif not fix:
        rewrites = []
    anchor_items = []
    for anchor in anchors:
        problem = _brace_problem(anchor)
        if problem:
            diags.append(Diagnostic("latex", "anchor-error", f"anchor LaTeX has {problem}: fix the concept's "
                                    "anchor", None, anchor, False))
        else:
            anchor_items.append(TexItem("anchor", anchor, "align*", None))
    to_compile = [i for i in items if i.compile] + anchor_items
    if before_compile is not None and not any(d.severity == "error" for d in diags):
        before_compile(source)
    if compile_tex and to_compile:
        diags += compile_batch(to_compile, runner=runner or default_runner, workdir=workdir)
    return source, tuple(_sorted(diags)), tuple(rewrites)


def _sorted(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (d.line or 10**9, d.kind))


# -- collecting -----------------------------------------------------------------------------


def _string_tokens(source: str) -> list[_Literal]:
    out: list[_Literal] = []
    lines = source.splitlines(keepends=True)

    def bcol(row: int, col: int) -> int:
        return len(lines[row - 1][:col].encode("utf-8")) if row - 1 < len(lines) else col

    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.STRING:
                continue
            m = re.match(r"([A-Za-z]*)('''|\"\"\"|'|\")", tok.string)
            if not m:
                continue
            prefix, quote = m.group(1), m.group(2)
            body = tok.string[len(prefix) + len(quote): len(tok.string) - len(quote)]
            out.append(_Literal(tok.start[0], bcol(*tok.start), tok.end[0], bcol(*tok.end), prefix, quote, body))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _tokens_of(node: ast.expr, tokens: list[_Literal]) -> list[_Literal]:
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
    return [t for t in tokens if start <= (t.line, t.col) and (t.end_line, t.end_col) <= end]


def _tex_args(call: ast.Call, name: str) -> list[ast.expr] | None:
    """The argument expressions holding TeX for this call, or None when they cannot be known."""
    pos = _ARG_POSITIONS.get(name)
    if isinstance(pos, tuple):
        found = [k.value for k in call.keywords if k.arg in pos]
        found += [a for a in call.args[:2]]
        return found
    if isinstance(pos, int):
        return [call.args[pos]] if len(call.args) > pos else []
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return list(call.args)


def _static(tree: ast.Module, source: str) -> tuple[list[Diagnostic], list[Edit], list[str], list[TexItem]]:
    tokens = _string_tokens(source)
    # MathTex imported from Manim's submodule is still Manim's MathTex; any other binding of
    # the name (a def, an assignment, `import ... as MathTex`) makes it the scene's own
    bound = bound_names(tree, skip=manim_imports(tree))
    diags: list[Diagnostic] = []
    edits: list[Edit] = []
    rewrites: list[str] = []
    items: list[TexItem] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name is None or name not in _TEX_CALLS or (isinstance(func, ast.Name) and name in bound):
            continue
        label, (env, sep) = _TEX_CALLS[name]
        args = _tex_args(node, name)
        env, sep, custom_template = _call_options(node, env, sep)
        constant = args is not None and bool(args) and all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args)
        for arg in args or []:
            if isinstance(arg, ast.Constant | ast.JoinedStr):
                _check_traps(arg, tokens, source, diags, edits, rewrites)
        if not constant or args is None:
            continue
        values = []
        static_error = False
        for arg in args:
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            value = arg.value
            if label == "MathTex" and _unescaped_dollars(value):
                static_error = True
                fixed = _fix_literals(arg, tokens, _strip_dollars)
                diags.append(make("latex", "dollar-in-mathtex",
                                  "MathTex is already math mode: remove the $ signs (use Tex for text with "
                                  "$...$ inside)", source, arg.lineno, fixable=fixed is not None))
                if fixed:
                    edits.extend(fixed)
                    rewrites.append(f"line {arg.lineno}: removed $ from a MathTex string")
            bad = sorted({ch for ch in value if ch in UNICODE_MATH})
            if bad:
                static_error = True
                fixed = _fix_literals(arg, tokens, functools.partial(_replace_unicode, math=label == "MathTex"))
                shown = ", ".join(f"{ch} -> {UNICODE_MATH[ch]}" for ch in bad)
                diags.append(make("latex", "unicode-math",
                                  f"Unicode math symbols do not compile with Manim's default LaTeX template: "
                                  f"write TeX commands ({shown})", source, arg.lineno,
                                  fixable=fixed is not None))
                if fixed:
                    edits.extend(fixed)
                    rewrites.append(f"line {arg.lineno}: {', '.join(bad)} -> TeX commands")
            if any(c in value for c in _TRAP_ESCAPES.values()):
                static_error = True  # reported by _check_traps
            values.append(value)
        text = sep.join(values)
        line = args[0].lineno if args else node.lineno
        problem = _brace_problem(text)
        if problem:
            static_error = True
            diags.append(make("latex", "unbalanced-braces",
                              f"the {label} string has {problem}; Manim would silently add braces and "
                              "typeset the wrong formula: balance the braces", source, line,
                              snippet=text))
        items.append(TexItem(label, _manim_modify(text), env, line,
                             compile=not static_error and not custom_template))
    return diags, edits, rewrites, items


def _call_options(call: ast.Call, env: str | None, sep: str) -> tuple[str | None, str, bool]:
    custom = False
    for kw in call.keywords:
        if kw.arg == "tex_environment" and isinstance(kw.value, ast.Constant):
            env = kw.value.value if isinstance(kw.value.value, str) else None
        elif kw.arg == "arg_separator" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            sep = kw.value.value
        elif kw.arg == "tex_template":
            custom = True
    return env, sep, custom


# -- Python-string traps --------------------------------------------------------------------


def _traps(body: str) -> list[str]:
    """TeX commands whose backslash a Python escape swallowed: ["\\frac", "\\theta", ...]."""
    found: list[str] = []
    i = 0
    while i < len(body) - 1:
        if body[i] != "\\":
            i += 1
            continue
        c = body[i + 1]
        if c in _TRAP_ESCAPES and i + 2 < len(body) and body[i + 2].isalpha():
            j = i + 2
            while j < len(body) and body[j].isalpha():
                j += 1
            found.append("\\" + body[i + 1: j])
        i += 2
    return found


def _check_traps(node: ast.Constant | ast.JoinedStr, tokens: list[_Literal], source: str,
                 diags: list[Diagnostic], edits: list[Edit], rewrites: list[str]) -> None:
    for tok in _tokens_of(node, tokens):
        if "r" in tok.prefix.lower() or "b" in tok.prefix.lower():
            continue
        commands = _traps(tok.body)
        if not commands:
            continue
        if _raw_keeps_meaning(tok.body):
            edit = Edit(tok.line, tok.col, tok.line, tok.col, "r")
            how = "made it a raw string"
        else:
            new_body = re.sub(r"\\(.)", _double_trap, tok.body, flags=re.S)
            edit = Edit(tok.line, tok.col, tok.end_line, tok.end_col, tok.prefix + tok.quote + new_body + tok.quote)
            how = "doubled the backslashes"
        shown = ", ".join(dict.fromkeys(commands))
        diags.append(make("latex", "nonraw-escape",
                          f"{shown} in a non-raw string: Python turns the backslash and the next letter into a "
                          f"control character ({_names(commands)}), so TeX never sees the command; write the "
                          'string as a raw string r"..."', source, tok.line, fixable=True))
        edits.append(edit)
        rewrites.append(f"line {tok.line}: {shown} in a non-raw string -> {how}")


def _raw_keeps_meaning(body: str) -> bool:
    """True when an r prefix changes nothing but the trapped commands: every other escape in the
    body is one Python does not know (\\s, \\p, ...), which it keeps as written anyway."""
    if body.endswith("\\"):
        return False
    for m in re.finditer(r"\\(.)", body, re.S):
        c = m.group(1)
        if c not in _VALID_ESCAPES:
            continue
        after = body[m.end(): m.end() + 1]
        if not (c in _TRAP_ESCAPES and after.isalpha()):
            return False
    return True


def _double_trap(m: re.Match[str]) -> str:
    """re.sub callback over `\\x` pairs: double the backslash of a trapped TeX command."""
    c = m.group(1)
    after = m.string[m.end(): m.end() + 1]
    return "\\\\" + c if c in _TRAP_ESCAPES and after.isalpha() else m.group(0)


def _names(commands: list[str]) -> str:
    names = {"f": "form feed", "b": "backspace", "t": "tab", "n": "newline", "a": "bell",
             "v": "vertical tab", "r": "carriage return"}
    return ", ".join(dict.fromkeys(f"\\{c[1]} = {names[c[1]]}" for c in commands))


# -- other static checks ------------------------------------------------------------------------


def _unescaped_dollars(value: str) -> bool:
    return bool(re.search(r"(?<!\\)\$", value))


def _strip_dollars(body: str, raw: bool = False) -> str:
    return re.sub(r"(?<!\\)\$", "", body)


def _replace_unicode(body: str, raw: bool, math: bool) -> str:
    out: list[str] = []
    for i, ch in enumerate(body):
        cmd = UNICODE_MATH.get(ch)
        if cmd is None:
            out.append(ch)
            continue
        if not raw:
            cmd = cmd.replace("\\", "\\\\")
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if cmd[-1].isalpha() and nxt.isalpha():
            cmd += " "
        out.append(cmd if math or not cmd.startswith(("\\", "^")) else f"${cmd.strip()}$")
    return "".join(out)


def _fix_literals(node: ast.Constant, tokens: list[_Literal],
                  change: Callable[[str, bool], str]) -> list[Edit] | None:
    """Rewrite each token of the literal with change(body, raw); None when that is not safe."""
    toks = _tokens_of(node, tokens)
    if not toks:
        return None
    out: list[Edit] = []
    for tok in toks:
        if "f" in tok.prefix.lower() or "b" in tok.prefix.lower():
            return None
        new_body = change(tok.body, "r" in tok.prefix.lower())
        if new_body != tok.body:
            out.append(Edit(tok.line, tok.col, tok.end_line, tok.end_col, tok.prefix + tok.quote + new_body + tok.quote))
    return out


def _brace_problem(text: str) -> str:
    """Describe unbalanced braces the way Manim counts them ("" when balanced)."""
    lefts = text.count("{") - text.count("\\{") + text.count("\\\\{")
    rights = text.count("}") - text.count("\\}") + text.count("\\\\}")
    if lefts > rights:
        return f"{lefts - rights} unclosed '{{'"
    if rights > lefts:
        return f"{rights - lefts} unmatched '}}'"
    return ""


def _manim_modify(tex: str) -> str:
    """The parts of Manim's _modify_special_strings that change what compiles (not brace repair)."""
    tex = tex.strip()
    if tex in {"\\over", "\\overline", "\\sqrt", "\\sqrt{"} or tex.endswith(("_", "^", "dot")):
        tex += "{\\quad}"
    if tex == "\\substack" or tex == "":
        tex = "\\quad"
    if tex.startswith("\\\\"):
        tex = tex.replace("\\\\", "\\quad\\\\")
    lefts = len([s for s in tex.split("\\left")[1:] if s and s[0] in "(){}[]|.\\"])
    rights = len([s for s in tex.split("\\right")[1:] if s and s[0] in "(){}[]|.\\"])
    if lefts != rights:
        tex = tex.replace("\\left", "\\big").replace("\\right", "\\big")
    return tex


# -- compiling --------------------------------------------------------------------------------


def compile_batch(items: Sequence[TexItem], *, runner: Runner, workdir: Path | None = None,
                  timeout: float = LATEX_TIMEOUT) -> list[Diagnostic]:
    """Compile the items in one latex run; on failure, locate each failing item and go on after it."""
    base = Path(workdir) if workdir is not None else None
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="texcheck-", dir=base))
    try:
        return _compile_all(list(items), runner, tmp, timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compile_all(items: list[TexItem], runner: Runner, tmp: Path, timeout: float) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    todo = [items]
    runs = 0
    while todo and runs < 2 * len(items) + 4:
        batch = todo.pop(0)
        if not batch:
            continue
        runs += 1
        failure = _compile_once(batch, runner, tmp, timeout)
        if failure is None:
            continue
        index, message = failure
        if index is None and len(batch) == 1:
            index = 0
        if index is None:  # could not tell which: split and try the halves
            mid = len(batch) // 2
            todo[:0] = [batch[:mid], batch[mid:]]
            continue
        diags.append(_diagnostic(batch[index], message))
        todo.insert(0, batch[index + 1:])
    log.debug("latex preflight: %d item(s), %d run(s)", len(items), runs)
    return diags


def tex_document(items: Sequence[TexItem]) -> tuple[str, list[tuple[int, int]]]:
    """One document, each item in its own group and page; returns the text and each item's line span."""
    lines = [DOCUMENT_CLASS, *PREAMBLE.splitlines(), r"\begin{document}"]
    spans: list[tuple[int, int]] = []
    for item in items:
        start = len(lines) + 1
        lines.append(r"\begingroup")
        if item.environment:
            begin, end = _environment(item.environment)
            lines += [begin, *item.text.splitlines(), end]
        else:
            lines += item.text.splitlines() or [""]
        lines += [r"\endgroup", r"\clearpage"]
        spans.append((start, len(lines)))
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n", spans


def _environment(env: str) -> tuple[str, str]:
    """Manim's _texcode_for_environment: "align*" or "{tabular}{cc}" -> begin/end lines."""
    env = env.removeprefix(r"\begin").removeprefix("{")
    begin = r"\begin{" + env
    if "}" not in env:
        begin += "}"
    name = re.split(r"}", env, maxsplit=1)[0]
    return begin, r"\end{" + name + "}"


def _tex_env() -> dict[str, str]:
    """A scrubbed environment for latex: no secrets, and no reading or writing outside the run dir."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TEXMFHOME", "TEXMFVAR", "TEXMFCONFIG", "TEXINPUTS", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f"})
    return env


def _compile_once(items: Sequence[TexItem], runner: Runner, tmp: Path,
                  timeout: float) -> tuple[int | None, str] | None:
    text, spans = tex_document(items)
    (tmp / "batch.tex").write_text(text, encoding="utf-8")
    for leftover in ("batch.log", "batch.dvi", "batch.aux"):
        (tmp / leftover).unlink(missing_ok=True)
    argv = ["latex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "batch.tex"]
    try:
        done = runner(argv, cwd=tmp, env=_tex_env(), timeout=timeout, check=False)
    except ToolTimeout:
        return (0 if len(items) == 1 else None), f"LaTeX did not finish within {timeout:.0f} s"
    log_path = tmp / "batch.log"
    log_text = log_path.read_text("utf-8", "replace") if log_path.exists() else ""
    if done.returncode == 0 and "\n! " not in log_text:
        return None
    message, tex_line = _parse_log(log_text or done.stdout)
    if tex_line is not None:
        for i, (start, end) in enumerate(spans):
            if start <= tex_line <= end:
                return i, message
    return None, message


def _parse_log(log_text: str) -> tuple[str, int | None]:
    """The first `!` error with its context, and the `l.N` line it points at."""
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("! "):
            continue
        message = line[2:].strip()
        j = i + 1
        while j < len(lines) and lines[j].strip() and not lines[j].startswith(("l.", "See the", "Type")):
            if message.startswith("LaTeX Error") and not lines[j].startswith(("<", " ")):
                break
            j += 1
        context = lines[i + 1: j]
        if message.startswith("LaTeX Error:") and context and context[0].startswith(" "):
            message += " " + context[0].strip()
        if message.startswith("Undefined control sequence") and context:
            m = re.search(r"(\\[A-Za-z@]+|\\.)\s*$", context[0])
            if m:
                message = f"Undefined control sequence {m.group(1)}"
        tex_line = None
        for k in range(i + 1, min(i + 40, len(lines))):
            m = re.match(r"l\.(\d+)", lines[k])
            if m:
                tex_line = int(m.group(1))
                break
        return message, tex_line
    tail = [ln for ln in lines if ln.strip()][-3:]
    return " ".join(tail) or "latex failed without a message", None


def _diagnostic(item: TexItem, message: str) -> Diagnostic:
    hint = ""
    if message.startswith("Undefined control sequence"):
        hint = (": not a command of Manim's default template (amsmath, amssymb); use a standard command "
                "or add the package with a TexTemplate")
    elif "Unicode character" in message:
        hint = ": write the TeX command instead of the Unicode symbol"
    elif "Missing $ inserted" in message and item.label == "Tex":
        hint = ": math in Tex needs $...$ (or use MathTex)"
    elif "Missing" in message or "Argument of" in message or "Extra" in message:
        hint = ": a command is missing an argument or a brace"
    if item.label == "anchor":
        return Diagnostic("latex", "anchor-error", f"LaTeX error in anchor: {message}{hint}", None, item.text, False)
    return Diagnostic("latex", "latex-error", f"LaTeX error in {item.label} string: {message}{hint}",
                      item.line, item.text, False)


#: Manim's TeX classes whose strings a preflight compiles ahead, all at once (their exact TeX is
#: what Manim's own constructor writes: the child builds it with Manim's code, not ours).
_BATCH_CLASSES = ("MathTex", "Tex", "SingleStringMathTex", "Title")
#: Keyword arguments that change the TeX Manim writes; every other one (colour, size) does not.
_TEX_KWARGS = ("arg_separator", "substrings_to_isolate", "tex_to_color_map", "tex_environment")
#: Words of a scene that put numbers on screen: DecimalNumber typesets them digit by digit.
_NUMBER_WORDS = ("DecimalNumber", "Integer", "include_numbers", "add_coordinates", "add_numbers",
                 "Variable", "numbers_to_include", "get_number_mobject", "add_labels")
#: The formulas a DecimalNumber builds, one MathTex per character (Manim 0.22's mob_class).
_NUMBER_PARTS = tuple("0123456789-.")


def batch_tex_calls(source: str, scene_class: str | None = None) -> list[dict[str, Any]]:
    """Manim TeX calls whose TeX is known before the scene runs, for the preflight's one batch.

    Each is {"class", "args", "kwargs"} with plain strings only: a call with an f-string, a
    variable, `*args`, `**kwargs` or its own `tex_template` is left to Manim at run time. With
    `scene_class`, the other scenes of the file (its other chapters) are left out, unless the
    scene derives from them. Scenes that show numbers also get DecimalNumber's digits.
    """
    from builder.checks.contract import scene_classes

    try:
        tree = parse_python(source)
    except SyntaxError:
        return []
    bound = bound_names(tree, skip=manim_imports(tree))
    others = set()
    if scene_class is not None:
        classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
        mine, todo = set(), [scene_class]
        while todo:
            name = todo.pop()
            if name in classes and name not in mine:
                mine.add(name)
                todo += [b.id for b in classes[name].bases if isinstance(b, ast.Name)]
        others = {info.name for info in scene_classes(tree)} - mine
    calls: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(call: dict[str, Any]) -> None:
        key = json.dumps(call, sort_keys=True)
        if key not in seen:
            seen.add(key)
            calls.append(call)

    tops = [top for top in tree.body if not (isinstance(top, ast.ClassDef) and top.name in others)]
    for node in (node for top in tops for node in ast.walk(top)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name not in _BATCH_CLASSES or name in bound or not node.args:
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(args) != len(node.args):
            continue
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None or kw.arg == "tex_template":
                break
            if kw.arg not in _TEX_KWARGS:
                continue
            value = _tex_kwarg(kw.arg, kw.value)
            if value is None:
                break
            kwargs[kw.arg] = value
        else:
            add({"class": name, "args": args, "kwargs": kwargs})
    words = {w for top in tops for n in ast.walk(top) for w in (
        (n.id,) if isinstance(n, ast.Name) else (n.attr,) if isinstance(n, ast.Attribute)
        else (n.arg,) if isinstance(n, ast.keyword) and n.arg
        else (n.value,) if isinstance(n, ast.Constant) and isinstance(n.value, str) else ())}
    if words & set(_NUMBER_WORDS):
        for part in _NUMBER_PARTS:
            add({"class": "MathTex", "args": [part], "kwargs": {}})
    return calls


def _tex_kwarg(name: str, node: ast.expr) -> Any:
    """A TeX-changing keyword's value when it is plain data, else None (tex_to_color_map: its keys)."""
    if name == "tex_to_color_map" and isinstance(node, ast.Dict):
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
            return {k.value: "#FFFFFF" for k in node.keys}  # type: ignore[union-attr]  # colours come later
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if isinstance(value, tuple):
        value = list(value)
    ok = isinstance(value, str) or value is None or (
        isinstance(value, list) and all(isinstance(v, str) for v in value))
    return value if ok else None


def tex_strings(source: str) -> list[TexItem]:
    """Every TeX string of a scene as the preflight compiles it (for tools and tests)."""
    return _static(parse_python(source), source)[3]
