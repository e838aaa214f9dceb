"""Reading rendered video with PyAV: duration, poster frame, preview, storyboard frames."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from builder.errors import ToolError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    """Facts about an encoded video."""

    duration: float
    width: int
    height: int
    fps: float
    codec: str


def probe(video: Path) -> VideoInfo:
    """Open the video and read its stream facts; raises av errors on a broken file."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        duration = float(container.duration) / 1_000_000 if container.duration else 0.0
        if not duration and stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        rate = float(stream.average_rate) if stream.average_rate else 0.0
        return VideoInfo(duration=duration, width=stream.codec_context.width,
                         height=stream.codec_context.height, fps=rate,
                         codec=stream.codec_context.name)


#: A target at most this far past the last decoded frame is reached by decoding on; one
#: further away by a seek (to the keyframe before it). Manim joins one file per animation, so
#: its videos have a keyframe every second or two: a seek per target decoded most of that
#: stretch again for each of the 36 frames a render takes (0.42 s against 0.15 s here, -ql).
FORWARD_S = 2.0

#: How frames are shrunk: libswscale's Lanczos straight from the decoded YUV, chroma at full
#: width (as a full-size RGB copy had it). Within a level or two of that copy resized with
#: Pillow's Lanczos (mean 0.15 of 255, 99th percentile 3, on a -ql Manim video) and 4x faster:
#: the copy and the resize were most of the preview's time.
SCALING = "LANCZOS"


def extract_frames(video: Path, times: list[float], *,
                   width: int | None = None) -> list[tuple[float, object]]:
    """Decode the frame at or just after each time (seconds); returns (time, PIL image) pairs,
    in time order. `width` scales the images to that many pixels wide (None: as decoded)."""
    return extract_frame_sets(video, [(times, width)])[0]


def extract_frame_sets(video: Path, sets: Sequence[tuple[Sequence[float], int | None]]
                       ) -> list[list[tuple[float, object]]]:
    """extract_frames for several (times, width) sets in one decode pass: a list per set, as
    extract_frames would return it for that set alone."""
    import av
    from av.video.reformatter import Interpolation, VideoReformatter

    scaling = Interpolation[SCALING] | Interpolation.FULL_CHR_H_INT
    found: list[list[tuple[float, object]]] = [[] for _ in sets]
    # Every set's targets in one time order (stable, so a set's own order is kept).
    targets = sorted(((target, index) for index, (times, _) in enumerate(sets) for target in times),
                     key=lambda pair: pair[0])
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        frames: Iterator[av.VideoFrame] = iter(())
        last: av.VideoFrame | None = None
        images: dict[int | None, object] = {}  # the last frame's image at each width asked for
        scalers: dict[int, VideoReformatter] = {}
        for target, index in targets:
            if last is None or target - float(last.time or 0.0) > FORWARD_S:
                # Seek to the keyframe before the target, then decode forward to it.
                if base:
                    container.seek(int(target / base), stream=stream, backward=True, any_frame=False)
                frames, last = container.decode(stream), None
            # Decode on to the first frame at or past the target (the last one may already be:
            # it was the first past an earlier target, so none lies between).
            if last is None or float(last.time or 0.0) < target - 1e-6:
                for frame in frames:
                    last, images = frame, {}
                    if float(frame.time or 0.0) >= target - 1e-6:
                        break
            if last is None:
                continue
            width = sets[index][1]
            if width not in images:
                if width is None or width == last.width:
                    images[width] = last.to_image()  # type: ignore[no-untyped-call]
                else:
                    # One reformatter per width: a frame's own one set up its Lanczos filter
                    # again for every frame, half the cost of scaling it.
                    height = max(1, round(last.height * width / last.width))
                    scaler = scalers.setdefault(width, VideoReformatter())
                    images[width] = scaler.reformat(
                        last, width=width, height=height, format="rgb24",
                        interpolation=scaling).to_image()  # type: ignore[no-untyped-call]
            found[index].append((float(last.time or 0.0), images[width]))
    return found


def ink(image: object) -> float:
    """How much is drawn on a frame: the share of pixels far from the background colour."""
    from PIL import Image, ImageStat

    assert isinstance(image, Image.Image)
    small = image.convert("L").resize((96, 54))
    background = small.getpixel((0, 0))
    assert isinstance(background, int)
    diff = small.point(lambda v: 255 if abs(v - background) > 40 else 0)
    return float(ImageStat.Stat(diff).mean[0]) / 255.0


#: Width in pixels of the gallery preview's frames and of the storyboard's.
PREVIEW_WIDTH = 320
STORYBOARD_WIDTH = 640


# The poster, preview and storyboard: the times each wants and what each makes of its frames; a
# render decodes its video once for all three (read_stills).


@dataclass(frozen=True)
class Stills:
    """The (time, PIL image) frames of a video that its poster, preview and storyboard use."""

    poster: list[tuple[float, object]]
    preview: list[tuple[float, object]]
    storyboard: list[tuple[float, object]]


def read_stills(video: Path, duration: float) -> Stills:
    """The poster's, preview's and storyboard's frames in one decode pass (three passes took
    2.5x the decoding: each of them reads most of the video)."""
    poster, preview, storyboard = extract_frame_sets(video, [
        (poster_times(duration), None),
        (preview_times(duration), PREVIEW_WIDTH),
        (storyboard_times(duration), STORYBOARD_WIDTH)])
    return Stills(poster=poster, preview=preview, storyboard=storyboard)


def poster_times(duration: float) -> list[float]:
    """Where the poster candidates are: spread over the second half."""
    if duration <= 0:
        duration = 1.0
    return [duration * f for f in (0.5, 0.6, 0.7, 0.8, 0.88, 0.95)]


def preview_times(duration: float, frames: int = 24) -> list[float]:
    """The preview's frames: the middles of `frames` equal stretches of the video."""
    count = max(2, frames)
    return [duration * (i + 0.5) / count for i in range(count)]


def storyboard_times(duration: float, count: int = 6) -> list[float]:
    """The storyboard's frames: from a tenth of the way in to near the end."""
    return [duration * (0.1 + 0.85 * i / max(1, count - 1)) for i in range(count)]


def pick_poster(video: Path, frames: list[tuple[float, object]]) -> object:
    """The candidate frame with the most ink (`video` names the file in the error)."""
    if not frames:
        raise ValueError(f"{video} has no decodable frames")
    return max(frames, key=lambda pair: ink(pair[1]))[1]


def write_preview(video: Path, frames: list[tuple[float, object]], dest: Path, *,
                  fps: int = 8) -> int:
    """Write the frames (already at the preview's width) as a looping animated WebP; returns its
    size in bytes."""
    from PIL import Image

    images = []
    for _, image in frames:
        assert isinstance(image, Image.Image)
        images.append(image.convert("RGB"))
    if not images:
        raise ValueError(f"{video} has no decodable frames")
    images[0].save(dest, format="WEBP", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0, quality=55, method=4)
    return dest.stat().st_size


def write_storyboard(frames: list[tuple[float, object]], folder: Path) -> list[tuple[str, float]]:
    """Save the frames (already at the storyboard's width) as numbered PNGs in `folder`; returns
    (file under `folder`'s parent, time) for each."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    board: list[tuple[str, float]] = []
    for index, (time, image) in enumerate(frames, start=1):
        assert isinstance(image, Image.Image)
        name = f"frame-{index:02d}.png"
        image.convert("RGB").save(folder / name)
        board.append((f"storyboard/{name}", round(time, 2)))
    return board


# --------------------------------------------------------------------------- writing video
# Transcodes for the site: a WebM beside the MP4, and GIF clips. PyAV's bundled libav does the
# work; there is no ffmpeg binary on the machines this runs on.


class CodecMissing(ToolError):
    """An encoder that a media output needs is not in PyAV's bundled libav."""


def require_encoder(name: str, purpose: str) -> None:
    """Raise CodecMissing (with a fix) unless PyAV's libav can encode with `name`."""
    import av

    if name not in av.codecs_available:
        raise CodecMissing(
            f"cannot write {purpose}: the encoder {name!r} is not in PyAV's libav "
            f"(PyAV {av.__version__})\n"
            f"    fix: install a PyAV wheel built with {name} (`pip install --force-reinstall av`), "
            f"or turn {purpose} off in the mathreel settings")


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temp path beside `out`, moved over it with os.replace only when the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published media must be readable by the server
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _frame_rate(stream: object) -> Fraction:
    """The stream's frame rate as an exact fraction (15 when the file does not say)."""
    rate = getattr(stream, "average_rate", None) or getattr(stream, "base_rate", None)
    return Fraction(rate) if rate else Fraction(15)


def write_webm(video: Path, out: Path) -> None:
    """Transcode a video to VP9 WebM (same size and frame rate), written atomically."""
    import av

    require_encoder("libvpx-vp9", "WebM video")
    with av.open(str(video)) as source, atomic_output(out) as tmp:
        stream = source.streams.video[0]
        rate = _frame_rate(stream)
        width, height = stream.codec_context.width, stream.codec_context.height
        with av.open(str(tmp), mode="w", format="webm") as target:
            # Constant-quality VP9 (crf with bit rate 0) at libvpx's fastest realtime speed: a
            # minute of 480p stays seconds of work on two cores, and flat Manim frames compress
            # well even at this speed.
            encoder = target.add_stream("libvpx-vp9", rate=rate, options={
                "deadline": "realtime", "cpu-used": "8", "crf": "35", "row-mt": "1"})
            encoder.width, encoder.height = width, height
            encoder.pix_fmt = "yuv420p"
            encoder.bit_rate = 0
            encoder.thread_count = min(4, os.cpu_count() or 1)
            next_index = 0
            first: float | None = None
            for frame in source.decode(stream):
                time = float(frame.time or 0.0)
                first = time if first is None else first
                # Frames keep their place in time (index at the output rate), not their order.
                index = max(next_index, round((time - first) * rate))
                picture = frame.reformat(width=width, height=height, format="yuv420p")
                picture.pts = index
                picture.time_base = 1 / rate
                target.mux(encoder.encode(picture))
                next_index = index + 1
            target.mux(encoder.encode(None))
            if next_index == 0:
                raise ValueError(f"{video} has no decodable frames")


def write_gif(video: Path, out: Path, *, start: float = 0, end: float | None = None,
              width: int = 480, fps: int = 10) -> int:
    """A looping GIF of the video's [start, end) window at `fps`; returns the frames written."""
    import av
    from PIL import Image

    if fps <= 0 or width <= 0:
        raise ValueError(f"GIF fps and width must be positive, got fps={fps}, width={width}")
    if start < 0 or (end is not None and end <= start):
        raise ValueError(f"GIF window must satisfy 0 <= start < end, got {start}..{end}")
    step = Fraction(1, fps)

    def still(frame: av.VideoFrame) -> Image.Image:
        image = frame.to_image()  # type: ignore[no-untyped-call]
        assert isinstance(image, Image.Image)
        height = max(1, round(image.height * width / image.width))
        small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        # One adaptive palette per frame, no dithering: Manim draws flat colours, and dither
        # noise would make every frame differ and the file several times larger.
        return small.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                              dither=Image.Dither.NONE)

    images: list[Image.Image] = []
    with av.open(str(video)) as source:
        stream = source.streams.video[0]
        frame_span = 1 / _frame_rate(stream)
        if start > 0 and stream.time_base:
            source.seek(int(start / stream.time_base), stream=stream, backward=True)
        target = Fraction(start)
        held: av.VideoFrame | None = None
        shown_until = Fraction(0)
        for frame in source.decode(stream):
            time = Fraction(frame.time or 0.0)
            # Each GIF frame shows the last video frame that started at or before its time.
            while (held is not None and time > target + Fraction(1, 10**6)
                   and (end is None or target < end)):
                images.append(still(held))
                target += step
            if end is not None and target >= end:
                break
            held = frame
            shown_until = time + frame_span
        while held is not None and target < shown_until and (end is None or target < end):
            images.append(still(held))
            target += step
    if not images:
        raise ValueError(f"{video} has no frames between {start} s and {end} s")
    with atomic_output(out) as tmp:
        # Pillow drops a frame identical to the one before and lengthens that one instead, so the
        # count is read back from what it wrote.
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(1000 / fps), loop=0, optimize=True)
        with Image.open(tmp) as written:
            count = int(getattr(written, "n_frames", 1))
    log.debug("wrote %s: %d frames from %s", out, count, video)
    return count
