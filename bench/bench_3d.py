"""3D scenes: Cairo against OpenGL (Xvfb + Mesa) with frame similarity, and where Cairo's time goes.

1. The same surface scene rendered by Cairo and by OpenGL (subprocesses, quality l, several
   runs, alternating). Mesa's llvmpipe uses every core while Cairo draws on one, so OpenGL is
   also measured with `LP_NUM_THREADS=1`. Frames of both videos at the same times are compared
   (mean absolute pixel difference), so a fast renderer drawing something else shows up.
2. cProfile of an in-process Cairo render, its time grouped by what it is spent on.
3. Cairo render time against the surface resolution (the lever a preview can pull).
"""

from __future__ import annotations

import cProfile
import pstats
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ENV, MANIM_CFG, PY, Result, command_line, figure, new_result

SCENE = '''from manim import *


class HatScene(ThreeDScene):
    def construct(self):
        axes = ThreeDAxes(x_range=[-3, 3], y_range=[-3, 3], z_range=[-1, 2])
        hat = Surface(
            lambda u, v: axes.c2p(u * np.cos(v), u * np.sin(v), 0.25 * u**4 - u**2 + 0.5),
            u_range=[0, 2.2], v_range=[0, TAU], resolution=RESOLUTION,
            fill_opacity=0.85, checkerboard_colors=[BLUE_D, TEAL_D],
        )
        label = MathTex(r"V(\\phi) = -\\mu^2|\\phi|^2 + \\lambda|\\phi|^4").to_corner(UL)
        self.add_fixed_in_frame_mobjects(label)
        self.set_camera_orientation(phi=65 * DEGREES, theta=-40 * DEGREES)
        self.play(Create(axes), run_time=1)
        self.play(Create(hat), run_time=2)
        self.begin_ambient_camera_rotation(rate=0.5)
        self.wait(3)
'''

CATEGORIES = [
    ("per-face path geometry every frame (VMobject anchors, subpaths, Bezier points)",
     ("vectorized_mobject", "bezier", "function_base", "get_anchors", "subpath", "_methods.py", "fromnumeric")),
    ("surface geometry (Surface setup, uv mesh)", ("three_dimensions", "surface", "_setup_in_uv_space")),
    ("3D projection and z-sorting", ("three_d_camera", "project_points", "get_mobjects_to_display", "sort", "z_key", "get_z_index_reference_point")),
    ("shading (per-face normals and colours)", ("shad", "get_rgbas", "get_fill_rgbas", "color", "three_d_utils", "get_unit_normal", "space_ops", "_linalg", "norm")),
    ("mobject family walks and copies", ("mobject.py", "family", "copy", "deepcopy")),
    ("Cairo drawing", ("cairo", "display_multiple", "apply_fill", "apply_stroke", "set_cairo_context")),
    ("encoding (PyAV)", ("scene_file_writer", "write_frame", "encode", "av/")),
    ("TeX and SVG", ("tex", "svg", "dvisvgm")),
]


def scene_source(resolution: tuple[int, int]) -> str:
    return SCENE.replace("RESOLUTION", repr(resolution))


def profile_cairo(work: Path) -> tuple[float, list[tuple[str, float]], list[str]]:
    namespace: dict[str, object] = {}
    exec(compile(scene_source((24, 48)), "hat_scene.py", "exec"), namespace)
    from manim import tempconfig

    profiler = cProfile.Profile()
    options = {"quality": "low_quality", "media_dir": str(work), "disable_caching": True,
               "progress_bar": "none", "verbosity": "WARNING", "notify_outdated_version": False}
    started = time.perf_counter()
    with tempconfig(options):
        scene = namespace["HatScene"]()  # type: ignore[operator]
        profiler.runcall(scene.render)
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    rows = stats.stats  # type: ignore[attr-defined]
    buckets = {name: 0.0 for name, _ in CATEGORIES}
    buckets["other"] = 0.0
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in rows.items():
        where = f"{filename}:{function}".lower()
        for name, needles in CATEGORIES:
            if any(n in where for n in needles):
                buckets[name] += tottime
                break
        else:
            buckets["other"] += tottime
    top = sorted(rows.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    top_lines = [f"{Path(f).name}:{fn} {tt:.2f} s" for (f, _l, fn), (_c, _n, tt, _ct, _cl) in top]
    return total, sorted(buckets.items(), key=lambda kv: -kv[1]), top_lines


def render(work: Path, resolution: tuple[int, int], renderer: str,
           env_extra: dict[str, str] | None = None) -> tuple[float, Path]:
    """One subprocess render at quality l; (wall seconds, the video)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "scene.py").write_text(scene_source(resolution))
    (work / "manim.cfg").write_text(MANIM_CFG)
    env = {**ENV, **(env_extra or {})}
    if renderer == "opengl":
        from builder.video.xserver import display

        env["DISPLAY"] = display()
    started = time.perf_counter()
    subprocess.run(render_argv(renderer), cwd=work, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    (video,) = [p for p in (work / "media").rglob("HatScene.mp4") if "partial" not in str(p)]
    return seconds, video


def render_argv(renderer: str) -> list[str]:
    """The measured command for one renderer."""
    argv = [PY, "-m", "manim", "render", "-ql", "--progress_bar", "none", "--disable_caching",
            "--media_dir", "media"]
    if renderer == "opengl":
        argv += ["--renderer=opengl", "--format", "mp4"]
    return [*argv, "scene.py", "HatScene"]


def frames(video: Path, fractions: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 0.95)) -> list[Any]:
    """Frames at fractions of the video's length, as 320x180 RGB arrays."""
    import av
    import numpy as np

    with av.open(str(video)) as container:
        decoded = [f.to_image().convert("RGB").resize((320, 180)) for f in container.decode(video=0)]
    return [np.asarray(decoded[min(len(decoded) - 1, int(f * len(decoded)))], dtype=np.float32)
            for f in fractions]


def similarity(a: Path, b: Path) -> float:
    """100 - mean absolute pixel difference in percent of full scale, over matching frames."""
    import numpy as np

    diffs = [float(np.mean(np.abs(x - y))) for x, y in zip(frames(a), frames(b), strict=True)]
    return 100.0 * (1.0 - sum(diffs) / len(diffs) / 255.0)


def three_d(*, quick: bool) -> Result:
    """Cairo against OpenGL with frame similarity; profile; resolution sweep (full run only)."""
    runs = 1 if quick else 3
    result = new_result("3d", command="", quick=quick,
                        scope="a Mexican-hat surface (24 x 48 faces), axes, one formula, 6 s at "
                              f"quality l, camera rotating for 3 s; {runs} run(s) per renderer")
    cairo: list[float] = []
    gl: list[float] = []
    gl_one: list[float] = []
    similar: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for run in range(runs):
            sides = ["cairo", "opengl", "opengl-1"]
            out: dict[str, tuple[float, Path]] = {}
            for side in sides if run % 2 == 0 else sides[::-1]:
                extra = {"LP_NUM_THREADS": "1"} if side == "opengl-1" else None
                out[side] = render(work / f"{side}-{run}", (24, 48), side.split("-")[0], extra)
            cairo.append(out["cairo"][0])
            gl.append(out["opengl"][0])
            gl_one.append(out["opengl-1"][0])
            similar.append(similarity(out["cairo"][1], out["opengl"][1]))
        result["figures"] += [
            figure("OpenGL (Mesa, every core) / Cairo", [g / c for g, c in zip(gl, cairo, strict=True)],
                   unit="x", baseline="Cairo render of the same scene", command=command_line(render_argv("opengl")),
                   goal=("<=", 0.7), parts={"Cairo": cairo, "OpenGL": gl}),
            figure("OpenGL (Mesa, LP_NUM_THREADS=1) / Cairo", [g / c for g, c in zip(gl_one, cairo, strict=True)],
                   unit="x", baseline="Cairo render of the same scene (one core each)",
                   goal=("<=", 1.0), parts={"OpenGL, one Mesa thread": gl_one},
                   note="one core each: OpenGL must not win by using the second core alone"),
            figure("frame similarity, OpenGL against Cairo", similar, unit="%",
                   baseline="the Cairo video's frames at 20, 40, 60, 80, 95% of its length",
                   goal=(">=", 95.0)),
        ]
        if not quick:
            total, buckets, top = profile_cairo(work / "profile")
            own = sum(t for _, t in buckets)
            result["tables"].append({
                "title": f"Where a Cairo render's time goes (cProfile, in-process, one run, {total:.1f} s)",
                "columns": ["spent on", "own time s", "share %"],
                "rows": [[name, round(t, 2), round(100 * t / own, 1)] for name, t in buckets]})
            result["notes"].append("Top functions by own time: " + "; ".join(top))
            sweep = [(res, render(work / f"res-{res[0]}", res, "cairo")[0])
                     for res in ((8, 16), (16, 32), (24, 48), (32, 64))]
            result["tables"].append({
                "title": "Cairo time against surface resolution (one run each)",
                "columns": ["resolution (u x v faces)", "seconds"],
                "rows": [[f"{r[0]} x {r[1]}", round(s, 2)] for r, s in sweep]})
    result["notes"].append("Similarity is 100% minus the mean absolute pixel difference (0-255 "
                           "scale) of frames at the same times, scaled to 320x180; the renderers "
                           "antialias and shade differently, so identical pictures score below 100%.")
    return result
