"""The builder's settings schema: the `mathreel` plugin block in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class MathreelConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of `plugins: - mathreel:`; every field documents itself."""

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
    #: The model endpoint: `provider` (deepseek, openai, openrouter, ollama, vllm) or
    #: `base_url` + `model` + `api_key_env`; `temperature`, `max_tokens`, `timeout`.
    model = c.Type(dict, default={})
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
