"""Settings of one build, and the one route that makes them.

The `mathreel` block of mkdocs.yml (its schema: `builder.site.config.MathreelConfig`) is the
single declaration of every setting. `Settings.from_config` turns it into `Settings` once, and
`apply_overrides` lays the MATHREEL_* environment variables and then the CLI flags over it;
`resolve_settings` and `load_settings` do both for a loaded or an unloaded mkdocs.yml. Every
command and the MkDocs plugin come through here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from builder.errors import ConfigError
from builder.sandbox import Policy

log = logging.getLogger(__name__)

QUALITY_FLAGS = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}

#: Settings fields that do not come from the `mathreel` block: where the project and its site are.
LOCATION_FIELDS = ("root", "config_file", "site_dir")


@dataclass(frozen=True)
class Settings:
    """Everything a build reads from configuration; paths are absolute.

    Besides `root`, `config_file` and `site_dir`, each field is a field of the `mathreel` block
    of mkdocs.yml (MathreelConfig) of the same name; the defaults here only serve code and tests
    that build Settings by hand, a loaded config takes the schema's.
    """

    root: Path
    config_file: Path
    concepts_dir: Path
    scenes_dir: Path
    cache_dir: Path
    site_dir: Path
    quality: str = "m"
    jobs: int = 0
    render_timeout: int = 900
    offline: bool = False
    #: The `model:` block, only the keys that were given (resolve_model fills in the rest).
    model: dict[str, Any] = field(default_factory=dict)
    repair_attempts: int = 3
    renderer: str = "auto"
    repair_layout: bool = False
    #: Also send anchors that never show on screen back to the model.
    repair_anchors: bool = False
    #: Video formats of every render besides MP4 (a concept's `scene.formats` overrides).
    formats: tuple[str, ...] = ("mp4",)
    #: Concepts generated at once (model calls in flight, and their checks).
    model_concurrency: int = 4
    #: False only when the user opted out in so many words (`sandbox: off`, --unsafe-no-sandbox).
    sandbox: bool = True
    #: Above this many concepts, concept pages leave the sidebar.
    nav_concepts_limit: int = 100
    #: Under `mkdocs serve`, bring changed concepts up to date before each rebuild.
    pipeline_in_serve: bool = True

    @classmethod
    def from_config(cls, config_file: Path, site_dir: Path, plugin_config: Mapping[str, Any]) -> Settings:
        """Settings from the validated `mathreel` plugin config (mkdocs.yml and the schema's
        defaults): every schema field, by name; folders resolved against the project folder."""
        from builder.site.config import setting_names

        root = config_file.parent.resolve()
        where = config_file.resolve()

        def folder(value: Any, _: Path) -> Path:
            return (root / str(value)).resolve()

        # How a schema value becomes a Settings value; any other field is taken as it is.
        convert: dict[str, Callable[[Any, Path], Any]] = {
            "concepts_dir": folder,
            "scenes_dir": folder,
            "cache_dir": folder,
            "model": _model_setting,
            "formats": _formats_setting,
            "sandbox": _sandbox_setting,
            "model_concurrency": lambda value, _: max(1, int(value)),
        }
        values = {name: convert.get(name, _as_is)(plugin_config[name], where)
                  for name in setting_names()}
        return cls(root=root, config_file=where, site_dir=site_dir.resolve(), **values)

    @property
    def policy(self) -> Policy:
        """What may run without bubblewrap: model code only when the sandbox is turned off."""
        return Policy(unconfined_ok=not self.sandbox)

    @property
    def render_dir(self) -> Path:
        """Rendered media, one folder per render key."""
        return self.cache_dir / "render"

    @property
    def notes_dir(self) -> Path:
        """Compiled notes, one folder per notes key."""
        return self.cache_dir / "notes"

    @property
    def tex_dir(self) -> Path:
        """Manim's TeX cache, shared by every render."""
        return self.cache_dir / "tex"

    @property
    def report_path(self) -> Path:
        """The last build's report, read by the site."""
        return self.cache_dir / "build" / "report.json"

    @property
    def lock_path(self) -> Path:
        """Lock file held while a build runs."""
        return self.cache_dir / "build.lock"

    def effective_jobs(self) -> int:
        """Parallel renders: the setting, or the number of cores."""
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with these fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_fields() -> list[str]:
    """Names of the Settings fields that come from the `mathreel` block."""
    return [f.name for f in fields(Settings) if f.name not in LOCATION_FIELDS]


# --------------------------------------------------------------------------- the environment layer


@dataclass(frozen=True)
class EnvVar:
    """One MATHREEL_* variable: the setting it carries, read from and written to text."""

    setting: str
    #: The setting's value from the variable's text; None: not set; ValueError: meaningless.
    read: Callable[[str], Any]
    #: The text that carries a value (how `mathreel serve` hands a flag on); None: cannot.
    write: Callable[[Any], str | None]


def _choice(text: str) -> str:
    if text not in QUALITY_FLAGS:
        raise ValueError(text)
    return text


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(text)
    return int(text)


def _flag(setting: str, when_set: bool, *, words: tuple[str, ...]) -> EnvVar:
    """A variable that, set to one of `words`, turns a boolean setting to `when_set`;
    0, false, no (or empty) leave the setting to mkdocs.yml."""

    def read(text: str) -> bool | None:
        if text.strip().lower() in words:
            return when_set
        if text.strip().lower() in ("", "0", "false", "no"):
            return None
        raise ValueError(text)

    return EnvVar(setting, read, lambda value: words[0] if value is when_set else None)


#: The settings the environment overrides. MATHREEL_BASE_URL, MATHREEL_MODEL and MATHREEL_API_KEY
#: are read where the model is resolved (builder.model.providers.resolve_model), with the key.
ENV_VARS: dict[str, EnvVar] = {
    "MATHREEL_QUALITY": EnvVar("quality", _choice, lambda value: str(value) if value in QUALITY_FLAGS else None),
    "MATHREEL_JOBS": EnvVar("jobs", _count,
                            lambda value: str(value) if isinstance(value, int) and value >= 0 else None),
    "MATHREEL_OFFLINE": _flag("offline", True, words=("1", "true", "yes")),
    # Opting out of the sandbox takes exactly 1, as it always has.
    "MATHREEL_UNSAFE_NO_SANDBOX": _flag("sandbox", False, words=("1",)),
}


def env_for(cli: Mapping[str, Any]) -> dict[str, str]:
    """The MATHREEL_* variables that carry these CLI overrides to another process (`mathreel
    serve` sets them for the MkDocs server's rebuilds); settings no variable carries are left out."""
    out: dict[str, str] = {}
    for name, var in ENV_VARS.items():
        value = cli.get(var.setting)
        text = var.write(value) if value is not None else None
        if text is not None:
            out[name] = text
    return out


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        text = env.get(name)
        if text is None:
            continue
        try:
            value = var.read(str(text))
        except ValueError:
            log.warning("ignoring %s=%r: not a value of the `%s` setting", name, text, var.setting)
            continue
        if value is not None:
            out[var.setting] = value
    return out


# --------------------------------------------------------------------------- the one route


def apply_overrides(settings: Settings, *, cli: Mapping[str, Any] | None = None,
                    env: Mapping[str, str] | None = None) -> Settings:
    """Lay this run's overrides over settings read from mkdocs.yml.

    Precedence, highest first: CLI flags > MATHREEL_* environment variables > the `mathreel`
    block of mkdocs.yml > the schema's default (MathreelConfig).

    `cli` maps Settings field names to values; None means "flag not given" (so the layer below
    shows through). `env` is the environment to read (None: os.environ); the variables are in
    ENV_VARS, and a value that means nothing (MATHREEL_JOBS=many) is ignored with a warning.
    """
    cli = dict(cli or {})
    unknown = sorted(set(cli) - set(settings_fields()))
    if unknown:
        raise ValueError(f"not a setting: {', '.join(unknown)}")
    layered = settings.with_overrides(**_env_layer(os.environ if env is None else env))
    return layered.with_overrides(**cli)


def resolve_settings(mkdocs_config: Any, *, cli: Mapping[str, Any] | None = None,
                     env: Mapping[str, str] | None = None) -> Settings:
    """This run's Settings from a loaded MkDocs config: its `mathreel` block, then
    `apply_overrides` (CLI > env > mkdocs.yml > default). The plugin calls this with its config."""
    config_file = mkdocs_config.config_file_path
    if not config_file:
        raise ConfigError("the MkDocs config was not read from a file: mathreel needs its mkdocs.yml")
    plugin = mkdocs_config.plugins.get("mathreel")
    if plugin is None:
        raise ConfigError(f"{config_file}: the `mathreel` plugin is not enabled - add `- mathreel` "
                          "under `plugins:`")
    base = Settings.from_config(Path(config_file), Path(mkdocs_config["site_dir"]), plugin.config)
    return apply_overrides(base, cli=cli, env=env)


def load_settings(config_file: Path, *, cli: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None) -> tuple[Settings, Any]:
    """Load mkdocs.yml with MkDocs, then `resolve_settings`: this run's Settings and the config.
    `env` None reads os.environ; pass {} to see mkdocs.yml alone."""
    config = load_mkdocs_config(config_file)
    return resolve_settings(config, cli=cli, env=env), config


def default_settings(root: Path) -> Settings:
    """Settings of a project at `root` whose `mathreel` block sets nothing: the schema's defaults
    (for a lone scene file outside any project, under `apply_overrides` like any other)."""
    from builder.site.config import MathreelConfig

    config_file = root / "mkdocs.yml"
    config = MathreelConfig(config_file_path=str(config_file))
    config.load_dict({})
    failed, _ = config.validate()
    if failed:  # a default that fails its own schema is a bug here, not the user's
        raise AssertionError(f"the mathreel schema's defaults do not validate: {failed}")
    return Settings.from_config(config_file, root / "site", config)


def find_config(start: Path | None = None) -> Path:
    """Find mkdocs.yml in `start` or its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in ("mkdocs.yml", "mkdocs.yaml"):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    raise ConfigError(f"no mkdocs.yml in {here} or its parents - run mathreel inside a gallery "
                      "project (a folder with mkdocs.yml and concepts/), or pass --config-file")


def load_mkdocs_config(config_file: Path) -> Any:
    """Load and validate mkdocs.yml with MkDocs itself (all of it, our block included)."""
    from mkdocs import exceptions
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    # MkDocs logs each invalid value and then aborts: keep those lines for our own error.
    errors: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            errors.append(record.getMessage())
            return False
        return True

    validation_log = logging.getLogger("mkdocs.config")
    validation_log.addFilter(keep)
    try:
        return load_config(config_file=str(config_file))
    except exceptions.Abort:
        raise ConfigError(f"{config_file}: " + ("\n  ".join(errors) or "invalid configuration")) from None
    except exceptions.ConfigurationError as exc:
        raise ConfigError(f"{config_file}: {exc}") from None
    finally:
        validation_log.removeFilter(keep)


# --------------------------------------------------------------------------- field conversions


def _as_is(value: Any, _: Path) -> Any:
    return value


def _model_setting(value: Any, _: Path) -> dict[str, Any]:
    """The `model:` sub-config as a plain mapping of the keys given (unset ones are None)."""
    return {key: item for key, item in dict(value or {}).items() if item is not None}


def _formats_setting(value: Any, config_file: Path) -> tuple[str, ...]:
    """`formats: [mp4, webm]`: MP4 always, first (the player's first source)."""
    from builder.spec import FORMATS

    names = [value] if isinstance(value, str) else list(value or [])
    unknown = [str(n) for n in names if n not in FORMATS]
    if unknown:
        raise ConfigError(f"{config_file}: mathreel: formats: unknown {', '.join(unknown)} - use "
                          f"a list of {', '.join(FORMATS)}, e.g. `formats: [mp4, webm]`")
    return tuple(["mp4", *(n for n in FORMATS[1:] if n in names)])


def _sandbox_setting(value: Any, config_file: Path) -> bool:
    """`sandbox: on | off` (YAML reads the bare words as booleans; strings are accepted too)."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("on", "true", "yes"):
        return True
    if str(value).lower() in ("off", "false", "no"):
        return False
    raise ConfigError(f"{config_file}: mathreel: sandbox: {value!r} - use `sandbox: on` (the "
                      "default) or `sandbox: off` (runs model-written code unconfined)")
