"""Chapters: join a multi-scene answer's videos into one, and describe its parts as WebVTT.

A concept whose scene file holds several Scene classes renders one MP4 per scene. The site shows
one video with a chapter per scene (or per `next_section` inside one scene), so a learner can
jump between parts. Joining copies the encoded packets (no quality loss, no encoding time) when
the parts were encoded alike, which is what Manim does for every scene of one render.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from builder.pyast import parse_python
from builder.video.media import atomic_output

log = logging.getLogger(__name__)

# A section index is read from a folder the sandboxed render wrote: bound what it may make us do.
MAX_SECTIONS = 200
MAX_INDEX_BYTES = 1 << 20
MAX_TITLE = 120
# Manim names the section it opens by itself (before any `next_section`) "autocreated".
_MANIM_FIRST_SECTION = "autocreated"


@dataclass(frozen=True)
class Chapter:
    """One chapter of a video: a title and where it lies, in seconds from the video's start."""

    title: str
    start: float
    end: float
    scene_class: str = ""


class _NotRemuxable(Exception):
    """Packet copy cannot give a valid file (timestamps would go backwards); re-encode instead."""


@dataclass(frozen=True)
class _Format:
    """What must match between parts for their packets to be copied into one stream."""

    codec: str
    width: int
    height: int
    pix_fmt: str
    rate: Fraction
    # The H.264 parameter sets (SPS/PPS) live here in MP4: one copy serves the whole output,
    # so parts whose encoder settings differ in any way cannot share it.
    extradata: bytes


def _format_of(path: Path) -> _Format:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        rate = stream.average_rate
        return _Format(codec=ctx.name, width=ctx.width, height=ctx.height,
                       pix_fmt=str(ctx.pix_fmt), rate=Fraction(rate) if rate else Fraction(0),
                       extradata=bytes(ctx.extradata or b""))


def join_videos(parts: Sequence[Path], out: Path) -> list[float]:
    """Join MP4 parts end to end into `out`; returns each part's start in seconds, then the total.

    For n parts the list has n + 1 bounds: part i plays from bounds[i] to bounds[i + 1]. Parts
    encoded alike (codec, size, pixel format, rate, parameter sets) are joined by copying their
    packets; otherwise (logged as a warning) every frame is re-encoded to H.264 at the first
    part's size and rate. `out` is replaced atomically, and only when the join succeeded.
    """
    if not parts:
        raise ValueError("join_videos needs at least one part")
    formats = [_format_of(part) for part in parts]
    with atomic_output(out) as tmp:
        if all(f == formats[0] for f in formats) and formats[0].codec == "h264":
            try:
                bounds = _remux(parts, tmp)
            except _NotRemuxable as why:
                log.warning("joining %d videos into %s by re-encoding: %s", len(parts), out, why)
                bounds = _reencode(parts, tmp, formats[0])
        else:
            log.warning("joining %d videos into %s by re-encoding: their encodings differ (%s)",
                        len(parts), out, _difference(formats))
            bounds = _reencode(parts, tmp, formats[0])
    return [float(b) for b in bounds]


def _difference(formats: list[_Format]) -> str:
    """Which fields differ between the first part and the others, for the warning."""
    first = formats[0]
    names = sorted({name for other in formats[1:] for name in first.__dataclass_fields__
                    if getattr(other, name) != getattr(first, name)})
    return ", ".join(names) or f"codec {first.codec} cannot be copied"


def _remux(parts: Sequence[Path], tmp: Path) -> list[Fraction]:
    """Copy every part's packets into one MP4, shifting timestamps by the parts before it."""
    import av

    bounds = [Fraction(0)]
    with av.open(str(parts[0])) as first, \
            av.open(str(tmp), mode="w", format="mp4") as target:
        stream = target.add_stream_from_template(first.streams.video[0])
        last_dts: Fraction | None = None
        for part in parts:
            with av.open(str(part)) as source:
                video = source.streams.video[0]
                base = video.time_base
                if not base:
                    raise _NotRemuxable(f"{part} has no time base")
                one_frame = Fraction(base.denominator, base.numerator) / _rate(video)
                origin = video.start_time or 0
                # The shift is exact in the part's own time base when the parts share it
                # (Manim's do); otherwise rounding is at most half a tick.
                shift = round(bounds[-1] / base) - origin
                low: int | None = None
                high: int | None = None
                for packet in source.demux(video):
                    if packet.dts is None or packet.pts is None:
                        continue  # the empty packet demux yields at the end of the file
                    span = packet.duration or round(one_frame)
                    low = packet.pts if low is None else min(low, packet.pts)
                    high = packet.pts + span if high is None else max(high, packet.pts + span)
                    packet.pts += shift
                    packet.dts += shift
                    dts = packet.dts * base
                    if last_dts is not None and dts <= last_dts:
                        raise _NotRemuxable(f"decode times in {part} would go backwards")
                    last_dts = dts
                    packet.stream = stream
                    target.mux(packet)
                if low is None or high is None:
                    raise ValueError(f"{part} has no video packets")
                bounds.append(bounds[-1] + (high - low) * base)
    return bounds


def _rate(stream: Any) -> Fraction:
    """A stream's frame rate as a fraction (15 when the file does not say)."""
    rate = stream.average_rate or stream.base_rate
    return Fraction(rate) if rate else Fraction(15)


def _reencode(parts: Sequence[Path], tmp: Path, first: _Format) -> list[Fraction]:
    """Decode every part and encode one H.264 stream at the first part's size and rate."""
    import av

    rate = first.rate or Fraction(15)
    # yuv420p H.264 needs even sides; a Manim render always has them, a stray part may not.
    width, height = first.width - first.width % 2, first.height - first.height % 2
    bounds = [Fraction(0)]
    with av.open(str(tmp), mode="w", format="mp4") as target:
        encoder = target.add_stream("libx264", rate=rate, options={"crf": "23"})
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        written = 0  # output frames so far; frame i is shown from i / rate
        for part in parts:
            with av.open(str(part)) as source:
                video = source.streams.video[0]
                part_start = written
                held: av.VideoFrame | None = None
                origin: float | None = None
                last_time = 0.0
                for frame in source.decode(video):
                    time = float(frame.time or 0.0)
                    origin = time if origin is None else origin
                    last_time = time - origin
                    # Place each frame at its own time on the output's frame grid: a faster
                    # part loses frames, a slower one has its frames held.
                    index = part_start + round(Fraction(last_time) * rate)
                    while held is not None and written < index:
                        written = _encode_at(target, encoder, held, written, rate)
                    held = frame.reformat(width=width, height=height, format="yuv420p")
                if held is None:
                    raise ValueError(f"{part} has no decodable frames")
                end = part_start + max(1, round((Fraction(last_time) + 1 / _rate(video)) * rate))
                while written < end:
                    written = _encode_at(target, encoder, held, written, rate)
                bounds.append(Fraction(written) / rate)
        target.mux(encoder.encode(None))
    return bounds


def _encode_at(target: Any, encoder: Any, frame: Any, index: int, rate: Fraction) -> int:
    """Encode `frame` as output frame `index`; returns the next index."""
    frame.pts = index
    frame.time_base = 1 / rate
    target.mux(encoder.encode(frame))
    return index + 1


# --------------------------------------------------------------------------- WebVTT


def _timestamp(seconds: float) -> str:
    """WebVTT time: HH:MM:SS.mmm (hours may pass 99, as the format allows)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(title: str) -> str:
    """A title as one line of cue text: entities escaped, so `<`, `&` and `-->` read as text."""
    flat = " ".join(title.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chapters_vtt(chapters: Sequence[Chapter]) -> str:
    """A WebVTT chapters track: the header, then one cue per chapter with its title."""
    lines = ["WEBVTT", ""]
    for number, chapter in enumerate(chapters, start=1):
        if not (math.isfinite(chapter.start) and math.isfinite(chapter.end)):
            raise ValueError(f"chapter {number} has a time that is not a number")
        if chapter.start < 0 or chapter.end <= chapter.start:
            raise ValueError(f"chapter {number} must satisfy 0 <= start < end, "
                             f"got {chapter.start}..{chapter.end}")
        title = _cue_text(chapter.title) or f"Chapter {number}"
        lines += [f"{_timestamp(chapter.start)} --> {_timestamp(chapter.end)}", title, ""]
    return "\n".join(lines)


def scene_chapters(scenes: Sequence[tuple[str, str]], bounds: Sequence[float]) -> list[Chapter]:
    """One chapter per (scene class, title), from join_videos' bounds."""
    if len(bounds) != len(scenes) + 1:
        raise ValueError(f"{len(scenes)} scenes need {len(scenes) + 1} bounds, got {len(bounds)}")
    return [Chapter(title=title, start=bounds[i], end=bounds[i + 1], scene_class=name)
            for i, (name, title) in enumerate(scenes)]


# --------------------------------------------------------------------------- Manim sections


def _number(value: object) -> Fraction | None:
    """A finite non-negative number from JSON (Manim writes them as strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, str) and len(value) <= 40:
        text = value.strip()
    else:
        return None
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return number if number >= 0 else None


def _section_length(entry: dict[str, Any]) -> Fraction | None:
    """A section's length: frames / rate when both are there (exact), else its duration."""
    frames, rate = _number(entry.get("nb_frames")), _number(entry.get("avg_frame_rate"))
    if frames is not None and rate and frames.denominator == 1:
        return frames / rate
    return _number(entry.get("duration"))


def read_sections(index_json: bytes, *, scene_class: str = "", offset: float = 0.0,
                  untitled: str = "Opening") -> list[Chapter]:
    """Chapters from Manim's `--save_sections` index (`sections/<Scene>.json`); [] if invalid.

    Sections follow each other in the scene's video, so each starts where the one before ended;
    `offset` places them inside a longer, joined video. The section Manim opens by itself before
    the first `next_section` is titled `untitled`.
    """
    if len(index_json) > MAX_INDEX_BYTES:
        return []
    try:
        entries = json.loads(index_json.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []
    if not isinstance(entries, list) or len(entries) > MAX_SECTIONS:
        return []
    chapters: list[Chapter] = []
    start = Fraction(offset)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            return []
        length = _section_length(entry)
        if length is None:
            return []
        if length == 0:
            continue  # an empty section takes no time: a zero-length cue is not valid WebVTT
        name = " ".join(entry["name"].split())[:MAX_TITLE]
        title = untitled if name in ("", _MANIM_FIRST_SECTION) else name
        chapters.append(Chapter(title=title, start=float(start), end=float(start + length),
                                scene_class=scene_class))
        start += length
    return chapters


# --------------------------------------------------------------------------- per-chapter keys


def chapter_code(source: str, scene_class: str, scene_names: Sequence[str]) -> str:
    """The code one chapter's video depends on: the file without the other chapters' classes.

    Helpers, imports and shared base classes stay; another chapter's class stays only when this
    one names it (a subclass, or a call to its methods). So editing chapter 3 changes chapter 3's
    key alone, and the other chapters' videos are reused.
    """
    import ast

    try:
        tree = parse_python(source)
    except SyntaxError:
        return source
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    needed = {scene_class}
    frontier = [scene_class]
    while frontier:  # the classes this chapter names, and the ones they name, transitively
        node = classes.get(frontier.pop())
        if node is None:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in classes and sub.id not in needed:
                needed.add(sub.id)
                frontier.append(sub.id)
    others = set(scene_names) - needed
    kept = [ast.get_source_segment(source, n) or "" for n in tree.body
            if not (isinstance(n, ast.ClassDef) and n.name in others)]
    return "\n".join(kept)
