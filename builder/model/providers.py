"""Model settings: provider presets, the `model:` block of the builder settings, env overrides."""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from builder.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "deepseek"

#: What each provider needs; `needs_key: False` means a local server that takes any key.
PRESETS: dict[str, dict[str, Any]] = {
    "deepseek": {
        "base_url": "https://api.deepseek.com",
        "model": "deepseek-chat",
        "api_key_env": "DEEPSEEK_API_KEY",
        "needs_key": True,
    },
    "openai": {
        "base_url": "https://api.openai.com/v1",
        "model": "gpt-4.1",
        "api_key_env": "OPENAI_API_KEY",
        "needs_key": True,
    },
    "openrouter": {
        "base_url": "https://openrouter.ai/api/v1",
        "model": "deepseek/deepseek-chat",
        "api_key_env": "OPENROUTER_API_KEY",
        "needs_key": True,
    },
    "ollama": {
        "base_url": "http://localhost:11434/v1",
        "model": "qwen2.5-coder:7b",
        "api_key_env": "",
        "needs_key": False,
    },
    "vllm": {
        "base_url": "http://localhost:8000/v1",
        "model": "Qwen/Qwen2.5-Coder-7B-Instruct",
        "api_key_env": "",
        "needs_key": False,
    },
    # Any other OpenAI-compatible endpoint: base_url and model must be given.
    "custom": {
        "base_url": "",
        "model": "",
        "api_key_env": "MATHREEL_API_KEY",
        "needs_key": False,
    },
}

#: Sampling and robustness defaults, shared by every provider.
DEFAULTS: dict[str, Any] = {
    "temperature": 0.2,
    "max_tokens": 8192,
    "timeout_s": 600.0,
    "max_retries": 3,
    "stall_timeout_s": 120.0,
}

#: Keys allowed in the `model:` mapping of the builder settings.
SETTING_KEYS = (
    "provider", "base_url", "model", "api_key_env",
    "temperature", "max_tokens", "timeout_s", "max_retries", "stall_timeout_s",
)

#: The key given to servers that need none (the openai client refuses an empty key).
NO_KEY_NEEDED = "not-needed"

ENV_BASE_URL = "MATHREEL_BASE_URL"
ENV_MODEL = "MATHREEL_MODEL"
ENV_API_KEY = "MATHREEL_API_KEY"

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ModelSettings:
    """Where and how to ask a model; holds the *name* of the key's env var, never the key."""

    provider: str
    base_url: str
    model: str
    api_key_env: str
    temperature: float
    max_tokens: int
    timeout_s: float
    max_retries: int
    stall_timeout_s: float = 120.0
    needs_key: bool = True

    def endpoint_host(self) -> str:
        """Host (and port) of the endpoint, without scheme, credentials or path."""
        return _host_of(self.base_url)

    def describe(self) -> str:
        """`model @ host`, for logs and the build report."""
        return f"{self.model} @ {self.endpoint_host()}"


def resolve_model(raw: Mapping[str, Any] | str | None, *, override: str | None = None,
                  env: Mapping[str, str]) -> ModelSettings:
    """Resolve settings: preset < `model:` in mkdocs.yml < MATHREEL_* env < per-concept override."""
    problems: list[str] = []
    if raw is None:
        raw_map: dict[str, Any] = {}
    elif isinstance(raw, str):
        raw_map = _split_override(raw, problems, where="the `model:` setting")
    elif isinstance(raw, Mapping):
        raw_map = dict(raw)
    else:
        raise ConfigError(
            f"the `model:` setting must be a mapping such as {{provider: deepseek, model: deepseek-chat}}, "
            f"not {type(raw).__name__}")

    if "api_key" in raw_map or "key" in raw_map:
        problems.append(
            "`api_key` is not allowed in the settings: keys never go into files. Remove it, set the key "
            "in an environment variable, and name that variable with `api_key_env` (for example DEEPSEEK_API_KEY)")
        raw_map.pop("api_key", None)
        raw_map.pop("key", None)
    for key in raw_map:
        if key not in SETTING_KEYS:
            problems.append(f"unknown key `model.{key}`{_did_you_mean(key, SETTING_KEYS)}; "
                            f"allowed: {', '.join(SETTING_KEYS)}")

    provider = _provider_name(raw_map.get("provider", DEFAULT_PROVIDER), problems)
    preset = PRESETS[provider]
    base_url = preset["base_url"]
    model = preset["model"]
    api_key_env = preset["api_key_env"]
    needs_key = bool(preset["needs_key"])

    if "base_url" in raw_map:
        base_url = _text(raw_map["base_url"], "base_url", problems) or base_url
    if "model" in raw_map:
        model = _text(raw_map["model"], "model", problems) or model
    if "api_key_env" in raw_map:
        name = _text(raw_map["api_key_env"], "api_key_env", problems)
        if name is not None:
            if _ENV_NAME_RE.match(name):
                api_key_env = name
                needs_key = True
            else:
                # Deliberately not echoing the value: it may be a key pasted by mistake.
                problems.append("`model.api_key_env` must be the NAME of an environment variable "
                                "(letters, digits, _), not the key itself; if you pasted a key into "
                                "mkdocs.yml, remove it and revoke it")
    numbers = {
        "temperature": _number(raw_map, "temperature", DEFAULTS["temperature"], 0.0, 2.0, problems),
        "max_tokens": int(_number(raw_map, "max_tokens", DEFAULTS["max_tokens"], 256, 1_000_000, problems, integer=True)),
        "timeout_s": _number(raw_map, "timeout_s", DEFAULTS["timeout_s"], 1.0, 86_400.0, problems),
        "max_retries": int(_number(raw_map, "max_retries", DEFAULTS["max_retries"], 0, 20, problems, integer=True)),
        "stall_timeout_s": _number(raw_map, "stall_timeout_s", DEFAULTS["stall_timeout_s"], 0.1, 86_400.0, problems),
    }

    # Environment: one-off runs and CI point the build elsewhere without editing mkdocs.yml.
    env_base = env.get(ENV_BASE_URL, "").strip()
    if env_base:
        base_url = env_base
    env_model = env.get(ENV_MODEL, "").strip()
    if env_model:
        model = env_model
    env_key = env.get(ENV_API_KEY, "").strip()
    if env_key:
        api_key_env = ENV_API_KEY

    # Per-concept override: wins for the model; naming another provider switches endpoint and key.
    if override is not None and override.strip():
        parsed = _split_override(override, problems, where="the concept's model")
        new_provider = parsed.get("provider")
        if new_provider is not None and new_provider != provider and new_provider in PRESETS:
            provider = new_provider
            preset = PRESETS[provider]
            base_url = preset["base_url"]
            # MATHREEL_API_KEY belongs to the configured endpoint: never send it to another provider.
            api_key_env = preset["api_key_env"]
            needs_key = bool(preset["needs_key"])
            if provider == "custom":
                problems.append(f"the concept's model {override!r} names the custom provider, "
                                "which has no base_url; set `model.base_url` in mkdocs.yml instead")
        if parsed.get("model"):
            model = parsed["model"]

    if not base_url:
        problems.append(f"provider {provider!r} needs `model.base_url` (or {ENV_BASE_URL}), the URL of "
                        "an OpenAI-compatible API such as http://localhost:8000/v1")
    elif not _valid_url(base_url):
        problems.append(f"`model.base_url` {_safe_url(base_url)!r} is not an http(s) URL")
    if not model:
        problems.append(f"provider {provider!r} needs `model.model` (or {ENV_MODEL}), the model name")

    if problems:
        count = len(problems)
        raise ConfigError(f"{count} problem{'s' if count != 1 else ''} in the model settings "
                          f"(the `model:` block of the mathreel plugin in mkdocs.yml):\n"
                          + "\n".join(f"  - {p}" for p in problems))

    settings = ModelSettings(
        provider=provider, base_url=base_url.rstrip("/"), model=model, api_key_env=api_key_env,
        temperature=float(numbers["temperature"]), max_tokens=int(numbers["max_tokens"]),
        timeout_s=float(numbers["timeout_s"]), max_retries=int(numbers["max_retries"]),
        stall_timeout_s=float(numbers["stall_timeout_s"]),
        needs_key=needs_key or (api_key_env == ENV_API_KEY and bool(env_key)),
    )
    log.debug("model settings: %s (%s)", settings.describe(), settings.provider)
    return settings


def with_model(settings: ModelSettings, model: str) -> ModelSettings:
    """The same settings asking another model of the same endpoint."""
    return replace(settings, model=model)


def api_key(settings: ModelSettings, env: Mapping[str, str]) -> str | None:
    """The key to send, from the environment; None when one is needed and missing."""
    if settings.api_key_env:
        value = env.get(settings.api_key_env, "").strip()
        if value:
            return value
    if not settings.needs_key:
        return NO_KEY_NEEDED
    return None


def model_available(settings: ModelSettings, env: Mapping[str, str]) -> bool:
    """True when a key is present or the provider needs none."""
    return api_key(settings, env) is not None


def missing_key_message(settings: ModelSettings) -> str:
    """What to do when no key is set: names the variable, never a value."""
    name = settings.api_key_env or ENV_API_KEY
    return (f"no API key for {settings.provider} ({settings.endpoint_host()}): set the environment "
            f"variable {name} (or {ENV_API_KEY}), or build with --offline to use the anchor template")


def _split_override(text: str, problems: list[str], *, where: str) -> dict[str, Any]:
    """`model` or `provider:model`; a colon after a non-provider word is part of the name (qwen2.5:7b)."""
    text = text.strip()
    head, sep, tail = text.partition(":")
    if sep and head in PRESETS:
        if not tail.strip():
            problems.append(f"{where} {text!r} names provider {head!r} but no model: write {head}:MODEL")
            return {"provider": head}
        return {"provider": head, "model": tail.strip()}
    if sep and "/" not in head and not any(c in head for c in ".-_0123456789"):
        # A bare word before the colon that is not a provider: most likely a typo of one.
        close = difflib.get_close_matches(head.lower(), list(PRESETS), n=1, cutoff=0.6)
        if close:
            problems.append(f"{where} {text!r}: unknown provider {head!r} (did you mean {close[0]!r}?); "
                            f"providers: {', '.join(PRESETS)}")
            return {}
    return {"model": text}


def _provider_name(value: Any, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"`model.provider` must be one of: {', '.join(PRESETS)}")
        return DEFAULT_PROVIDER
    name = value.strip().lower()
    if name not in PRESETS:
        problems.append(f"unknown provider {value!r}{_did_you_mean(name, PRESETS)}; "
                        f"use one of: {', '.join(PRESETS)} (custom: any OpenAI-compatible base_url)")
        return DEFAULT_PROVIDER
    return name


def _text(value: Any, key: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"`model.{key}` must be non-empty text")
        return None
    return value.strip()


def _number(raw: Mapping[str, Any], key: str, default: float, low: float, high: float,
            problems: list[str], *, integer: bool = False) -> float:
    if key not in raw:
        return float(default)
    value = raw[key]
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer and not float(value).is_integer():
        ok = False
    if not ok or not math.isfinite(float(value)) or not low <= float(value) <= high:
        kind = "a whole number" if integer else "a number"
        problems.append(f"`model.{key}` must be {kind} from {low:g} to {high:g}, not {value!r}")
        return float(default)
    return float(value)


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def _safe_url(url: str) -> str:
    """The URL without any user:password part, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=netloc).geturl()
