"""mathreel's child entry script: Manim's command line with a check after every play and wait.

Copied next to scene.py and run as `python layout_hook.py [--mathreel-preflight] <manim args>`.
After each `Scene.play` and `Scene.wait` it records text and formulas that stick out of the
frame or overlap other text, and writes them to layout.json when the process ends. The scene
itself is untouched; only what is on screen is read.

With `--mathreel-preflight` (stripped before Manim sees the arguments; the caller passes `-s`)
the scene runs with animations skipped to their end states, visiting the middle of
each play so that errors in updaters and interpolation surface, and preflight.json records as
it goes what a render would cost and how far the run got: a timeout still leaves the facts.
"""

# mathreel's runtime guard (guard.py, staged beside this file) goes in before anything else is
# imported: an audit hook that Manim and the scene run under. It fails closed: no guard, no run.
# ruff: noqa: E402
import guard

guard.install()
del guard  # nothing the scene can reach should lead back to the guard

import atexit
import gc
import json
import os
import sys
import threading
import time

# Registered first, so it runs last: interpreter shutdown then skips walking every object cycle
# Manim left (about 0.2 s); what the run writes is written and closed before then.
atexit.register(gc.freeze)

HANDOVER = {}
HANDED_OVER = threading.Event()


def _watch_for_handover():
    # A warm run reads the host's hand-over as soon as it appears, even while Manim still loads:
    # told it is not needed (the static checks failed), it leaves at once, writing nothing.
    while True:
        try:
            with open("handover.json", encoding="utf-8") as handle:
                handover = json.load(handle)
        except (OSError, ValueError):
            time.sleep(0.01)
            continue
        if not isinstance(handover, dict) or handover.get("scene") is None:
            os._exit(0)
        HANDOVER.update(handover)
        HANDED_OVER.set()
        return


if "--mathreel-wait" in sys.argv[1:3]:
    threading.Thread(target=_watch_for_handover, daemon=True, name="mathreel-handover").start()

from manim import Scene, ThreeDScene
from manim.mobject.text.numbers import DecimalNumber
from manim.mobject.text.tex_mobject import SingleStringMathTex, Tex
from manim.mobject.text.text_mobject import MarkupText, Paragraph, Text

# mathreel's reviewed style module (mathreel_style.py, staged beside this file) is imported
# here, before the scene phase: the scene's `from mathreel_style import ...` then finds it
# loaded, and the guard still runs no other work-folder code once scene.py starts.
try:  # noqa: SIM105 (a plain try: no extra import in the scene process)
    import mathreel_style  # noqa: F401
except ImportError:  # not staged (a test's bare work folder)
    pass

PREFLIGHT_FLAG = "--mathreel-preflight"
PREFLIGHT = len(sys.argv) > 1 and sys.argv[1] == PREFLIGHT_FLAG
if PREFLIGHT:
    del sys.argv[1]
#: A warm run (`[--mathreel-preflight] --mathreel-wait`, a preflight or a render) starts before
#: its scene is known: Python, the guard and Manim load while the host runs the static checks,
#: then it waits for handover.json ({"scene": class, "budget_s": seconds (preflight only)}, or
#: {"scene": null}: not needed).
WAIT_FLAG = "--mathreel-wait"
WAIT = len(sys.argv) > 1 and sys.argv[1] == WAIT_FLAG
if WAIT:
    del sys.argv[1]
WAIT_S = 300
BUDGET_S = None
STARTED = time.monotonic()

TEXT_TYPES = (Text, MarkupText, Paragraph, SingleStringMathTex, Tex, DecimalNumber)
TOLERANCE = 0.05          # scene units a glyph may touch the edge by
OVERLAP_SHARE = 0.15      # share of the smaller box that counts as overlapping
WARNINGS = []
SEEN = {}
PROBE_ERRORS = []


def _name(mob):
    text = (getattr(mob, "original_text", None) or getattr(mob, "text", None)
            or getattr(mob, "tex_string", None) or "")
    text = " ".join(str(text).split())
    return f"{type(mob).__name__}({text[:40]!r})" if text else type(mob).__name__


def _visible(mob):
    for part in mob.family_members_with_points():
        if part.get_fill_opacity() > 0.05 or part.get_stroke_opacity() > 0.05:
            return True
    return False


def _texts(mobjects):
    found = []
    stack = list(mobjects)
    while stack:
        mob = stack.pop()
        if isinstance(mob, TEXT_TYPES):
            if mob.has_points() or mob.submobjects:
                found.append(mob)
            continue
        stack.extend(mob.submobjects)
    return found


def _box(mob):
    left, bottom = mob.get_corner([-1, -1, 0])[:2]
    right, top = mob.get_corner([1, 1, 0])[:2]
    return [round(float(left), 3), round(float(bottom), 3), round(float(right), 3), round(float(top), 3)]


def _record(kind, names, boxes, time):
    key = (kind, tuple(names))
    if key in SEEN:
        SEEN[key]["count"] += 1
        return
    entry = {"kind": kind, "names": names, "boxes": boxes, "time": round(float(time), 2), "count": 1}
    SEEN[key] = entry
    WARNINGS.append(entry)


def check(scene):
    if isinstance(scene, ThreeDScene):
        return  # projected 3D boxes are not what the reader sees
    frame = getattr(scene.camera, "frame", None)
    if frame is not None:
        cx, cy = frame.get_center()[:2]
        half_w, half_h = frame.width / 2, frame.height / 2
    else:
        from manim import config

        cx, cy = 0.0, 0.0
        half_w, half_h = config.frame_width / 2, config.frame_height / 2
    time = getattr(scene.renderer, "time", 0.0)
    texts = [m for m in _texts(scene.mobjects) if _visible(m)]
    boxes = [_box(m) for m in texts]
    for mob, (x0, y0, x1, y1) in zip(texts, boxes, strict=True):
        if (x0 < cx - half_w - TOLERANCE or x1 > cx + half_w + TOLERANCE
                or y0 < cy - half_h - TOLERANCE or y1 > cy + half_h + TOLERANCE):
            _record("off-frame", [_name(mob)], [[x0, y0, x1, y1]], time)
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            w = min(a[2], b[2]) - max(a[0], b[0])
            h = min(a[3], b[3]) - max(a[1], b[1])
            if w <= 0 or h <= 0:
                continue
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if smaller > 0 and w * h > OVERLAP_SHARE * smaller:
                _record("overlap", [_name(texts[i]), _name(texts[j])], [a, b], time)


# -- the preflight record ------------------------------------------------------------------------

PREFLIGHT_JSON = "preflight.json"
# Moments of each play visited: the middle and the end (a render visits every frame). Each moment
# runs the updaters, and an updater that builds a new MathTex pays a TeX run per moment: two
# moments rather than four cut the check of such a scene by about a quarter, and an error inside
# an updater still surfaces at the middle.
INTERIOR = (0.5, 1.0)
SAMPLE_S = 0.5                     # how often the sampler notes the scene's line and flushes
MAX_EVENTS = 400
MAX_TEX = 200
SCENE_PATH = next((os.path.abspath(a) for a in sys.argv[1:] if a.endswith(".py")), None)
LOCK = threading.RLock()
STATE = {
    "version": 1, "finished": False, "wall_s": 0.0, "phase": "importing the scene", "line": None,
    "plays": 0, "scene_time": 0.0, "video_seconds": 0.0, "static_seconds": 0.0, "animations": 0,
    "max_mobjects": 0, "max_family": 0, "max_three_d": 0, "max_updaters": 0,
    "mobjects_created": 0, "last_progress_s": 0.0, "stalled_lines": [], "stalled_samples": 0,
    "step_s": 0.0, "steps": 0, "frame_s": None, "tex_seen": {}, "events": [], "layout": WARNINGS,
    "tex_batched": 0, "tex_batch_s": 0.0, "tex_compiled": 0, "timed_out": False, "construct_s": None,
}
DEPTH = [0]          # play() nests inside wait(): one event per outermost call
WAIT_CALL = [False]


def _wall():
    return round(time.monotonic() - STARTED, 3)


def _flush():
    """Write the record atomically (temp file + rename): a kill mid-write leaves the old one."""
    with LOCK:
        STATE["wall_s"] = _wall()
        data = json.dumps(STATE)
    try:
        with open(PREFLIGHT_JSON + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(PREFLIGHT_JSON + ".tmp", PREFLIGHT_JSON)
    except Exception:
        # A runtime guard may refuse the rename: a plain write still leaves the facts (the
        # host treats a half-written file as no record).
        try:
            with open(PREFLIGHT_JSON, "w", encoding="utf-8") as handle:
                handle.write(data)
        except Exception:
            PROBE_ERRORS.append(1)


def _scene_line(frame):
    """The line of the innermost frame that runs the scene file (None when none does)."""
    while frame is not None:
        if SCENE_PATH and os.path.abspath(frame.f_code.co_filename) == SCENE_PATH:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _progress():
    """Something a render would also do happened: the clock of 'stuck' starts again."""
    STATE["last_progress_s"] = _wall()
    STATE["stalled_samples"] = 0
    with LOCK:
        STATE["stalled_lines"] = []


def _sampler(main_id, stop):
    # The main thread cannot say where it is while scene code runs; this thread looks at its
    # stack now and then (sys._current_frames, read only), so a timeout knows the line.
    while not stop.wait(SAMPLE_S):
        if BUDGET_S is not None and _wall() > BUDGET_S:
            # a warm run's budget counts from the hand-over, which the host's clock cannot see
            with LOCK:
                STATE["timed_out"] = True
            _flush()
            os._exit(TIMED_OUT)
        try:
            line = _scene_line(sys._current_frames().get(main_id))
        except Exception:
            line = None
        with LOCK:
            STATE["line"] = line
            STATE["stalled_samples"] += 1
            lines = STATE["stalled_lines"]
            if line is not None and line not in lines and len(lines) < 20:
                lines.append(line)
        _flush()


def _scene_facts(scene):
    """Counts that drive render cost: mobjects, submobjects, 3D pieces, updaters."""
    from manim.mobject.three_d.three_dimensions import ThreeDVMobject

    family = three_d = updaters = 0
    seen = set()
    for top in scene.mobjects:
        for mob in top.get_family():
            if id(mob) in seen:
                continue
            seen.add(id(mob))
            family += 1
            three_d += isinstance(mob, ThreeDVMobject)
            updaters += len(getattr(mob, "updaters", ()) or ())
    return len(scene.mobjects), family, three_d, updaters


def _note_tex(scene, start):
    """Tex/MathTex strings on screen, with the scene time of the play they first showed in."""
    seen = STATE["tex_seen"]
    for mob in _texts(scene.mobjects):
        if not isinstance(mob, SingleStringMathTex) or not _visible(mob):
            continue
        tex = " ".join(str(getattr(mob, "tex_string", "") or "").split())
        if tex and tex not in seen and len(seen) < MAX_TEX:
            with LOCK:
                seen[tex] = round(float(start), 3)


def _before_play(scene, kind, line):
    index = STATE["plays"] + 1
    STATE["phase"] = f"{kind} {index}" + (f" (line {line})" if line else "")
    return index, float(getattr(scene.renderer, "time", 0.0)), time.monotonic()


def _after_play(scene, kind, line, index, start, began):
    end = float(getattr(scene.renderer, "time", start))
    animations = list(getattr(scene, "animations", None) or ())
    static = bool(animations) and all(getattr(a, "is_static_wait", False) for a in animations)
    mobjects, family, three_d, updaters = _scene_facts(scene)
    _note_tex(scene, start)
    event = {"index": index, "kind": kind, "line": line, "start": round(start, 3),
             "end": round(end, 3), "wall_s": _wall(), "play_s": round(time.monotonic() - began, 4),
             "animations": len(animations), "mobjects": mobjects, "family": family,
             "three_d": three_d, "updaters": updaters, "static": static}
    with LOCK:
        STATE["plays"] = index
        STATE["scene_time"] = round(end, 3)
        STATE["video_seconds"] = round(STATE["video_seconds"] + (end - start), 3)
        if static:
            STATE["static_seconds"] = round(STATE["static_seconds"] + (end - start), 3)
        STATE["animations"] += len(animations)
        for key, value in (("max_mobjects", mobjects), ("max_family", family),
                           ("max_three_d", three_d), ("max_updaters", updaters)):
            STATE[key] = max(STATE[key], value)
        if len(STATE["events"]) < MAX_EVENTS:
            STATE["events"].append(event)
        STATE["phase"] = f"building mobjects before play {index + 1}"
    _progress()
    _flush()


def _wrap_play(method):
    def play(self, *args, **kwargs):
        DEPTH[0] += 1
        outer = DEPTH[0] == 1
        kind = "wait" if WAIT_CALL[0] else "play"
        WAIT_CALL[0] = False
        if outer:
            start = float(getattr(self.renderer, "time", 0.0))
        if outer and PREFLIGHT:
            try:
                line = _scene_line(sys._getframe(1))
            except Exception:  # a runtime guard may refuse frame access: the line is optional
                line = None
            index, start, began = _before_play(self, kind, line)
        try:
            result = method(self, *args, **kwargs)
        finally:
            DEPTH[0] -= 1
        if outer:
            try:
                check(self)
            except Exception:  # the probe must never break a render
                PROBE_ERRORS.append(1)
            if PREFLIGHT:
                try:
                    _after_play(self, kind, line, index, start, began)
                except Exception:
                    PROBE_ERRORS.append(1)
            else:
                try:  # a render also notes when each formula first shows (equations index the video)
                    _note_tex(self, start)
                except Exception:
                    PROBE_ERRORS.append(1)
        return result
    return play


def _wrap_wait(method):
    def wait(self, *args, **kwargs):
        WAIT_CALL[0] = DEPTH[0] == 0  # the play() this wait makes is one "wait" event
        try:
            return method(self, *args, **kwargs)
        finally:
            WAIT_CALL[0] = False
    return wait


Scene.play = _wrap_play(Scene.play)
Scene.wait = _wrap_wait(Scene.wait)


def _install_preflight():
    """Patches that only the preflight needs: interior moments, timings, progress, the end."""
    from manim.manager import Manager
    from manim.mobject.mobject import Mobject
    from manim.renderer.cairo_renderer import CairoRenderer
    from tqdm import tqdm

    time_progression = Scene.get_time_progression

    def get_time_progression(self, run_time, description, n_iterations=None,
                             override_skip_animations=False):
        # Skipping jumps straight to the end; a few interior moments make updaters and
        # interpolation run the way a render runs them, at a fraction of the frames.
        if self.renderer.skip_animations and not override_skip_animations:
            return tqdm([run_time * a for a in INTERIOR], disable=True)
        return time_progression(self, run_time, description, n_iterations,
                                override_skip_animations)

    update_to_time = Scene.update_to_time

    def timed_update_to_time(self, t):
        began = time.monotonic()
        try:
            return update_to_time(self, t)
        finally:
            STATE["step_s"] += time.monotonic() - began
            STATE["steps"] += 1

    mobject_init = Mobject.__init__

    def counted_init(self, *args, **kwargs):
        mobject_init(self, *args, **kwargs)
        STATE["mobjects_created"] += 1
        STATE["last_progress_s"] = _wall()
        STATE["stalled_samples"] = 0

    construct = Manager.construct

    def recorded_construct(self):
        STATE["phase"] = "building mobjects before play 1"
        STATE["construct_s"] = _wall()  # Python, Manim's import and the scene's setup are behind
        _flush()
        construct(self)
        with LOCK:
            STATE["finished"] = True
            STATE["phase"] = "finished; drawing the last frame"
        _flush()

    scene_finished = CairoRenderer.scene_finished

    def timed_scene_finished(self, scene):
        # With -s this draws and saves the last frame; drawing it twice more, unsaved, gives a
        # sample of what each frame of a render costs to draw (the faster of two: warm caches).
        result = scene_finished(self, scene)
        if STATE["finished"]:
            samples = []
            for _ in range(2):
                began = time.monotonic()
                self.update_frame(scene, ignore_skipping=True)
                samples.append(time.monotonic() - began)
            STATE["frame_s"] = round(min(samples), 4)
            STATE["phase"] = "done"
        return result

    from manim.utils import tex_file_writing

    compile_tex = tex_file_writing.compile_tex

    def counted_compile_tex(*args, **kwargs):
        STATE["tex_compiled"] += 1  # a formula Manim compiles itself (not from the batch or a cache)
        return compile_tex(*args, **kwargs)

    tex_file_writing.compile_tex = counted_compile_tex
    Scene.get_time_progression = get_time_progression
    Scene.update_to_time = timed_update_to_time
    Mobject.__init__ = counted_init
    Manager.construct = recorded_construct
    CairoRenderer.scene_finished = timed_scene_finished
    stop = threading.Event()
    threading.Thread(target=_sampler, args=(threading.main_thread().ident, stop),
                     daemon=True, name="mathreel-sampler").start()
    atexit.register(stop.set)
    _flush()


SEEN_JSON = "seen.json"
#: The scene's formulas known before it runs (the host reads them from its source).
TEX_BATCH_JSON = "tex_batch.json"
BATCH_NAME = "mathreel-batch"
BATCH_PAGE = "mathreelpage"
MAX_BATCH = 400


def _batch_tex(tex_dir, shared=None):
    """Compile the formulas listed in tex_batch.json in one latex and one dvisvgm run.

    Manim compiles each formula on its own (a latex and a dvisvgm process, about 0.2 s). The
    host lists the Tex/MathTex calls whose strings are plain text; Manim's own constructors
    build their exact TeX here (with the compile step stopped), so every formula lands under
    the name Manim looks for. One document holds them a page each, with Manim's preamble; each
    page's SVG is the one Manim would write (the same glyphs and positions). Anything
    unexpected (an error, a page too many or too few) drops the whole batch: construct then
    compiles each formula itself, and reports an error with its line.

    The compile runs beside construct: the scene's first formula waits for the batch (and then
    finds its SVG), and a scene that fails before any formula never waits for it.
    """
    try:
        with open(TEX_BATCH_JSON, encoding="utf-8") as handle:
            calls = json.load(handle)
    except (OSError, ValueError):
        return
    if not isinstance(calls, list) or not os.path.isdir(tex_dir):
        return
    began = time.monotonic()
    try:
        planned = _batch_plan(calls[:MAX_BATCH], tex_dir, shared)
    except Exception as exc:  # a batch is only a head start: construct compiles what is missing
        STATE["tex_batch_error"] = f"{type(exc).__name__}: {exc}"[:300]
        planned = None
    if planned is None:
        _remove_batch_files(tex_dir)
        return
    done = threading.Event()

    def compile_batch():
        names = []
        try:
            names = _batch_compile(*planned, tex_dir)
        except Exception as exc:
            STATE["tex_batch_error"] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            _remove_batch_files(tex_dir)
            STATE["tex_batched"] = len(names)
            STATE["tex_batch_s"] = round(time.monotonic() - began, 3)
            done.set()

    from manim.mobject.text import tex_mobject

    compile_svg = tex_mobject.tex_to_svg_file

    def after_batch(expression, environment=None, tex_template=None):
        if not done.is_set():
            phase = STATE["phase"]
            STATE["phase"] = "compiling the scene's formulas"
            done.wait()
            STATE["phase"] = phase
        return compile_svg(expression, environment, tex_template)

    tex_mobject.tex_to_svg_file = after_batch
    threading.Thread(target=compile_batch, daemon=True, name="mathreel-tex-batch").start()


def _remove_batch_files(tex_dir):
    for leftover in os.listdir(tex_dir):
        if leftover.startswith(BATCH_NAME):
            os.remove(os.path.join(tex_dir, leftover))


def _batch_plan(calls, tex_dir, shared):
    """Write the batch document: (its file, the SVG name of each page), or None when there is
    nothing to compile."""
    from manim import config
    from manim.mobject.text import tex_mobject
    from manim.utils.tex_file_writing import tex_hash

    classes = {name: getattr(tex_mobject, name) for name in ("MathTex", "Tex", "SingleStringMathTex", "Title")}
    template = config["tex_template"]
    found = []

    class Known(Exception):
        pass

    def record(expression, environment=None, tex_template=None):
        found.append((expression, environment, tex_template))
        raise Known

    compile_svg = tex_mobject.tex_to_svg_file
    tex_mobject.tex_to_svg_file = record
    try:
        for call in calls:
            if not isinstance(call, dict) or call.get("class") not in classes:
                continue
            args, kwargs = call.get("args"), call.get("kwargs")
            if not (isinstance(args, list) and all(isinstance(a, str) for a in args) and isinstance(kwargs, dict)):
                continue
            try:
                classes[call["class"]](*args, **kwargs)
            except Known:
                pass
            except Exception:  # construct meets the same error, and reports it with its line
                continue
    finally:
        tex_mobject.tex_to_svg_file = compile_svg

    head = "\\documentclass[preview]{standalone}\n"
    names, bodies, first = [], [], None
    for expression, environment, used in found:
        used = template if used is None else used
        if used.tex_compiler != "latex" or used.output_format != ".dvi":
            continue
        code = (used.get_texcode_for_expression_in_env(expression, environment) if environment
                else used.get_texcode_for_expression(expression))
        preamble, begin, rest = code.partition("\\begin{document}")
        body, end, _ = rest.rpartition("\\end{document}")
        name = tex_hash(code) + ".svg"
        if (not begin or not end or not preamble.startswith(head) or BATCH_PAGE in code
                or name in names or os.path.exists(os.path.join(tex_dir, name))
                or (shared and os.path.exists(os.path.join(shared, name)))):
            continue
        if first is not None and preamble != first:
            continue  # one preamble per batch (another template: Manim compiles those)
        first = preamble
        names.append(name)
        bodies.append(body)
    if first is None:
        return None
    document = (first.replace(head, f"\\documentclass[preview,multi={BATCH_PAGE}]{{standalone}}\n", 1)
                + "\\begin{document}"
                + "".join(f"\\begin{{{BATCH_PAGE}}}{body}\\end{{{BATCH_PAGE}}}" for body in bodies)
                + "\\end{document}")
    tex_file = os.path.join(tex_dir, BATCH_NAME + ".tex")
    with open(tex_file, "w", encoding="utf-8") as handle:
        handle.write(document)
    return tex_file, names


#: The batch's latex or dvisvgm while it runs: stopped when the scene's run ends first.
_BATCH_TOOLS = []


@atexit.register
def _stop_batch_tools():
    for proc in list(_BATCH_TOOLS):
        proc.kill()


def _run_tool(argv):
    import subprocess

    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _BATCH_TOOLS.append(proc)
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    finally:
        _BATCH_TOOLS.remove(proc)


def _batch_compile(tex_file, names, tex_dir):
    """Run latex and dvisvgm over the batch document; the SVG names it compiled (all or none)."""
    import re

    # the command lines Manim itself uses (the runtime guard allows no others)
    if _run_tool(["latex", "-interaction=batchmode", "-output-format=dvi", "-halt-on-error",
                  f"-output-directory={tex_dir}", tex_file]) != 0:
        STATE["tex_batch_error"] = "latex failed on the batch"
        return []
    if _run_tool(["dvisvgm", "--page=1-", "--no-fonts", "--verbosity=0",
                  f"--output={os.path.join(tex_dir, BATCH_NAME)}-%p.svg",
                  os.path.join(tex_dir, BATCH_NAME + ".dvi")]) != 0:
        STATE["tex_batch_error"] = "dvisvgm failed on the batch"
        return []
    pages = {}
    for entry in os.listdir(tex_dir):
        match = re.fullmatch(re.escape(BATCH_NAME) + r"-0*([0-9]+)\.svg", entry)
        if match:
            pages[int(match.group(1))] = entry
    if sorted(pages) != list(range(1, len(names) + 1)):
        STATE["tex_batch_error"] = f"{len(pages)} page(s) for {len(names)} formula(s)"
        return []
    for number, name in enumerate(names, start=1):
        os.replace(os.path.join(tex_dir, pages[number]), os.path.join(tex_dir, name))
    return names


def _use_shared_tex(folder):
    """Formulas the gallery compiled before come from its shared cache, never recompiled.

    The cache is bound read-only and only the formulas this scene uses are copied into the
    run's own Tex/ folder (not the whole cache: that grows with the gallery). New formulas are
    compiled there, from where the host publishes them (as plain files only).
    """
    from manim import config
    from manim.mobject.text import tex_mobject
    from manim.utils import tex_file_writing

    compile_svg = tex_mobject.tex_to_svg_file

    def cached_tex_to_svg_file(expression, environment=None, tex_template=None):
        template = tex_template if tex_template is not None else config["tex_template"]
        tex_file = tex_file_writing.generate_tex_file(expression, environment, template)
        svg_file = tex_file.with_suffix(".svg")
        shared = os.path.join(folder, svg_file.name)
        if not svg_file.exists() and os.path.isfile(shared):
            # A copy of just this formula: Manim writes its own variant next to the SVG it reads.
            with open(shared, "rb") as source, open(svg_file, "wb") as target:
                target.write(source.read())
        return compile_svg(expression, environment, tex_template)

    tex_mobject.tex_to_svg_file = cached_tex_to_svg_file


if os.path.isdir(os.environ.get("MATHREEL_TEX_CACHE", "")):
    _use_shared_tex(os.environ["MATHREEL_TEX_CACHE"])


def _use_tex_format(fmt):
    """Formulas Manim compiles one by one load the host's format of their preamble.

    Only for a formula whose preamble is exactly the one the format was dumped from; latex
    then skips reading it, and writes the same DVI. When latex fails with the format, Manim
    runs it again without (so a LaTeX error is reported as Manim reports it).
    """
    import subprocess
    from pathlib import Path

    from manim.utils import tex_file_writing

    try:
        with open(fmt[: -len(".fmt")] + ".preamble", encoding="utf-8") as handle:
            preamble = handle.read()
    except OSError:
        return
    compile_tex = tex_file_writing.compile_tex

    def compile_tex_with_format(tex_file, tex_compiler, output_format):
        result = Path(tex_file).with_suffix(output_format)
        if tex_compiler == "latex" and output_format == ".dvi" and not result.exists():
            try:
                with open(tex_file, encoding="utf-8") as handle:
                    head = handle.read().partition("\\begin{document}")[0]
            except (OSError, UnicodeDecodeError):
                head = None
            if head == preamble:
                command = tex_file_writing.make_tex_compilation_command(
                    tex_compiler, output_format, Path(tex_file), tex_file_writing.config.get_dir("tex_dir"))
                command.insert(4, f"-fmt={fmt}")
                done = subprocess.run(command, stdout=subprocess.DEVNULL)
                if done.returncode == 0 and result.exists():
                    return result
                if result.exists():
                    result.unlink()
        return compile_tex(tex_file, tex_compiler, output_format)

    tex_file_writing.compile_tex = compile_tex_with_format


if os.environ.get("MATHREEL_TEX_FORMAT", "").endswith(".fmt"):
    _use_tex_format(os.environ["MATHREEL_TEX_FORMAT"])


def _save():
    with open("layout.json", "w", encoding="utf-8") as handle:
        json.dump(WARNINGS, handle)
    if PREFLIGHT:
        _flush()
    else:
        with open(SEEN_JSON, "w", encoding="utf-8") as handle:
            json.dump(STATE["tex_seen"], handle)


atexit.register(_save)

#: How a warm run that used up its budget exits (as `timeout` does).
TIMED_OUT = 124


def _wait_for_handover():
    """Block until the host hands the scene over; exit when it says the run is not needed."""
    global BUDGET_S, STARTED
    if not HANDED_OVER.wait(WAIT_S):
        os._exit(3)
    scene, budget = HANDOVER.get("scene"), HANDOVER.get("budget_s")
    if not (isinstance(scene, str) and scene.isidentifier()):
        os._exit(0)  # not needed: leave without writing anything (the host may be removing the folder)
    if isinstance(budget, int | float) and budget > 0:
        BUDGET_S = budget
    sys.argv.append(scene)
    STARTED = time.monotonic()
    STATE["last_progress_s"] = 0.0


def _plain_tracebacks():
    """Manim prints a failure as a rich traceback, syntax-highlighting each frame's source (up to
    a second on a deep one) and wrapping long messages; the host reads only the frames and the
    last line, which a plain traceback gives whole."""
    import traceback

    from manim import error_console

    error_console.print_exception = lambda **_: traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    from manim.__main__ import main

    _plain_tracebacks()

    if WAIT:
        _wait_for_handover()
    if PREFLIGHT:
        _install_preflight()
    _batch_tex("Tex", os.environ.get("MATHREEL_TEX_CACHE") or None)
    sys.argv = ["manim", *sys.argv[1:]]
    main()
