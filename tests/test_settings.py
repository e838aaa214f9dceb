"""One settings route: schema default < mkdocs.yml < MATHREEL_* < CLI flags, for every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from builder.cli import _overrides, make_parser
from builder.errors import ConfigError
from builder.settings import (
    ENV_VARS,
    Settings,
    apply_overrides,
    default_settings,
    env_for,
    load_settings,
    settings_fields,
)
from builder.site.config import model_keys, setting_names


def project(tmp_path: Path, block: dict[str, Any] | None = None) -> Path:
    """A minimal mkdocs.yml whose `mathreel` block is `block` (nothing else is needed to load it)."""
    plugin: Any = {"mathreel": block} if block else "mathreel"
    (tmp_path / "docs").mkdir(parents=True, exist_ok=True)
    config = tmp_path / "mkdocs.yml"
    config.write_text(yaml.safe_dump({"site_name": "t", "plugins": [plugin]}), encoding="utf-8")
    return config


# --------------------------------------------------------------------------- precedence

#: field: (default, in mkdocs.yml, (variable, text), the variable's value, from the CLI)
LAYERS: dict[str, tuple[Any, Any, tuple[str, str], Any, Any]] = {
    "quality": ("m", "l", ("MATHREEL_QUALITY", "h"), "h", "k"),
    "jobs": (0, 2, ("MATHREEL_JOBS", "3"), 3, 5),
    "offline": (False, False, ("MATHREEL_OFFLINE", "1"), True, False),
    "sandbox": (True, True, ("MATHREEL_UNSAFE_NO_SANDBOX", "1"), False, True),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_each_source_overrides_the_one_below(tmp_path: Path, name: str) -> None:
    default, in_yml, (var, text), from_env, from_cli = LAYERS[name]
    plain = project(tmp_path / "plain")
    set_in_yml = project(tmp_path / "yml", {name: in_yml})
    env = {var: text}
    # default < mkdocs.yml < env < CLI, each layer on its own and under the ones above
    assert getattr(load_settings(plain, env={})[0], name) == default
    assert getattr(load_settings(set_in_yml, env={})[0], name) == in_yml
    assert getattr(load_settings(set_in_yml, env=env)[0], name) == from_env
    assert getattr(load_settings(plain, env=env)[0], name) == from_env
    assert getattr(load_settings(set_in_yml, cli={name: from_cli}, env=env)[0], name) == from_cli
    assert getattr(load_settings(plain, cli={name: from_cli}, env={})[0], name) == from_cli
    # a flag not given (None) lets the layers below show through
    assert getattr(load_settings(set_in_yml, cli={name: None}, env=env)[0], name) == from_env


def test_all_layers_at_once_on_several_fields(tmp_path: Path) -> None:
    config = project(tmp_path, {"quality": "l", "jobs": 2, "render_timeout": 60})
    settings, _ = load_settings(config, cli={"quality": "k"},
                                env={"MATHREEL_QUALITY": "h", "MATHREEL_JOBS": "3"})
    assert (settings.quality, settings.jobs, settings.render_timeout, settings.repair_attempts) == (
        "k", 3, 60, 3)


def test_environment_values_that_mean_nothing_are_ignored(tmp_path: Path) -> None:
    config = project(tmp_path, {"quality": "l", "jobs": 2, "offline": True})
    settings, _ = load_settings(config, env={"MATHREEL_QUALITY": "x", "MATHREEL_JOBS": "many",
                                             "MATHREEL_OFFLINE": "0", "MATHREEL_UNSAFE_NO_SANDBOX": "yes"})
    assert (settings.quality, settings.jobs, settings.offline, settings.sandbox) == ("l", 2, True, True)


def test_an_override_that_is_not_a_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="qualty"):
        load_settings(project(tmp_path), cli={"qualty": "l"}, env={})


def test_the_default_layer_is_the_schema(tmp_path: Path) -> None:
    """A lone scene file outside any project gets the schema's defaults, under the same overrides."""
    loaded, _ = load_settings(project(tmp_path), env={})
    assert default_settings(tmp_path) == loaded
    assert apply_overrides(default_settings(tmp_path), cli={"jobs": 7},
                           env={"MATHREEL_JOBS": "3"}).jobs == 7


def test_folders_resolve_against_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(tmp_path / "gallery", {"concepts_dir": "specs", "cache_dir": "../cache"})
    monkeypatch.chdir(tmp_path)
    settings, _ = load_settings(config, env={})
    root = (tmp_path / "gallery").resolve()
    assert settings.root == root and settings.config_file == config.resolve()
    assert settings.concepts_dir == root / "specs"
    assert settings.scenes_dir == root / "scenes"
    assert settings.cache_dir == tmp_path.resolve() / "cache"
    assert settings.site_dir == root / "site"


# --------------------------------------------------------------------------- the CLI's flags and serve's variables


@pytest.mark.parametrize("argv", [["build", "--unsafe-no-sandbox"], ["generate", "x", "--unsafe-no-sandbox"],
                                  ["serve", "--unsafe-no-sandbox"], ["check", "x.py", "--unsafe-no-sandbox"]])
def test_unsafe_no_sandbox_turns_the_policy_off(tmp_path: Path, argv: list[str]) -> None:
    config = project(tmp_path)
    assert not load_settings(config, env={})[0].policy.unconfined_ok
    args = make_parser().parse_args(argv)
    assert load_settings(config, cli=_overrides(args), env={})[0].policy.unconfined_ok


def test_sandbox_off_and_the_variable_turn_the_policy_off(tmp_path: Path) -> None:
    assert load_settings(project(tmp_path / "a", {"sandbox": "off"}), env={})[0].policy.unconfined_ok
    assert load_settings(project(tmp_path / "b", {"sandbox": False}), env={})[0].policy.unconfined_ok
    on = project(tmp_path / "c", {"sandbox": "on"})
    assert not load_settings(on, env={})[0].policy.unconfined_ok
    assert load_settings(on, env={"MATHREEL_UNSAFE_NO_SANDBOX": "1"})[0].policy.unconfined_ok
    with pytest.raises(ConfigError, match="sandbox: off"):
        load_settings(project(tmp_path / "d", {"sandbox": "maybe"}), env={})


def test_build_flags_become_overrides() -> None:
    args = make_parser().parse_args(["build", "-q", "l", "-j", "3", "--offline"])
    assert _overrides(args) == {"quality": "l", "jobs": 3, "offline": True, "sandbox": None}
    assert _overrides(make_parser().parse_args(["build"])) == {
        "quality": None, "jobs": None, "offline": None, "sandbox": None}
    assert set(_overrides(make_parser().parse_args(["status"])).values()) == {None}


def test_serve_hands_its_flags_on_through_the_same_route(tmp_path: Path) -> None:
    """What `mathreel serve` puts in the environment gives the server's rebuilds its own settings."""
    config = project(tmp_path, {"quality": "m", "jobs": 1})
    args = make_parser().parse_args(["serve", "-q", "h", "-j", "4", "--offline", "--unsafe-no-sandbox"])
    env = env_for(_overrides(args))
    assert set(env) == set(ENV_VARS)
    assert load_settings(config, env=env)[0] == load_settings(config, cli=_overrides(args), env={})[0]


def test_the_plugin_reads_its_settings_by_the_same_route(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(tmp_path, {"quality": "l"})
    monkeypatch.setenv("MATHREEL_JOBS", "6")
    settings, mkdocs_config = load_settings(config, cli={"quality": "k"})
    plugin = mkdocs_config.plugins["mathreel"]
    assert not hasattr(plugin, "settings_override")
    from_plugin = plugin.settings(mkdocs_config)
    assert (from_plugin.quality, from_plugin.jobs) == ("l", 6)  # no flags reach it, the variables do
    assert (settings.quality, settings.jobs) == ("k", 6)


# --------------------------------------------------------------------------- the model block

#: A valid value for each key of the `model:` block.
MODEL_SAMPLES: dict[str, Any] = {
    "provider": "custom", "base_url": "http://127.0.0.1:8000/v1", "model": "m", "api_key_env": "MY_KEY",
    "temperature": 0.7, "max_tokens": 4096, "timeout_s": 30, "max_retries": 1, "stall_timeout_s": 9.5,
}


def test_the_model_schema_is_the_resolvers() -> None:
    from builder.model.providers import SETTING_KEYS

    assert model_keys() == list(SETTING_KEYS)
    assert set(MODEL_SAMPLES) == set(model_keys())


@pytest.mark.parametrize("key", sorted(MODEL_SAMPLES))
def test_each_model_key_is_accepted(tmp_path: Path, key: str) -> None:
    settings, _ = load_settings(project(tmp_path, {"model": {key: MODEL_SAMPLES[key]}}), env={})
    assert settings.model == {key: MODEL_SAMPLES[key]}


def test_a_full_model_block_resolves(tmp_path: Path) -> None:
    from builder.model.providers import resolve_model

    settings, _ = load_settings(project(tmp_path, {"model": MODEL_SAMPLES}), env={})
    assert settings.model == MODEL_SAMPLES
    model = resolve_model(settings.model, env={})
    assert (model.base_url, model.timeout_s, model.stall_timeout_s) == ("http://127.0.0.1:8000/v1", 30.0, 9.5)


@pytest.mark.parametrize(("key", "named"), [("timeout", "model.timeout"), ("temprature", "model.temprature"),
                                            ("api_key", "model.api_key")])
def test_an_unknown_model_key_is_an_error_naming_it(tmp_path: Path, key: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named) as info:
        load_settings(project(tmp_path, {"model": {"provider": "ollama", key: 1}}), env={})
    if key == "api_key":
        assert "keys never go into files" in str(info.value)
    else:
        assert "allowed: provider, base_url" in str(info.value)


def test_a_model_value_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        load_settings(project(tmp_path, {"model": {"max_tokens": "lots"}}), env={})
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(project(tmp_path / "b", {"model": "deepseek-chat"}), env={})


# --------------------------------------------------------------------------- schema and Settings agree

#: A value unlike the default for every field of the `mathreel` block.
SAMPLES: dict[str, Any] = {
    "concepts_dir": "specs", "scenes_dir": "store", "cache_dir": "tmp-cache", "quality": "h", "jobs": 3,
    "renderer": "cairo", "render_timeout": 60, "offline": True, "model": {"provider": "ollama"},
    "repair_attempts": 1, "repair_layout": True, "repair_anchors": True, "formats": ["mp4", "webm"],
    "model_concurrency": 2, "sandbox": "off", "nav_concepts_limit": 5, "pipeline_in_serve": False,
}


def test_every_schema_field_is_a_settings_field() -> None:
    assert sorted(setting_names()) == sorted(settings_fields())
    assert set(SAMPLES) == set(setting_names()), "add a sample value for the new field"


def test_every_schema_field_reaches_settings(tmp_path: Path) -> None:
    defaults = default_settings(tmp_path / "b")
    settings, _ = load_settings(project(tmp_path / "b", SAMPLES), env={})
    assert isinstance(settings, Settings)
    unchanged = [name for name in setting_names() if getattr(settings, name) == getattr(defaults, name)]
    assert unchanged == [], f"set in mkdocs.yml but not in Settings: {unchanged}"
    assert settings.formats == ("mp4", "webm") and settings.sandbox is False
