"""Chaptered videos: joining scene videos, WebVTT chapters, section indexes, WebM and GIF."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from builder.video.chapters import (
    Chapter,
    chapters_vtt,
    join_videos,
    read_sections,
    scene_chapters,
)
from builder.video.media import CodecMissing, extract_frames, probe, write_gif, write_webm

RED, GREEN, BLUE = (220, 40, 40), (40, 200, 60), (40, 60, 220)


def make_video(path: Path, colour: tuple[int, int, int], frames: int, *, size: tuple[int, int] = (480, 270),
               rate: int = 15, keyframe_every: int | None = None) -> Path:
    """An H.264 MP4 encoded as Manim does (libx264, crf 23, yuv420p): a solid colour with a
    white bar that moves every frame, so that no two frames are the same."""
    width, height = size
    options = {"crf": "23", **({"g": str(keyframe_every)} if keyframe_every else {})}
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            pixels = np.empty((height, width, 3), dtype=np.uint8)
            pixels[:] = colour
            x = (index * 8) % (width - 16)
            pixels[height // 3: 2 * height // 3, x: x + 16] = 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def frame_count(path: Path) -> int:
    """Frames actually decodable from the file."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def colour_at(path: Path, time: float) -> tuple[int, int, int]:
    """The colour of the top-left corner (away from the bar) of the frame shown at `time`."""
    with av.open(str(path)) as container:
        shown = None
        for frame in container.decode(video=0):
            if float(frame.time or 0.0) > time + 1e-6:
                break
            shown = frame
        assert shown is not None
        pixel = shown.to_image().getpixel((4, 4))
        assert isinstance(pixel, tuple)
        return pixel[0], pixel[1], pixel[2]


def near(actual: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    """Equal colours up to H.264's rounding."""
    return max(abs(a - b) for a, b in zip(actual, expected, strict=True)) < 30


def packets(path: Path) -> list[bytes]:
    """The encoded video packets, in file order."""
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


@pytest.fixture
def three_parts(tmp_path: Path) -> list[Path]:
    """Three scene videos of 20, 30 and 25 frames at 15 fps: red, green, blue."""
    return [make_video(tmp_path / "a.mp4", RED, 20), make_video(tmp_path / "b.mp4", GREEN, 30),
            make_video(tmp_path / "c.mp4", BLUE, 25)]


# --------------------------------------------------------------------------- join_videos


def test_join_alike_parts_copies_packets_with_exact_bounds(three_parts: list[Path], tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "site" / "joined.mp4"
    with caplog.at_level(logging.WARNING, logger="builder.video.chapters"):
        bounds = join_videos(three_parts, out)
    assert not caplog.records, "alike parts must be copied, not re-encoded"
    assert bounds == pytest.approx([0.0, 20 / 15, 50 / 15, 75 / 15], abs=1e-9)
    # Copied, not re-encoded: the joined file holds exactly the parts' packets, byte for byte.
    assert packets(out) == [p for part in three_parts for p in packets(part)]
    info = probe(out)
    assert abs(info.duration - 75 / 15) < 1 / 15 / 2
    assert (info.width, info.height, info.codec) == (480, 270, "h264")
    assert frame_count(out) == 75
    for start, colour in zip(bounds, (RED, GREEN, BLUE), strict=False):
        assert near(colour_at(out, start + 0.01), colour), (start, colour)
    # The last frame of a part is still that part's.
    assert near(colour_at(out, bounds[1] - 1 / 15), RED)
    assert not [p for p in out.parent.iterdir() if p.name != "joined.mp4"], "temp file left behind"


def test_join_one_part_is_that_part(three_parts: list[Path], tmp_path: Path) -> None:
    bounds = join_videos(three_parts[:1], tmp_path / "one.mp4")
    assert bounds == pytest.approx([0.0, 20 / 15], abs=1e-9)
    assert packets(tmp_path / "one.mp4") == packets(three_parts[0])


@pytest.mark.parametrize(("size", "rate", "frames", "seconds"), [
    ((320, 180), 15, 30, 2.0),   # another size
    ((480, 270), 30, 60, 2.0),   # another frame rate: placed by time, at the first part's rate
])
def test_join_unlike_parts_reencodes(three_parts: list[Path], tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture, size: tuple[int, int],
                                     rate: int, frames: int, seconds: float) -> None:
    odd = make_video(tmp_path / "odd.mp4", GREEN, frames, size=size, rate=rate)
    out = tmp_path / "joined.mp4"
    with caplog.at_level(logging.WARNING, logger="builder.video.chapters"):
        bounds = join_videos([three_parts[0], odd, three_parts[2]], out)
    assert any("re-encoding" in r.getMessage() for r in caplog.records)
    total = 20 / 15 + seconds + 25 / 15
    assert bounds == pytest.approx([0.0, 20 / 15, 20 / 15 + seconds, total], abs=1e-9)
    info = probe(out)
    assert (info.width, info.height, info.codec, info.fps) == (480, 270, "h264", 15)
    assert abs(info.duration - total) < 1 / 15 / 2
    assert frame_count(out) == round(total * 15)
    for start, colour in zip(bounds, (RED, GREEN, BLUE), strict=False):
        assert near(colour_at(out, start + 0.01), colour), (start, colour)


def test_join_failure_keeps_the_old_output(three_parts: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "joined.mp4"
    out.parent.mkdir()
    out.write_bytes(b"previous")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    with pytest.raises(av.error.FFmpegError):
        join_videos([three_parts[0], broken], out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in out.parent.iterdir()] == ["joined.mp4"]


def test_join_needs_parts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        join_videos([], tmp_path / "x.mp4")


# --------------------------------------------------------------------------- WebVTT and titles


def test_chapters_vtt_three_chapters() -> None:
    chapters = [Chapter("Intro", 0.0, 1.3333333), Chapter("QED Lagrangian", 1.3333333, 65.5),
                Chapter("Wrap up", 65.5, 3725.0416)]
    assert chapters_vtt(chapters) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:01.333\n"
        "Intro\n"
        "\n"
        "00:00:01.333 --> 00:01:05.500\n"
        "QED Lagrangian\n"
        "\n"
        "00:01:05.500 --> 01:02:05.042\n"
        "Wrap up\n"
    )


def test_chapters_vtt_escapes_titles() -> None:
    text = chapters_vtt([Chapter("a < b & c --> d\n\nnext", 0, 1), Chapter("  ", 1, 2)])
    assert text.splitlines()[3] == "a &lt; b &amp; c --&gt; d next"
    assert text.splitlines()[6] == "Chapter 2"
    assert text.count("-->") == 2  # only the cue timings


@pytest.mark.parametrize("chapter", [Chapter("x", 2, 2), Chapter("x", -1, 2),
                                     Chapter("x", 0, float("nan"))])
def test_chapters_vtt_rejects_bad_times(chapter: Chapter) -> None:
    with pytest.raises(ValueError):
        chapters_vtt([chapter])


def test_scene_chapters_from_bounds() -> None:
    chapters = scene_chapters([("Scene1_Intro", "Intro"), ("Scene2_Proof", "Proof")], [0.0, 2.0, 5.5])
    assert chapters == [Chapter("Intro", 0.0, 2.0, "Scene1_Intro"),
                        Chapter("Proof", 2.0, 5.5, "Scene2_Proof")]
    with pytest.raises(ValueError):
        scene_chapters([("A", "A")], [0.0])


# --------------------------------------------------------------------------- Manim sections


def _entry(name: str, frames: str, duration: str = "0") -> dict[str, object]:
    return {"name": name, "type": "default.normal", "video": f"{name}.mp4", "width": 854,
            "height": 480, "nb_frames": frames, "duration": duration, "avg_frame_rate": "15/1",
            "codec_name": "h264", "pix_fmt": "yuv420p"}


def test_read_sections_cumulative_and_offset() -> None:
    index = [_entry("autocreated", "15"), _entry("Part two", "37"), _entry("empty", "0")]
    chapters = read_sections(json.dumps(index).encode(), scene_class="Demo", offset=2.0)
    assert chapters == [Chapter("Opening", 2.0, 3.0, "Demo"),
                        Chapter("Part two", 3.0, 2.0 + 52 / 15, "Demo")]


def test_read_sections_falls_back_to_duration() -> None:
    entry = _entry("Only", "many", "2.500000")
    assert read_sections(json.dumps([entry]).encode()) == [Chapter("Only", 0.0, 2.5)]


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"\xff\xfe", b"{}", b'"text"', b"[1, 2]", b"[[]]",
    json.dumps([{"nb_frames": "1", "avg_frame_rate": "15/1"}]).encode(),          # no name
    json.dumps([{"name": 3, "duration": "1"}]).encode(),                          # name not text
    json.dumps([{"name": "a", "duration": "-1"}]).encode(),                       # negative
    json.dumps([{"name": "a", "duration": "inf"}]).encode(),
    json.dumps([{"name": "a", "duration": True}]).encode(),
    json.dumps([{"name": "a", "nb_frames": "1", "avg_frame_rate": "1/0"}]).encode(),
    json.dumps([{"name": "a", "duration": "1"}] * 201).encode(),                  # too many
    b"[" * 100_000,                                                               # too deep
])
def test_read_sections_invalid_is_empty(raw: bytes) -> None:
    assert read_sections(raw) == []


TWO_SECTIONS = '''
from manim import *


class TwoParts(Scene):
    def construct(self):
        dot = Dot()
        self.play(FadeIn(dot), run_time=1)
        self.next_section("Part two")
        self.play(dot.animate.shift(RIGHT), run_time=2)
        self.wait(0.5)
'''


def test_read_sections_from_a_real_render(tmp_path: Path) -> None:
    (tmp_path / "two.py").write_text(TWO_SECTIONS, encoding="utf-8")
    media = tmp_path / "media"
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "manim", "render", "-ql", "--save_sections", "--progress_bar", "none",
         "--silent", "--media_dir", str(media), "two.py", "TwoParts"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
        timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    quality = media / "videos" / "two" / "480p15"
    chapters = read_sections((quality / "sections" / "TwoParts.json").read_bytes(),
                             scene_class="TwoParts")
    assert [c.title for c in chapters] == ["Opening", "Part two"]
    assert chapters[0].start == 0.0
    assert chapters[0].end == pytest.approx(1.0, abs=1e-9)
    # 2 s of animation and a 0.5 s wait at 15 fps: 30 + 7 frames.
    assert chapters[1].start == chapters[0].end
    assert chapters[1].end == pytest.approx(52 / 15, abs=1e-9)
    assert abs(probe(quality / "TwoParts.mp4").duration - chapters[-1].end) < 1 / 30


# --------------------------------------------------------------------------- WebM and GIF


def test_write_gif_window(three_parts: list[Path], tmp_path: Path) -> None:
    joined = tmp_path / "joined.mp4"
    join_videos(three_parts, joined)
    gif = tmp_path / "clip.gif"
    count = write_gif(joined, gif, start=1.0, end=3.0, width=240, fps=10)
    assert count == 20
    with Image.open(gif) as image:
        assert getattr(image, "n_frames", 1) == 20
        assert image.size == (240, 135)
        assert image.info.get("loop") == 0
        assert image.info.get("duration") == 100
        first = image.convert("RGB").getpixel((2, 2))
        image.seek(19)
        last = image.convert("RGB").getpixel((2, 2))
    # 1.0 s is still the red part (0 to 1.33 s); 2.9 s is the green one (1.33 to 3.33 s).
    assert isinstance(first, tuple) and near(first, RED)
    assert isinstance(last, tuple) and near(last, GREEN)


def test_write_gif_whole_video_and_bad_window(three_parts: list[Path], tmp_path: Path) -> None:
    assert write_gif(three_parts[0], tmp_path / "all.gif", fps=15) == 20
    with pytest.raises(ValueError):
        write_gif(three_parts[0], tmp_path / "bad.gif", start=2, end=1)


def test_write_webm_is_vp9_same_size_and_length(three_parts: list[Path], tmp_path: Path) -> None:
    joined = tmp_path / "joined.mp4"
    join_videos(three_parts, joined)
    webm = tmp_path / "video.webm"
    write_webm(joined, webm)
    info = probe(webm)
    assert info.codec == "vp9"
    assert (info.width, info.height) == (480, 270)
    assert abs(info.duration - 5.0) <= 1 / 15 + 1e-3
    assert frame_count(webm) == 75
    assert near(colour_at(webm, 20 / 15 + 0.01), GREEN)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_write_webm_without_vp9_says_how_to_fix(three_parts: list[Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(av, "codecs_available", set(av.codecs_available) - {"libvpx-vp9"})
    with pytest.raises(CodecMissing, match="fix:"):
        write_webm(three_parts[0], tmp_path / "video.webm")
    assert not (tmp_path / "video.webm").exists()



STORY = '''from manim import *


def caption(text):
    return Text(text).to_edge(DOWN)


class Base(Scene):
    def intro(self):
        self.add(caption("story"))


class Scene1(Base):
    def construct(self):
        self.intro()
        self.play(Create(Circle()))


class Scene2(Base):
    def construct(self):
        self.play(Create(Square()))


class Scene3(Scene2):
    def construct(self):
        self.play(Create(Triangle()))
'''


def test_chapter_code_changes_only_with_what_the_chapter_uses() -> None:
    from builder.video.chapters import chapter_code

    names = ["Scene1", "Scene2", "Scene3"]
    first, second, third = (chapter_code(STORY, n, names) for n in names)
    assert "class Scene1" in first and "class Scene2" not in first and "def caption" in first
    assert "class Scene3" not in second
    assert "class Scene2" in third  # Scene3 derives from Scene2: it depends on its code
    edited = STORY.replace("Create(Square())", "Create(Square(color=RED))")
    assert chapter_code(edited, "Scene1", names) == first
    assert chapter_code(edited, "Scene2", names) != second
    assert chapter_code(edited, "Scene3", names) != third
    helper = STORY.replace('Text(text)', 'Text(text, font_size=30)')
    assert all(chapter_code(helper, n, names) != c for n, c in zip(names, (first, second, third), strict=True))


def test_frames_are_the_first_at_or_past_each_time_however_far_apart(tmp_path: Path) -> None:
    """extract_frames decodes on to near targets and seeks to far ones: either way each time
    gets the frame a full decode from the start gives (the first at or past it, else the last)."""
    video = make_video(tmp_path / "v.mp4", BLUE, 90, keyframe_every=12)  # 6 s, keyframes 0.8 s apart
    with av.open(str(video)) as container:
        every = [(float(f.time or 0.0), np.asarray(f.to_image())) for f in container.decode(video=0)]
    assert keyframe_count(video) > 5, "the video has keyframes to seek to"
    times = [0.0, 0.03, 0.05, 0.4, 0.4, 0.41, 1.0, 3.9, 3.95, 4.0, 5.5, 2.0, 5.93, 6.5, 0.2]
    got = extract_frames(video, times)
    assert len(got) == len(times)
    for target, (at, image) in zip(sorted(times), got, strict=True):
        want_at, want = next(((t, px) for t, px in every if t >= target - 1e-6), every[-1])
        assert at == pytest.approx(want_at), target
        assert np.array_equal(np.asarray(image), want), target


def keyframe_count(path: Path) -> int:
    """How many of the file's video packets are keyframes."""
    with av.open(str(path)) as container:
        return sum(1 for p in container.demux(video=0) if p.size and p.is_keyframe)
