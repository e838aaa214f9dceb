"""The pipeline's stages, in the order a concept goes through them.

1. `generate`: scene.py and notes.md from the model (checked, repaired) or the anchor template.
2. `render`: the scene's video, with the renderer chosen and a fallback when OpenGL fails.
3. `notes`: the study notes as LaTeX and PDF.
4. `pages`: the gallery's pages, written as real files into the docs folder.

Each stage takes the build's `BuildContext` and returns its result or a `StageFailure`; only
`builder.build` records results, in one `ConceptRecord` per concept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from builder.record import ConceptRecord
from builder.runner import Runner, run
from builder.settings import Settings

if TYPE_CHECKING:
    from builder.stages.speculate import EarlyRenders

log = logging.getLogger("builder.build")


class Progress(Protocol):
    """Where the stages tell what they do; the CLI prints, tests collect."""

    def stage(self, name: str, total: int) -> None: ...
    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None: ...
    def model(self, slug: str, event: Any) -> None: ...


class LogProgress:
    """Progress that only logs (the default outside the CLI)."""

    def stage(self, name: str, total: int) -> None:
        """A stage starts with `total` items."""
        log.info("%s: %d item(s)", name, total)

    def item(self, stage: str, slug: str, status: str, detail: str = "") -> None:
        """One item finished a stage."""
        log.info("%s %s: %s %s", stage, slug, status, detail)

    def model(self, slug: str, event: Any) -> None:
        """Live progress of a model call (ignored here)."""


@dataclass(frozen=True)
class BuildContext:
    """What every stage of one build may read; nothing in it changes during the build."""

    settings: Settings
    runner: Runner = run
    progress: Progress = field(default_factory=LogProgress)
    #: A Dask scheduler's renderer (`--scheduler`), or None to render here.
    remote: Any = None
    #: The previous build's records, to say why something is redone and to keep a last good video.
    previous: dict[str, ConceptRecord] = field(default_factory=dict)
    #: Every concept's title, by slug (the notes link prerequisites by title).
    titles: dict[str, str] = field(default_factory=dict)
    #: The published site's address (`site_url`), for links back from the PDFs.
    page_url_base: str | None = None
    regenerate: bool = False
    #: Renders that model answers started beside their preflight (builder.stages.speculate).
    early: EarlyRenders | None = None


@dataclass(frozen=True)
class StageFailure:
    """A stage could not finish a concept: where, and the message for the user."""

    stage: str
    error: str
    #: A render that still stands in for the failed one (the last one that worked).
    last_good_render_key: str | None = None
    #: The render the stage tried to make, when it got that far.
    render_key: str | None = None
