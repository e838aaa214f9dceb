"""The builder's settings schema: the `mathreel` plugin block in mkdocs.yml.

This is the one place a setting is declared: `builder.settings.Settings` is derived from it
field by field, and CLI flags and MATHREEL_* variables override those fields by name.
"""

from __future__ import annotations

import difflib

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError


class ModelConfig(base.Config):  # type: ignore[no-untyped-call]
    """The `model:` block: which OpenAI-compatible endpoint writes the scenes.

    Values are checked (ranges, URLs, provider names) by `builder.model.providers.resolve_model`,
    which also applies the presets and the MATHREEL_BASE_URL / MATHREEL_MODEL / MATHREEL_API_KEY
    variables; a key left out takes the preset's or the default value.
    """

    #: deepseek, openai, openrouter, ollama, vllm, or custom (any OpenAI-compatible base_url).
    provider = c.Optional(c.Type(str))
    #: URL of the API, e.g. http://localhost:8000/v1 (default: the provider's).
    base_url = c.Optional(c.Type(str))
    #: The model's name at that endpoint (default: the provider's).
    model = c.Optional(c.Type(str))
    #: NAME of the environment variable holding the API key (never the key itself).
    api_key_env = c.Optional(c.Type(str))
    #: Sampling temperature, 0 to 2.
    temperature = c.Optional(c.Type((int, float)))
    #: Longest answer, in tokens.
    max_tokens = c.Optional(c.Type((int, float)))
    #: Wall-clock limit of one request, in seconds.
    timeout_s = c.Optional(c.Type((int, float)))
    #: Retries of a request that failed for a passing reason (rate limit, 5xx, dropped stream).
    max_retries = c.Optional(c.Type((int, float)))
    #: Give up on a streamed answer silent for this many seconds.
    stall_timeout_s = c.Optional(c.Type((int, float)))


#: Keys that look like a place for a secret: refused with advice, not merely as unknown.
SECRET_KEYS = ("api_key", "key")


class ModelOption(c.SubConfig[ModelConfig]):
    """`model:` as a typed sub-config whose unknown keys are errors that name the key."""

    def run_validation(self, value: object) -> ModelConfig:
        """Refuse keys the schema lacks (MkDocs would only warn), then validate the rest."""
        if value is None:  # `model:` with nothing under it
            value = {}
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping such as {provider: deepseek, model: deepseek-chat}, "
                                  f"not {type(value).__name__}")
        allowed = model_keys()
        for key in value:
            if key in SECRET_KEYS:
                raise ValidationError(
                    f"`model.{key}` is not allowed: keys never go into files. Remove it, set the key in "
                    "an environment variable, and name that variable with `api_key_env` (for example "
                    "DEEPSEEK_API_KEY)")
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise ValidationError(f"unknown key `model.{key}`{hint}; allowed: {', '.join(allowed)}")
        result: ModelConfig = super().run_validation(value)
        return result


def model_keys() -> list[str]:
    """The keys the `model:` block accepts, in schema order."""
    return [name for name, _ in ModelConfig._schema]

class MathreelConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of `plugins: - mathreel:`; every field documents itself.

    Each field here is a field of `builder.settings.Settings` of the same name (a test holds
    them together): add a setting here and there, nowhere else.
    """

    #: Folder of concept specs (one YAML per concept), relative to mkdocs.yml.
    concepts_dir = c.Type(str, default="concepts")
    #: Folder of generated scenes, notes and meta.json (committed: the cache of record).
    scenes_dir = c.Type(str, default="scenes")
    #: Folder of rebuildable outputs: rendered media, PDFs, the build report.
    cache_dir = c.Type(str, default=".cache")
    #: Render quality: l 480p15, m 720p30, h 1080p60, k 2160p60.
    quality = c.Choice(("l", "m", "h", "k"), default="m")
    #: Scenes rendered at once; 0 means one per CPU core.
    jobs = c.Type(int, default=0)
    #: Renderer: auto (probe 3D scenes, Cairo for 2D), cairo, or opengl (Xvfb + Mesa).
    renderer = c.Choice(("auto", "cairo", "opengl"), default="auto")
    #: Wall-clock limit of one scene's render, in seconds.
    render_timeout = c.Type(int, default=900)
    #: Never call a model: cached scenes, else the anchor template.
    offline = c.Type(bool, default=False)
    #: The model endpoint: `provider` (deepseek, openai, openrouter, ollama, vllm, custom) or
    #: `base_url` + `model` + `api_key_env`; `temperature`, `max_tokens`, `timeout_s`,
    #: `max_retries`, `stall_timeout_s` (see ModelConfig).
    model = ModelOption()
    #: Model repair attempts after a failed check or render.
    repair_attempts = c.Type(int, default=3)
    #: Also send layout warnings (text off-frame or on top of other text) back for repair.
    repair_layout = c.Type(bool, default=False)
    #: Also send anchors that never appear on screen back to the model for repair.
    repair_anchors = c.Type(bool, default=False)
    #: Video formats: mp4 always; add webm for a VP9 WebM source beside it.
    formats = c.Type(list, default=["mp4"])
    #: Concepts generated at once: model requests in flight, with their checks.
    model_concurrency = c.Type(int, default=4)
    #: Run model-written scenes only inside the sandbox (bubblewrap). `off` runs them
    #: unconfined where the sandbox cannot start: only on a machine you can lose.
    sandbox = c.Type((bool, str), default=True)
    #: Above this many concepts, concept pages leave the sidebar (the gallery and the
    #: learning-path links still reach them): every page repeats the sidebar.
    nav_concepts_limit = c.Type(int, default=100)
    #: Under `mathreel serve` (or `mkdocs serve`), bring changed concepts up to date before
    #: each rebuild of the site; false serves only what is cached.
    pipeline_in_serve = c.Type(bool, default=True)


def setting_names() -> list[str]:
    """The fields of the `mathreel` block, in schema order."""
    return [name for name, _ in MathreelConfig._schema]
