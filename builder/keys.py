"""Cache keys: sha256 of canonical JSON of exactly what changes an output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Bump when the shape of anything stored under a key changes.
SCHEMA = 1


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and compact separators: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    """Hex sha256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_key(stage: str, parts: Mapping[str, Any]) -> str:
    """Key of one stage's output: hash of the schema, the stage name and its inputs."""
    return sha256_text(canonical_json({"schema": SCHEMA, "stage": stage, "parts": dict(parts)}))


def explain_change(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """Say in words why a key changed, from the parts recorded with the old key."""
    if old is None:
        return "new"
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not changed:
        # the same parts: the output was removed from the cache (or SCHEMA was bumped)
        return "not in the cache"
    return ", ".join(f"{name} changed" for name in changed)
