"""Prompts: the scene and repair templates filled from a Concept; their hash keys the cache."""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cache
from importlib import resources
from typing import Any

from builder.errors import GenerateError
from builder.model.providers import ModelSettings
from builder.spec import Anchor, Concept

log = logging.getLogger(__name__)

TEMPLATE_FILES = ("repair.md", "scene.md")


def allowed_imports() -> tuple[str, ...]:
    """What the prompt tells the model it may import: the safety check's own list (one source)."""
    from builder.checks.safety import ALLOWED_IMPORTS

    return ("manim", *sorted(m for m in ALLOWED_IMPORTS if m != "__future__"))


#: The style module among the allowed imports: the prompt says what it offers, in one sentence.
STYLE_MODULE = "mathreel_style"
STYLE_NOTE = (
    "using `mathreel_style` is optional: it is mathreel's reviewed style module, with the gallery "
    "palette (`BG` for the background, `INK`, `MUTED` and the accents `C_BLUE`, `C_GOLD`, `C_GREEN`, "
    "`C_CORAL`, `C_VIOLET`), `FONT`, font sizes (`TITLE_SIZE`, `CAPTION_SIZE`, `BODY_SIZE`, "
    "`LABEL_SIZE`) and the helpers `make_title(text)` (top edge), `make_caption(text)` (bottom "
    "edge) and `swap(old, new)` (one caption out, the next in)"
)


def allowed_imports_text() -> str:
    """The prompt's list of allowed imports, with the style module explained."""
    names = allowed_imports()
    plain = ", ".join(n for n in names if n != STYLE_MODULE)
    return f"{plain}, {STYLE_MODULE}; {STYLE_NOTE}" if STYLE_MODULE in names else plain


FRAME_WIDTH = 14.2
FRAME_HEIGHT = 8.0

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_ROLE = re.compile(r"^<!--\s*role:\s*(system|user|assistant)\s*-->[ \t]*\n", re.MULTILINE)


def build_messages(concept: Concept, *, manim_version: str, duration: float) -> list[dict[str, str]]:
    """Chat messages asking for the scene and the notes of one concept."""
    values = _common_values(concept, manim_version=manim_version, duration=duration)
    return _render("scene.md", values)


def build_repair_messages(concept: Concept, *, manim_version: str, code: str, diagnostics: str,
                          attempt: int) -> list[dict[str, str]]:
    """Chat messages asking to fix a scene, given its code and the check or render diagnostics."""
    values = _common_values(concept, manim_version=manim_version, duration=concept.scene.duration)
    values.update(
        code=code.rstrip("\n"),
        diagnostics=diagnostics.strip() or "(no diagnostics were given)",
        attempt=str(attempt),
        fence=_fence_for(code, diagnostics),
    )
    system = [m for m in _render("scene.md", values) if m["role"] == "system"]
    return system + _render("repair.md", values)


def template_hash() -> str:
    """sha256 over the prompt templates' names and bytes: part of the generation cache key."""
    digest = hashlib.sha256()
    for name in TEMPLATE_FILES:
        digest.update(name.encode() + b"\0")
        digest.update(_template_bytes(name))
        digest.update(b"\0")
    return digest.hexdigest()


def generation_key_parts(concept: Concept, settings: ModelSettings, *, manim_version: str) -> dict[str, Any]:
    """Exactly what changes the model's answer (never the key, timeouts or retries)."""
    return {
        "title": concept.title,
        "prompt": concept.prompt,
        "level": concept.level,
        "anchors": [[a.label, a.latex] for a in concept.anchors],
        "duration": concept.scene.duration,
        "three_d": concept.scene.three_d,
        "scene_class": concept.scene_class,
        "template_hash": template_hash(),
        "provider": settings.provider,
        "endpoint": settings.endpoint_host(),
        "model": settings.model,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "manim_version": manim_version,
    }


def base_class(concept: Concept) -> str:
    """`ThreeDScene` for 3D concepts, else `Scene`."""
    return "ThreeDScene" if concept.scene.three_d else "Scene"


def python_literal(latex: str) -> str:
    """The LaTeX as a Python raw string literal a model can paste (falls back to repr)."""
    if "\n" in latex:
        if '"""' not in latex and not latex.endswith(("\\", '"')):
            return f'r"""{latex}"""'
    elif not latex.endswith("\\"):
        if '"' not in latex:
            return f'r"{latex}"'
        if "'" not in latex:
            return f"r'{latex}'"
    return repr(latex)


def anchors_block(anchors: tuple[Anchor, ...]) -> str:
    """The anchors as the prompt lists them: label, verbatim LaTeX, and the MathTex call."""
    parts = []
    for index, anchor in enumerate(anchors, start=1):
        parts.append(
            f"{index}. {anchor.label}\n"
            f"   LaTeX: {anchor.latex}\n"
            f"   In the scene: MathTex({python_literal(anchor.latex)})"
        )
    return "\n\n".join(parts)


def _common_values(concept: Concept, *, manim_version: str, duration: float) -> dict[str, str]:
    return {
        "title": concept.title,
        "level": concept.level,
        "prompt": concept.prompt.strip(),
        "anchors": anchors_block(concept.anchors),
        "scene_class": concept.scene_class,
        "base_class": base_class(concept),
        "duration": f"{duration:g}",
        "manim_version": manim_version,
        "allowed_imports": allowed_imports_text(),
        "frame": f"{FRAME_WIDTH:g} x {FRAME_HEIGHT:g}",
    }


def _fence_for(*texts: str) -> str:
    """A backtick fence longer than any backtick run in the texts it wraps."""
    longest = max((len(m) for t in texts for m in re.findall(r"`+", t)), default=0)
    return "`" * max(3, longest + 1)


@cache
def _template_bytes(name: str) -> bytes:
    try:
        return (resources.files("builder.model") / "prompts" / name).read_bytes()
    except OSError as exc:
        raise GenerateError(f"the prompt template {name} is missing from the package ({exc.strerror}): "
                            "reinstall mathreel") from None


def _render(name: str, values: dict[str, str]) -> list[dict[str, str]]:
    """Fill a template's {{placeholders}} in one pass and split it into chat messages."""
    text = _template_bytes(name).decode("utf-8").replace("\r\n", "\n")

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise GenerateError(f"the prompt template {name} uses {{{{{key}}}}}, which has no value")
        return values[key]

    messages: list[dict[str, str]] = []
    pieces = _ROLE.split(text)
    # split() gives [before, role1, body1, role2, body2, ...]
    if pieces[0].strip():
        messages.append({"role": "user", "content": _PLACEHOLDER.sub(fill, pieces[0]).strip()})
    for role, body in zip(pieces[1::2], pieces[2::2], strict=True):
        content = _PLACEHOLDER.sub(fill, body).strip()
        if content:
            messages.append({"role": role, "content": content})
    return messages
