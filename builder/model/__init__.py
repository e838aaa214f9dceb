"""Generation by a language model: settings, prompts, the client, and the answer parser.

Only `client` imports `openai`, and only inside its functions, so importing this package is cheap.
"""

from __future__ import annotations

from builder.model.parse import ParsedAnswer, parse_answer
from builder.model.prompt import (
    build_messages,
    build_repair_messages,
    generation_key_parts,
    template_hash,
)
from builder.model.providers import (
    PRESETS,
    ModelSettings,
    api_key,
    model_available,
    resolve_model,
)

__all__ = [
    "PRESETS",
    "ModelSettings",
    "ParsedAnswer",
    "api_key",
    "build_messages",
    "build_repair_messages",
    "generation_key_parts",
    "model_available",
    "parse_answer",
    "resolve_model",
    "template_hash",
]
