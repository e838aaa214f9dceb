"""The build's record: what each stage found out, typed, versioned, and read in one place.

Three JSON files carry facts between stages and into the site:

* `scenes/<slug>/meta.json` (committed): who wrote the scene, with what tokens and attempts;
* `.cache/render/<key>/render.json`: what one published render holds;
* `.cache/build/report.json`: the last build's `ConceptRecord` per concept.

This module is the only one that reads them. Each reader validates field by field: an old,
damaged or hand-edited file is a cache miss with a warning, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from builder.fsutil import read_json, write_json
from builder.video.chapters import Chapter

log = logging.getLogger(__name__)

#: Version of report.json's layout; a report of another version is not read (a cache miss).
SCHEMA = 2
RENDER_JSON = "render.json"
META_FILE = "meta.json"


# -- small validators: a wrong type reads as absent ------------------------------------------

def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _int(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = data.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _float(data: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return dict(value) if isinstance(value, dict) else {}


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return list(value) if isinstance(value, list) else []


def _chapters(raw: list[Any]) -> tuple[Chapter, ...]:
    """Chapters as recorded; none at all when any entry is malformed."""
    out: list[Chapter] = []
    for item in raw:
        if not isinstance(item, dict):
            return ()
        start, end = _opt_float(item.get("start")), _opt_float(item.get("end"))
        if start is None or end is None or not 0 <= start < end:
            return ()
        out.append(Chapter(_str(item, "title"), start, end, _str(item, "scene_class")))
    return tuple(out)


# -- meta.json: the scene's own story ---------------------------------------------------------

@dataclass(frozen=True)
class Tokens:
    """Tokens the model calls of one scene used (completion includes reasoning, as APIs count)."""

    prompt: int = 0
    completion: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt + self.completion

    def __bool__(self) -> bool:
        return bool(self.prompt or self.completion or self.reasoning)

    @classmethod
    def from_json(cls, value: Any) -> Tokens:
        """The shape the generate stage writes: {"prompt", "completion", "reasoning"}."""
        if not isinstance(value, dict):
            return cls()
        return cls(_int(value, "prompt"), _int(value, "completion"), _int(value, "reasoning"))


@dataclass(frozen=True)
class Attempt:
    """One generation or repair attempt: what the checks said, what it cost."""

    number: int
    ok: bool
    diagnostics: str = ""
    rewrites: tuple[str, ...] = ()
    tokens: int = 0
    model_seconds: float = 0.0
    check_seconds: float = 0.0

    @classmethod
    def from_json(cls, value: Any, number: int) -> Attempt | None:
        """An attempt as the generate stage writes it; None for anything else."""
        if not isinstance(value, dict):
            return None
        return cls(number=_int(value, "attempt", number), ok=value.get("ok") is True,
                   diagnostics=_str(value, "diagnostics"),
                   rewrites=tuple(str(r) for r in _list(value, "rewrites")),
                   tokens=_int(value, "tokens"), model_seconds=_float(value, "model_seconds"),
                   check_seconds=_float(value, "check_seconds"))

    def to_json(self) -> dict[str, Any]:
        """The stored shape (the one from_json reads)."""
        return {"attempt": self.number, "ok": self.ok, "diagnostics": self.diagnostics,
                "rewrites": list(self.rewrites), "tokens": self.tokens,
                "model_seconds": self.model_seconds, "check_seconds": self.check_seconds}


def _attempts(raw: Any) -> tuple[Attempt, ...]:
    items = raw if isinstance(raw, list) else []
    found = (Attempt.from_json(a, n) for n, a in enumerate(items, start=1))
    return tuple(a for a in found if a is not None)


@dataclass(frozen=True)
class SceneFacts:
    """What meta.json says about who wrote a scene and how (typed; the rest stays in `raw`)."""

    provenance: str = ""
    generator: str = ""
    model: str = ""
    provider: str = ""
    scene_class: str = ""
    date: str = ""
    tokens: Tokens = Tokens()
    attempts: tuple[Attempt, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    #: The last model failure kept beside a scene that still stands (error, attempts, date).
    failure: str = ""
    failure_attempts: tuple[Attempt, ...] = ()

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> SceneFacts:
        """The typed view of a meta.json dict."""
        last = _dict(meta, "last_failure")
        date = _str(meta, "date")
        return cls(provenance=_str(meta, "provenance"), generator=_str(meta, "generator"),
                   model=_str(meta, "model"), provider=_str(meta, "provider"),
                   scene_class=_str(meta, "scene_class"),
                   date=date if date[:4].isdigit() else "",
                   tokens=Tokens.from_json(meta.get("tokens")),
                   attempts=_attempts(meta.get("attempts")),
                   versions={str(k): str(v) for k, v in _dict(meta, "versions").items()},
                   failure=_str(last, "error"), failure_attempts=_attempts(last.get("attempts")))


def read_meta(folder: Path) -> dict[str, Any]:
    """A scene folder's meta.json (empty when missing or unreadable)."""
    return read_json(folder / META_FILE) or {}


def write_meta(folder: Path, meta: Mapping[str, Any]) -> None:
    """Write a scene folder's meta.json atomically."""
    write_json(folder / META_FILE, dict(meta))


# -- render.json: one published render --------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """One storyboard frame: the image (relative to the render folder) and its time."""

    file: str
    time: float
    chapter: int | None = None


@dataclass(frozen=True)
class RenderInfo:
    """render.json of one published render, validated."""

    key: str
    seconds: float
    duration: float
    size: int
    quality: str
    key_parts: dict[str, Any] = field(default_factory=dict)
    resolution: str = ""
    width: int = 0
    height: int = 0
    codec: str = ""
    renderer: str = "cairo"
    sandbox: str = ""
    storyboard: tuple[Frame, ...] = ()
    layout: tuple[dict[str, Any], ...] = ()
    chapters: tuple[Chapter, ...] = ()
    tex_seen: dict[str, float] = field(default_factory=dict)
    join_seconds: float | None = None

    @property
    def manim(self) -> str:
        """The Manim version the render's key names ("" for a joined video)."""
        return str(self.key_parts.get("manim") or "")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RenderInfo:
        """Raises ValueError when a required field is missing or of the wrong type."""
        for name, kind in (("seconds", (int, float)), ("duration", (int, float)),
                           ("size", (int,)), ("quality", (str,))):
            if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
                raise ValueError(f"render.json: {name} is missing or not a {kind[0].__name__}")
        frames = []
        for item in _list(data, "storyboard"):
            if not isinstance(item, dict) or not _safe_relative(item.get("file")):
                continue
            chapter = item.get("chapter")
            frames.append(Frame(str(item["file"]), _float(item, "time"),
                                chapter if isinstance(chapter, int) and not isinstance(chapter, bool)
                                else None))
        seen = _dict(data, "tex_seen")
        return cls(key=_str(data, "key"), seconds=float(data["seconds"]),
                   duration=float(data["duration"]), size=int(data["size"]),
                   quality=str(data["quality"]), key_parts=_dict(data, "key_parts"),
                   resolution=_str(data, "resolution"), width=_int(data, "width"),
                   height=_int(data, "height"), codec=_str(data, "codec"),
                   renderer=_str(data, "renderer", "cairo"), sandbox=_str(data, "sandbox"),
                   storyboard=tuple(frames),
                   layout=tuple(w for w in _list(data, "layout") if isinstance(w, dict)),
                   chapters=_chapters(_list(data, "chapters")),
                   tex_seen={str(k): float(v) for k, v in seen.items() if _opt_float(v) is not None},
                   join_seconds=_opt_float(data.get("join_seconds")))

    def to_json(self, **extra: Any) -> dict[str, Any]:
        """The stored shape (plus `extra` facts kept for people: slug, preview size)."""
        return {
            "key": self.key, "key_parts": self.key_parts, "seconds": round(self.seconds, 3),
            "duration": round(self.duration, 3), "size": self.size, "quality": self.quality,
            "resolution": self.resolution, "width": self.width, "height": self.height,
            "codec": self.codec, "renderer": self.renderer, "sandbox": self.sandbox,
            "storyboard": [{k: v for k, v in asdict(f).items() if v is not None}
                           for f in self.storyboard],
            "layout": list(self.layout), "chapters": [asdict(c) for c in self.chapters],
            "tex_seen": self.tex_seen,
            **({"join_seconds": round(self.join_seconds, 3)} if self.join_seconds is not None else {}),
            **extra,
        }


def read_render_info(folder: Path) -> RenderInfo | None:
    """A render folder's render.json; None when missing or damaged (a warning says which)."""
    data = read_json(folder / RENDER_JSON)
    if data is None:
        return None
    try:
        return RenderInfo.from_json(data)
    except ValueError as exc:
        log.warning("render cache entry %s: %s; it will be rendered again", folder.name[:12], exc)
        return None


def write_render_info(folder: Path, info: RenderInfo, **extra: Any) -> None:
    """Write a render folder's render.json atomically."""
    write_json(folder / RENDER_JSON, info.to_json(**extra))


def _safe_relative(name: object) -> bool:
    """A file name from render.json stays inside the render folder."""
    if not isinstance(name, str) or not name:
        return False
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts


# -- report.json: the last build's record per concept -----------------------------------------

@dataclass(frozen=True)
class RendererDecision:
    """Which renderer drew the video, and why (a fallback says what failed)."""

    renderer: str = "cairo"
    why: str = ""
    measured: dict[str, Any] = field(default_factory=dict)
    fallback: str = ""

    def to_json(self) -> dict[str, Any]:
        """Stored shape; also what meta.json keeps under `renderer`."""
        out: dict[str, Any] = {"renderer": self.renderer, "why": self.why}
        if self.measured:
            out["measured"] = self.measured
        if self.fallback:
            out["fallback"] = self.fallback
        return out

    @classmethod
    def from_json(cls, value: Any) -> RendererDecision:
        """Read the stored shape (anything else: Cairo, no reason)."""
        if not isinstance(value, dict):
            return cls()
        return cls(_str(value, "renderer", "cairo"), _str(value, "why"), _dict(value, "measured"),
                   _str(value, "fallback"))


@dataclass(frozen=True)
class AnchorTime:
    """When an anchor is first on screen (None: never)."""

    label: str
    latex: str
    time: float | None


@dataclass(frozen=True)
class RenderFacts:
    """The render stage's result for a concept's video."""

    key: str
    seconds: float
    duration: float
    size: int
    quality: str
    renderer: RendererDecision = RendererDecision()
    sandbox: str = ""
    parts: dict[str, Any] = field(default_factory=dict)
    layout: tuple[dict[str, Any], ...] = ()
    chapters: tuple[Chapter, ...] = ()
    anchors: tuple[AnchorTime, ...] = ()
    quality_note: str = ""
    webm_key: str = ""

    def to_json(self) -> dict[str, Any]:
        """Stored shape."""
        return {"key": self.key, "seconds": round(self.seconds, 3),
                "duration": round(self.duration, 3), "size": self.size, "quality": self.quality,
                "renderer": self.renderer.to_json(), "sandbox": self.sandbox, "parts": self.parts,
                "layout": list(self.layout), "chapters": [asdict(c) for c in self.chapters],
                "anchors": [asdict(a) for a in self.anchors], "quality_note": self.quality_note,
                "webm_key": self.webm_key}

    @classmethod
    def from_json(cls, value: Any) -> RenderFacts | None:
        """Read the stored shape; None when it is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("key"), str):
            return None
        anchors = tuple(AnchorTime(_str(a, "label"), _str(a, "latex"), _opt_float(a.get("time")))
                        for a in _list(value, "anchors") if isinstance(a, dict))
        webm = _str(value, "webm_key")
        return cls(key=value["key"], seconds=_float(value, "seconds"),
                   duration=_float(value, "duration"), size=_int(value, "size"),
                   quality=_str(value, "quality"),
                   renderer=RendererDecision.from_json(value.get("renderer")),
                   sandbox=_str(value, "sandbox"), parts=_dict(value, "parts"),
                   layout=tuple(w for w in _list(value, "layout") if isinstance(w, dict)),
                   chapters=_chapters(_list(value, "chapters")), anchors=anchors,
                   quality_note=_str(value, "quality_note"),
                   webm_key=webm if webm.isalnum() else "")


@dataclass(frozen=True)
class NotesFacts:
    """The notes stage's result: the compiled PDF's key, pages and inputs."""

    key: str
    pages: int = 0
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def pandoc(self) -> str:
        """The pandoc version that compiled the notes."""
        return str(self.parts.get("pandoc") or "")

    @classmethod
    def from_json(cls, value: Any) -> NotesFacts | None:
        """Read the stored shape; None when it is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("key"), str):
            return None
        return cls(value["key"], _int(value, "pages"), _dict(value, "parts"))


@dataclass(frozen=True)
class VariantRecord:
    """Another model's take on a concept (`models:` in the spec), rendered beside the main one."""

    model: str
    folder: str
    status: str
    render_key: str | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, value: Any) -> VariantRecord | None:
        """Read the stored shape; None when the folder is not a plain name."""
        if not isinstance(value, dict):
            return None
        folder = _str(value, "folder")
        if not folder or not _safe_relative(folder) or "/" in folder:
            return None
        return cls(_str(value, "model", folder), folder, _str(value, "status"),
                   _opt_str(value, "render_key"), _opt_str(value, "error"))


#: The statuses of a concept: built (something was redone), cached, failed, pending (never built).
STATUSES = ("built", "cached", "failed", "pending")


@dataclass(frozen=True)
class ConceptRecord:
    """Everything the last build knows about one concept; the site and `status` read only this."""

    slug: str
    title: str
    status: str = "pending"
    provenance: str = ""
    generator: str = ""
    scene_class: str = ""
    hand_edited: bool = False
    #: The key of the render this build asked for (also when it failed).
    render_key: str | None = None
    render: RenderFacts | None = None
    notes: NotesFacts | None = None
    redone: tuple[str, ...] = ()
    error: str | None = None
    error_stage: str | None = None
    #: A failed concept keeps showing this render (the last one that worked).
    last_good_render_key: str | None = None
    variants: tuple[VariantRecord, ...] = ()

    def failed(self, stage: str, error: str) -> ConceptRecord:
        """This record, failed at `stage`."""
        return replace(self, status="failed", error=error, error_stage=stage)

    def to_json(self) -> dict[str, Any]:
        """Stored shape (report.json, under `concepts`)."""
        return {
            "slug": self.slug, "title": self.title, "status": self.status,
            "provenance": self.provenance, "generator": self.generator,
            "scene_class": self.scene_class, "hand_edited": self.hand_edited,
            "render_key": self.render_key,
            "render": self.render.to_json() if self.render else None,
            "notes": asdict(self.notes) if self.notes else None,
            "redone": list(self.redone), "error": self.error, "error_stage": self.error_stage,
            "last_good_render_key": self.last_good_render_key,
            "variants": [asdict(v) for v in self.variants],
        }

    @classmethod
    def from_json(cls, value: Any) -> ConceptRecord:
        """Read the stored shape (the scene's own facts stay in its meta.json: `SceneFacts`)."""
        if not isinstance(value, dict) or not isinstance(value.get("slug"), str):
            raise ValueError("not a concept record")
        status = _str(value, "status", "pending")
        variants = (VariantRecord.from_json(v) for v in _list(value, "variants"))
        return cls(
            slug=value["slug"], title=_str(value, "title"),
            status=status if status in STATUSES else "pending",
            provenance=_str(value, "provenance"), generator=_str(value, "generator"),
            scene_class=_str(value, "scene_class"), hand_edited=value.get("hand_edited") is True,
            render_key=_opt_str(value, "render_key"),
            render=RenderFacts.from_json(value.get("render")),
            notes=NotesFacts.from_json(value.get("notes")),
            redone=tuple(str(r) for r in _list(value, "redone")),
            error=_opt_str(value, "error"), error_stage=_opt_str(value, "error_stage"),
            last_good_render_key=_opt_str(value, "last_good_render_key"),
            variants=tuple(v for v in variants if v is not None))


@dataclass(frozen=True)
class BuildRecord:
    """The whole build: one record per concept, versions and totals (`.cache/build/report.json`)."""

    concepts: dict[str, ConceptRecord]
    started: str = ""
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    site_error: str | None = None

    @property
    def failed(self) -> list[ConceptRecord]:
        """Concepts that failed at some stage."""
        return [c for c in self.concepts.values() if c.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        """Stored shape."""
        return {"schema": SCHEMA, "started": self.started, "seconds": round(self.seconds, 3),
                "versions": self.versions, "site_error": self.site_error,
                "concepts": {slug: c.to_json() for slug, c in sorted(self.concepts.items())}}

    def save(self, path: Path) -> None:
        """Write the record atomically."""
        write_json(path, self.to_json())


def load_build_record(path: Path) -> BuildRecord:
    """The last build's record; an old, missing or damaged one reads as empty (with a warning)."""
    data = read_json(path)
    if data is None:
        if path.exists():
            log.warning("%s is damaged: every concept counts as not built", path)
        return BuildRecord(concepts={})
    if data.get("schema") != SCHEMA:
        log.warning("%s is from another mathreel version (schema %s, not %s): every concept "
                    "counts as not built", path, data.get("schema"), SCHEMA)
        return BuildRecord(concepts={})
    concepts: dict[str, ConceptRecord] = {}
    for slug, value in _dict(data, "concepts").items():
        try:
            concepts[str(slug)] = ConceptRecord.from_json(value)
        except ValueError:
            log.warning("%s: the record of %s is damaged; it counts as not built", path, slug)
    versions = {str(k): str(v) for k, v in _dict(data, "versions").items()}
    return BuildRecord(concepts=concepts, started=_str(data, "started"),
                       seconds=_float(data, "seconds"), versions=versions,
                       site_error=_opt_str(data, "site_error"))
