"""The poster, preview and storyboard frames: one decode pass, frames scaled inside PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

from builder.video.media import (
    PREVIEW_WIDTH,
    STORYBOARD_WIDTH,
    extract_frame_sets,
    extract_frames,
    pick_poster,
    poster_times,
    preview_times,
    read_stills,
    storyboard_times,
    write_preview,
    write_storyboard,
)


def make_video(path: Path, frames: int, *, size: tuple[int, int] = (854, 480), rate: int = 15,
               keyframe_every: int = 12) -> Path:
    """An H.264 MP4 as Manim writes at -ql (libx264, crf 23, yuv420p, 854x480): coloured bars
    on a dark ground, one of them moving every frame, so that no two frames are the same and
    the chroma has sharp edges to get wrong."""
    width, height = size
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate,
                                      options={"crf": "23", "g": str(keyframe_every)})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            pixels = np.empty((height, width, 3), dtype=np.uint8)
            pixels[:] = (15, 20, 25)
            pixels[height // 8: height // 4, width // 10: width // 2] = (220, 40, 40)
            pixels[height // 4: height // 3, width // 3: 3 * width // 4] = (40, 200, 60)
            x = index * 9 % (width - 24)
            pixels[height // 2: 5 * height // 6, x: x + 24] = (90, 160, 250)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def reference(video: Path) -> list[tuple[float, Image.Image]]:
    """Every frame, decoded from the start at full size (the slow way)."""
    with av.open(str(video)) as container:
        return [(float(f.time or 0.0), f.to_image()) for f in container.decode(video=0)]


def expected(every: list[tuple[float, Image.Image]], target: float) -> int:
    """Index of the frame at or just after `target` (else the last)."""
    return next((i for i, (t, _) in enumerate(every) if t >= target - 1e-6), len(every) - 1)


def shrink(image: Image.Image, width: int) -> np.ndarray:
    """The old way to a smaller frame: Pillow's Lanczos on the full-size RGB frame."""
    height = round(image.height * width / image.width)
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS)).astype(int)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "v.mp4", 90)  # 6 s


def test_one_pass_gives_each_set_the_frames_a_slow_decode_gives(video: Path) -> None:
    """Every set gets the frame at or just after each of its times, as a full decode from the
    start finds it: full size pixel for pixel, scaled ones within a level or two of Pillow's
    Lanczos on that frame, and nearer it than to any other frame of the video."""
    every = reference(video)
    sets: list[tuple[list[float], int | None]] = [
        ([3.0, 3.6, 4.2, 4.8, 5.3, 5.7], None),                   # the poster's
        ([6 * (i + 0.5) / 24 for i in range(24)], 320),           # the preview's
        ([0.6, 1.6, 2.6, 3.6, 4.6, 5.7, 0.0, 6.5], 640),          # the storyboard's, and ends
        ([0.05, 5.9, 0.07], 200),                                 # far apart: seeks back
    ]
    got = extract_frame_sets(video, sets)
    assert len(got) == len(sets)
    small: dict[tuple[int, int], np.ndarray] = {}  # (frame, width): the old way's pixels

    def far(pixels: np.ndarray, frame: int, width: int) -> float:
        """The share of pixels far off that frame of the slow decode, shrunk the old way."""
        if (frame, width) not in small:
            small[frame, width] = shrink(every[frame][1], width)
        return float((np.abs(pixels - small[frame, width]).max(axis=2) > 32).mean())

    for (times, width), frames in zip(sets, got, strict=True):
        assert len(frames) == len(times)
        for target, (at, image) in zip(sorted(times), frames, strict=True):
            want = expected(every, target)
            assert at == pytest.approx(every[want][0]), (width, target)
            assert isinstance(image, Image.Image) and image.mode == "RGB"
            pixels = np.asarray(image).astype(int)
            if width is None:
                assert np.array_equal(pixels, np.asarray(every[want][1])), target
                continue
            assert image.size == (width, round(480 * width / 854))
            # Scaling moves a pixel by more than 32 levels only here and there on an edge; the
            # moving bar moves more than 0.7% of them from one frame to the next.
            assert far(pixels, want, width) < 0.003, (width, target)
            assert np.abs(pixels - small[want, width]).mean() < 2.0, (width, target)
            for other in (want - 1, want + 1):
                if 0 <= other < len(every):
                    assert far(pixels, other, width) > 0.006, (width, target, other)
        # One pass serves a set exactly as a pass of its own does.
        alone = extract_frames(video, times, width=width)
        assert [t for t, _ in alone] == [t for t, _ in frames]
        assert all(np.array_equal(np.asarray(a), np.asarray(b))
                   for (_, a), (_, b) in zip(alone, frames, strict=True))


def test_stills_from_one_pass_match_each_made_alone(video: Path, tmp_path: Path) -> None:
    """read_stills and the writers (what a render runs) make the same poster, preview and
    storyboard as each made from its own decode pass."""
    duration = 6.0
    stills = read_stills(video, duration)
    one, alone = tmp_path / "one", tmp_path / "alone"
    one.mkdir(), alone.mkdir()
    pick_poster(video, stills.poster).save(one / "poster.png")  # type: ignore[attr-defined]
    size = write_preview(video, stills.preview, one / "preview.webp")
    board = write_storyboard(stills.storyboard, one / "storyboard")
    pick_poster(video, extract_frames(video, poster_times(duration))).save(  # type: ignore[attr-defined]
        alone / "poster.png")
    assert write_preview(video, extract_frames(video, preview_times(duration), width=PREVIEW_WIDTH),
                         alone / "preview.webp") == size
    assert write_storyboard(extract_frames(video, storyboard_times(duration), width=STORYBOARD_WIDTH),
                            alone / "storyboard") == board

    with Image.open(one / "poster.png") as poster:
        assert poster.size == (854, 480)
    for name in ["poster.png", "preview.webp", *(Path(file).name for file, _ in board)]:
        sub = "storyboard/" if name.startswith("frame-") else ""
        assert (one / sub / name).read_bytes() == (alone / sub / name).read_bytes(), name
    with Image.open(one / "preview.webp") as preview:
        assert preview.format == "WEBP" and preview.size == (320, 180)
        assert preview.info.get("loop") == 0 and getattr(preview, "n_frames", 1) > 12
        assert all(frame.size == (320, 180) for frame in ImageSequence.Iterator(preview))
    assert [file for file, _ in board] == [f"storyboard/frame-{i:02d}.png" for i in range(1, 7)]
    assert [at for _, at in board] == sorted(at for _, at in board)
    assert 0.5 <= board[0][1] <= 0.7 and board[-1][1] <= 6.0
    for file, _ in board:
        with Image.open(one / file) as frame:
            assert frame.size == (640, 360)


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no decodable frames"):
        pick_poster(tmp_path / "v.mp4", [])
    with pytest.raises(ValueError, match="no decodable frames"):
        write_preview(tmp_path / "v.mp4", [], tmp_path / "p.webp")
