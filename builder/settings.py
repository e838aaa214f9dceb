"""Settings of one build: the mkdocs.yml plugin block, resolved against the project folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder.errors import ConfigError
from builder.sandbox import Policy

QUALITY_FLAGS = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}


@dataclass(frozen=True)
class Settings:
    """Everything a build reads from configuration; paths are absolute."""

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
        """A copy with CLI overrides applied (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def env_overrides(env: Any) -> dict[str, Any]:
    """Build overrides passed through the environment (how `mathreel serve` hands its options
    to the MkDocs server): MATHREEL_QUALITY, MATHREEL_JOBS, MATHREEL_OFFLINE,
    MATHREEL_UNSAFE_NO_SANDBOX."""
    out: dict[str, Any] = {}
    if env.get("MATHREEL_QUALITY") in QUALITY_FLAGS:
        out["quality"] = env["MATHREEL_QUALITY"]
    if str(env.get("MATHREEL_JOBS", "")).isdigit():
        out["jobs"] = int(env["MATHREEL_JOBS"])
    if env.get("MATHREEL_OFFLINE") in ("1", "true", "yes"):
        out["offline"] = True
    if env.get("MATHREEL_UNSAFE_NO_SANDBOX") == "1":
        out["sandbox"] = False
    return out


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


def settings_from_plugin(config_file: Path, site_dir: Path, plugin_config: Any) -> Settings:
    """Build Settings from the validated `mathreel` plugin config."""
    root = config_file.parent.resolve()

    def folder(value: str) -> Path:
        return (root / value).resolve()

    return Settings(
        root=root,
        config_file=config_file.resolve(),
        concepts_dir=folder(plugin_config["concepts_dir"]),
        scenes_dir=folder(plugin_config["scenes_dir"]),
        cache_dir=folder(plugin_config["cache_dir"]),
        site_dir=site_dir.resolve(),
        quality=plugin_config["quality"],
        jobs=plugin_config["jobs"],
        render_timeout=plugin_config["render_timeout"],
        offline=plugin_config["offline"],
        model=dict(plugin_config["model"]),
        repair_attempts=plugin_config["repair_attempts"],
        renderer=plugin_config["renderer"],
        repair_layout=plugin_config["repair_layout"],
        repair_anchors=plugin_config["repair_anchors"],
        sandbox=_sandbox_setting(plugin_config["sandbox"], config_file),
        model_concurrency=max(1, int(plugin_config["model_concurrency"])),
        formats=_formats_setting(plugin_config["formats"], config_file),
    )


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


def load_mkdocs_config(config_file: Path) -> Any:
    """Load and validate mkdocs.yml with MkDocs itself (all of it, our block included)."""
    import logging

    from mkdocs import exceptions
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    try:
        return load_config(config_file=str(config_file))
    except exceptions.ConfigurationError as exc:
        raise ConfigError(f"{config_file}: {exc}") from None


def load_settings(config_file: Path) -> tuple[Settings, Any]:
    """Settings and the loaded MkDocs config for a project's mkdocs.yml."""
    config = load_mkdocs_config(config_file)
    plugin = config.plugins.get("mathreel")
    if plugin is None:
        raise ConfigError(f"{config_file}: the `mathreel` plugin is not enabled - add `- mathreel` "
                          "under `plugins:`")
    settings = settings_from_plugin(config_file, Path(config["site_dir"]), plugin.config)
    return settings, config
