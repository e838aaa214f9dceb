"""Reading rendered video with PyAV: duration, poster frame, storyboard frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def extract_frames(video: Path, times: list[float]) -> list[tuple[float, object]]:
    """Decode the frame at or just after each time (seconds); returns (time, PIL image) pairs."""
    import av

    found: list[tuple[float, object]] = []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        for target in sorted(times):
            # Seek to the keyframe before the target, then decode forward to it.
            if base:
                container.seek(int(target / base), stream=stream, backward=True, any_frame=False)
            last = None
            for frame in container.decode(stream):
                last = frame
                if float(frame.time or 0.0) >= target - 1e-6:
                    break
            if last is not None:
                found.append((float(last.time or 0.0), last.to_image()))  # type: ignore[no-untyped-call]
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


def choose_poster(video: Path, duration: float) -> object:
    """The frame that shows the most, from the second half (where the story has built up)."""
    if duration <= 0:
        duration = 1.0
    times = [duration * f for f in (0.5, 0.6, 0.7, 0.8, 0.88, 0.95)]
    frames = extract_frames(video, times)
    if not frames:
        raise ValueError(f"{video} has no decodable frames")
    return max(frames, key=lambda pair: ink(pair[1]))[1]


def make_preview(video: Path, duration: float, dest: Path, *, frames: int = 24, width: int = 320,
                 fps: int = 8) -> int:
    """An animated WebP that skims the whole video in a few seconds; returns its size in bytes."""
    from PIL import Image

    count = max(2, frames)
    times = [duration * (i + 0.5) / count for i in range(count)]
    images = []
    for _, image in extract_frames(video, times):
        assert isinstance(image, Image.Image)
        height = round(image.height * width / image.width)
        images.append(image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS))
    if not images:
        raise ValueError(f"{video} has no decodable frames")
    images[0].save(dest, format="WEBP", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0, quality=55, method=4)
    return dest.stat().st_size


def make_storyboard(video: Path, duration: float, folder: Path, *, count: int = 6,
                    width: int = 640) -> list[dict[str, object]]:
    """Frames spread over the video for the notes' storyboard: [{"file", "time"}]."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    times = [duration * (0.1 + 0.85 * i / max(1, count - 1)) for i in range(count)]
    board: list[dict[str, object]] = []
    for index, (time, image) in enumerate(extract_frames(video, times), start=1):
        assert isinstance(image, Image.Image)
        height = round(image.height * width / image.width)
        name = f"frame-{index:02d}.png"
        image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS).save(folder / name)
        board.append({"file": f"storyboard/{name}", "time": round(time, 2)})
    return board
