"""Model settings: presets, the `model:` block, MATHREEL_* env overrides, per-concept overrides."""

from __future__ import annotations

import pytest

from builder.errors import ConfigError
from builder.model.providers import (
    NO_KEY_NEEDED,
    PRESETS,
    ModelSettings,
    api_key,
    missing_key_message,
    model_available,
    resolve_model,
)

NO_ENV: dict[str, str] = {}


@pytest.mark.parametrize(("provider", "base_url", "model", "key_env"), [
    ("deepseek", "https://api.deepseek.com", "deepseek-chat", "DEEPSEEK_API_KEY"),
    ("openai", "https://api.openai.com/v1", PRESETS["openai"]["model"], "OPENAI_API_KEY"),
    ("openrouter", "https://openrouter.ai/api/v1", PRESETS["openrouter"]["model"], "OPENROUTER_API_KEY"),
])
def test_hosted_presets(provider: str, base_url: str, model: str, key_env: str) -> None:
    settings = resolve_model({"provider": provider}, env=NO_ENV)
    assert (settings.provider, settings.base_url, settings.model, settings.api_key_env) == (
        provider, base_url, model, key_env)
    assert not model_available(settings, NO_ENV)
    assert api_key(settings, NO_ENV) is None
    assert api_key(settings, {key_env: "k-1"}) == "k-1"
    assert model_available(settings, {key_env: "k-1"})
    assert key_env in missing_key_message(settings)


@pytest.mark.parametrize(("provider", "base_url"), [
    ("ollama", "http://localhost:11434/v1"),
    ("vllm", "http://localhost:8000/v1"),
])
def test_local_presets_need_no_key(provider: str, base_url: str) -> None:
    settings = resolve_model({"provider": provider}, env=NO_ENV)
    assert settings.base_url == base_url
    assert model_available(settings, NO_ENV)
    assert api_key(settings, NO_ENV) == NO_KEY_NEEDED


def test_default_is_deepseek() -> None:
    raws: tuple[dict[str, object] | None, ...] = (None, {})
    for raw in raws:
        settings = resolve_model(raw, env=NO_ENV)
        assert settings.provider == "deepseek"
        assert settings.model == "deepseek-chat"
        assert settings.endpoint_host() == "api.deepseek.com"
        assert settings.temperature == 0.2 and settings.max_tokens == 8192
        assert settings.max_retries >= 1 and settings.timeout_s > 0


def test_mapping_overrides_preset() -> None:
    raw = {"provider": "deepseek", "model": "deepseek-reasoner", "temperature": 0.7, "max_tokens": 4000,
           "timeout_s": 120, "max_retries": 5, "stall_timeout_s": 30}
    settings = resolve_model(raw, env=NO_ENV)
    assert settings == ModelSettings(
        provider="deepseek", base_url="https://api.deepseek.com", model="deepseek-reasoner",
        api_key_env="DEEPSEEK_API_KEY", temperature=0.7, max_tokens=4000, timeout_s=120.0, max_retries=5,
        stall_timeout_s=30.0, needs_key=True)


def test_custom_endpoint() -> None:
    raw = {"provider": "custom", "base_url": "https://llm.example.org:8443/v1/", "model": "my-model",
           "api_key_env": "EXAMPLE_KEY"}
    settings = resolve_model(raw, env=NO_ENV)
    assert settings.base_url == "https://llm.example.org:8443/v1"
    assert settings.endpoint_host() == "llm.example.org:8443"
    assert settings.api_key_env == "EXAMPLE_KEY"
    assert not model_available(settings, NO_ENV)
    assert api_key(settings, {"EXAMPLE_KEY": " sekrit "}) == "sekrit"


def test_base_url_without_provider_keeps_default_provider_key() -> None:
    settings = resolve_model({"base_url": "http://10.0.0.5:8000/v1", "model": "m"}, env=NO_ENV)
    assert settings.base_url == "http://10.0.0.5:8000/v1"
    assert settings.api_key_env == "DEEPSEEK_API_KEY"


def test_local_server_with_key_env_needs_the_key() -> None:
    settings = resolve_model({"provider": "vllm", "api_key_env": "VLLM_KEY"}, env=NO_ENV)
    assert not model_available(settings, NO_ENV)
    assert api_key(settings, {"VLLM_KEY": "v"}) == "v"


def test_string_shorthand() -> None:
    settings = resolve_model("openai:gpt-4o-mini", env=NO_ENV)
    assert (settings.provider, settings.model) == ("openai", "gpt-4o-mini")
    assert resolve_model("deepseek-reasoner", env=NO_ENV).model == "deepseek-reasoner"


def test_env_overrides() -> None:
    env = {"MATHREEL_BASE_URL": "http://127.0.0.1:9999/v1", "MATHREEL_MODEL": "env-model",
           "MATHREEL_API_KEY": "env-key", "DEEPSEEK_API_KEY": "ds-key"}
    settings = resolve_model({"provider": "deepseek", "model": "deepseek-chat"}, env=env)
    assert settings.base_url == "http://127.0.0.1:9999/v1"
    assert settings.model == "env-model"
    assert settings.api_key_env == "MATHREEL_API_KEY"
    assert api_key(settings, env) == "env-key"


def test_mathreel_api_key_alone_counts_as_a_key() -> None:
    env = {"MATHREEL_API_KEY": "env-key"}
    settings = resolve_model(None, env=env)
    assert model_available(settings, env)
    assert api_key(settings, env) == "env-key"


def test_empty_env_values_are_ignored() -> None:
    env = {"MATHREEL_BASE_URL": "", "MATHREEL_MODEL": "  ", "MATHREEL_API_KEY": ""}
    settings = resolve_model(None, env=env)
    assert settings == resolve_model(None, env=NO_ENV)


def test_per_concept_model_override() -> None:
    settings = resolve_model({"provider": "deepseek", "temperature": 0.5}, override="deepseek-reasoner", env=NO_ENV)
    assert (settings.provider, settings.model, settings.temperature) == ("deepseek", "deepseek-reasoner", 0.5)


def test_per_concept_provider_override_switches_endpoint_and_key() -> None:
    env = {"MATHREEL_API_KEY": "for-the-configured-endpoint", "MATHREEL_MODEL": "env-model"}
    settings = resolve_model({"provider": "deepseek", "max_tokens": 3000}, override="openrouter:qwen/qwen3-coder",
                             env=env)
    assert settings.provider == "openrouter"
    assert settings.base_url == "https://openrouter.ai/api/v1"
    assert settings.model == "qwen/qwen3-coder"
    assert settings.max_tokens == 3000
    # The key meant for the configured endpoint never goes to another provider.
    assert settings.api_key_env == "OPENROUTER_API_KEY"
    assert api_key(settings, env) is None


def test_override_wins_over_env_model() -> None:
    settings = resolve_model(None, override="deepseek-reasoner", env={"MATHREEL_MODEL": "env-model"})
    assert settings.model == "deepseek-reasoner"


@pytest.mark.parametrize(("override", "provider", "model"), [
    ("qwen2.5-coder:7b", "ollama", "qwen2.5-coder:7b"),
    ("ollama:llama3.1:8b", "ollama", "llama3.1:8b"),
    ("vllm:Qwen/Qwen2.5-7B", "vllm", "Qwen/Qwen2.5-7B"),
])
def test_colons_in_model_names(override: str, provider: str, model: str) -> None:
    settings = resolve_model({"provider": "ollama"}, override=override, env=NO_ENV)
    assert (settings.provider, settings.model) == (provider, model)


def test_unknown_provider_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown provider 'deepsek' \(did you mean 'deepseek'\?\)"):
        resolve_model({"provider": "deepsek"}, env=NO_ENV)


def test_unknown_provider_in_override_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'openrouter'"):
        resolve_model(None, override="openroute:some-model", env=NO_ENV)


def test_unknown_key_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown key `model.temprature` \(did you mean 'temperature'\?\)"):
        resolve_model({"temprature": 0.3}, env=NO_ENV)


def test_every_problem_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_model({"provider": "openaj", "temperature": 9, "max_tokens": 1.5, "timeout_s": "long",
                       "max_retries": True, "modle": "x"}, env=NO_ENV)
    text = str(info.value)
    assert "6 problems" in text
    for part in ("'openai'", "temperature", "max_tokens", "timeout_s", "max_retries", "'model'"):
        assert part in text


def test_api_key_in_settings_is_refused_without_echo() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_model({"provider": "deepseek", "api_key": "sk-live-abcdef123456"}, env=NO_ENV)
    assert "sk-live-abcdef123456" not in str(info.value)
    assert "api_key_env" in str(info.value)


def test_key_pasted_into_api_key_env_is_refused_without_echo() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_model({"api_key_env": "sk-live-abc/def+123456"}, env=NO_ENV)
    assert "sk-live-abc" not in str(info.value)
    assert "NAME of an environment variable" in str(info.value)


@pytest.mark.parametrize(("raw", "message"), [
    ({"provider": "custom", "model": "m"}, "needs `model.base_url`"),
    ({"provider": "custom", "base_url": "http://x/v1"}, "needs `model.model`"),
    ({"base_url": "ftp://example.org"}, "not an http(s) URL"),
    ({"provider": 3}, "must be one of"),
    ({"model": ""}, "non-empty text"),
])
def test_invalid_settings(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_model(raw, env=NO_ENV)


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        resolve_model(["deepseek"], env=NO_ENV)  # type: ignore[arg-type]


def test_credentials_in_base_url_never_shown() -> None:
    settings = resolve_model({"provider": "custom", "base_url": "https://user:pw@llm.example.org/v1", "model": "m"},
                             env=NO_ENV)
    assert settings.endpoint_host() == "llm.example.org"
    with pytest.raises(ConfigError) as info:
        resolve_model({"base_url": "ftp://user:pw@example.org"}, env=NO_ENV)
    assert "pw" not in str(info.value)


def test_settings_hold_no_key() -> None:
    env = {"DEEPSEEK_API_KEY": "sk-super-secret-value"}
    settings = resolve_model(None, env=env)
    assert "sk-super-secret-value" not in repr(settings)
    assert api_key(settings, env) == "sk-super-secret-value"
