"""Issue 9: where the time of a 3D Cairo render goes, and what the builder can do about it.

    .venv/bin/python bench/bench_3d.py

1. cProfile of an in-process Cairo render (quality l) of a surface scene, with the
   time grouped by what it is spent on (surface geometry, z-sorting and projection,
   shading, Cairo drawing, encoding, TeX).
2. The same scene rendered by Cairo and by OpenGL (Xvfb + Mesa), side by side.
3. Cairo render time against the surface resolution (the lever a preview can pull).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, write_section

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


def render(work: Path, resolution: tuple[int, int], renderer: str) -> float:
    work.mkdir(parents=True, exist_ok=True)
    (work / "scene.py").write_text(scene_source(resolution))
    (work / "manim.cfg").write_text("[CLI]\nnotify_outdated_version = False\n")
    argv = [sys.executable, "-m", "manim", "render", "-ql", "--progress_bar", "none",
            "--disable_caching", "scene.py", "HatScene"]
    env = dict(os.environ)
    if renderer == "opengl":
        from builder.xserver import display

        argv[4:4] = ["--renderer=opengl", "--format", "mp4"]
        env["DISPLAY"] = display()
    started = time.perf_counter()
    subprocess.run(argv, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        total, buckets, top = profile_cairo(work / "profile")
        cairo = render(work / "cairo", (24, 48), "cairo")
        opengl = render(work / "opengl", (24, 48), "opengl")
        sweep = [(res, render(work / f"res-{res[0]}", res, "cairo")) for res in ((8, 16), (16, 32), (24, 48), (32, 64))]
    body = [f"Measured on {machine()}. The scene: a Mexican-hat surface (24 x 48 faces), axes, "
            "one formula, 6 s of video at quality l (480p15), camera rotating for 3 s.", "",
            f"### Where a Cairo render's time goes (cProfile, in-process, {total:.1f} s)", "",
            "| spent on | own time s | share |", "|---|---|---|"]
    own = sum(t for _, t in buckets)
    body += [f"| {name} | {t:.2f} | {t / own:.0%} |" for name, t in buckets]
    body += ["", "Top functions by own time: " + "; ".join(top), "",
             "### Cairo against OpenGL (subprocess renders, same scene)", "",
             "| renderer | seconds |", "|---|---|",
             f"| Cairo | {cairo:.1f} |", f"| OpenGL (Xvfb + Mesa llvmpipe) | {opengl:.1f} |", "",
             f"Ratio OpenGL / Cairo: **{opengl / cairo:.2f}**.", "",
             "### Cairo time against surface resolution", "",
             "| resolution (u x v faces) | seconds |", "|---|---|"]
    body += [f"| {r[0]} x {r[1]} | {s:.1f} |" for r, s in sweep]
    text = "\n".join(body)
    write_section("3D scenes: where the time goes", text)
    print(text)


if __name__ == "__main__":
    main()
