"""Step 6: one cheap preflight run of the scene, and the mapping of its failures to Diagnostics.

`preflight` runs `construct` once through the sandbox seam with animations skipped to their
end states (Manim's `-s`) plus the middle of every play, instead of computing
every frame as `--dry_run` does. The child's entry script records in preflight.json, as it
goes, how far it got and what drives the render's cost; so a run that outlives its budget
still says what it measured, and a slow scene is reported as slow, not as broken.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from builder.checks.diagnostics import Diagnostic, source_line
from builder.checks.latex import batch_tex_calls
from builder.errors import ToolTimeout
from builder.fsutil import read_untrusted
from builder.runner import Completed, Limits, Runner
from builder.sandbox import SANDBOXED, Policy, run_manim

log = logging.getLogger(__name__)

SCENE_FILE = "scene.py"
PREFLIGHT_JSON = "preflight.json"
#: The formulas the child compiles in one batch before construct (layout_hook.TEX_BATCH_JSON).
TEX_BATCH_JSON = "tex_batch.json"
MIN_BATCH = 2
MANIM_CFG = "[CLI]\nnotify_outdated_version = False\n"
#: The entry script's switch for preflight mode (it strips it before Manim parses argv).
PREFLIGHT_FLAG = "--mathreel-preflight"
#: Its switch for a warm preflight, and the file that hands the scene over (layout_hook.py).
WAIT_FLAG = "--mathreel-wait"
HANDOVER_JSON = "handover.json"
#: How a warm preflight that used up its budget exits.
TIMED_OUT = 124
MAX_PREFLIGHT_BYTES = 2 * 2**20

#: Frames per second and pixels per frame of Manim's quality presets (l m h k).
QUALITIES: Mapping[str, tuple[int, int]] = MappingProxyType({
    "l": (15, 854 * 480), "m": (30, 1280 * 720), "h": (60, 1920 * 1080), "k": (60, 3840 * 2160)})
#: H.264 encoding through PyAV, seconds per pixel of a frame (measured here: 1080p about 40 ms
#: a frame, -ql about 8 ms); it, not drawing, dominates simple 2D renders.
_ENCODE_S_PER_PIXEL = 2e-8
#: A frozen frame (a static wait) is not drawn again, and identical frames encode faster.
_STATIC_SHARE = 0.5
#: Share of the time construct ran (the budget, if it never began) without any progress before a
#: timeout may be called a loop.
_STALL_SHARE = 0.6
#: Sampler ticks without progress needed as well (the hook samples every 0.5 s).
_STALL_SAMPLES = 4

#: A frame in a rich traceback: "│ /tmp/x/scene.py:7 in construct  │".
_FRAME = re.compile(r"(?:^|[\s│|])(\S+\.py):(\d+) in (\w+)", re.M)
#: A frame in a plain traceback: 'File "/tmp/x/scene.py", line 7, in construct'.
_PLAIN_FRAME = re.compile(r'File "([^"]+\.py)", line (\d+), in (\w+)')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)|[A-Z]\w*Error)(?::\s?(.*))?$")


@dataclass(frozen=True)
class PreflightFacts:
    """What the preflight measured, as far as it got."""

    plays: int = 0
    video_seconds: float = 0.0
    static_seconds: float = 0.0
    animations: int = 0
    mobjects: int = 0
    family: int = 0
    three_d: int = 0
    updaters: int = 0
    #: Tex/MathTex strings seen on screen -> scene time of the play they first showed in.
    anchors_seen: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    phase: str = ""
    line: int | None = None
    wall_s: float = 0.0
    last_progress_s: float = 0.0
    #: When construct began (Manim imported, the scene set up); None: it never did.
    construct_s: float | None = None
    stalled_lines: tuple[int, ...] = ()
    stalled_samples: int = 0
    step_s: float = 0.0
    steps: int = 0
    frame_s: float | None = None
    #: Formulas compiled ahead in the one batch, and those Manim compiled one by one as it ran.
    tex_batched: int = 0
    tex_compiled: int = 0
    recorded: bool = False
    #: A warm run stopped itself at its budget (counted from the hand-over).
    timed_out: bool = False


@dataclass(frozen=True)
class Preflight:
    """The outcome of one preflight run: problems, layout, facts and a render-time estimate."""

    diagnostics: tuple[Diagnostic, ...]
    layout: tuple[Diagnostic, ...]
    facts: PreflightFacts
    finished: bool
    wall_s: float
    #: Rough seconds a Cairo render would take, per quality letter (empty when unknown).
    estimate: Mapping[str, float]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the error-severity diagnostics."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def anchor_times(self, anchors: Sequence[str]) -> dict[str, float | None]:
        """When each anchor's LaTeX first showed on screen (None: never seen)."""
        return anchor_times(anchors, self.facts.anchors_seen)


def preflight(source: str, *, scene_class: str, runner: Runner, workdir: Path, env: Mapping[str, str],
              budget: float = 60, trusted: bool = False, policy: Policy = SANDBOXED,
              tex_cache: Path | None = None) -> Preflight:
    """Run construct once, animations skipped to their ends, and report errors, layout and cost.

    With `tex_cache` (the gallery's shared TeX cache) formulas compiled before are reused and
    the ones this run compiles are published there (for a model's scene, in the part that only
    runs of the same source share), so the render compiles none of them again.
    """
    if tex_cache is not None:
        from builder.video.render import tex_cache_for

        tex_cache = tex_cache_for(tex_cache, source, trusted=trusted)
    workdir = Path(workdir)
    _prepare(workdir)
    _write_scene(workdir, source, scene_class)
    began = time.monotonic()
    # Model code runs here for the first time: through the same seam and sandbox as a render.
    try:
        done = run_manim([*_preflight_args(), SCENE_FILE, scene_class], workdir, runner=runner,
                         env=_child_env(env), timeout=budget, limits=_limits(budget), trusted=trusted,
                         policy=policy, tex_cache=tex_cache).completed
    except ToolTimeout:
        done = None
    return _outcome(done, source, workdir, budget, tex_cache, began)


class WarmPreflight:
    """A preflight child started before its scene is known (`mathreel check`, and the build's
    check of a model answer).

    Python, the runtime guard and Manim (about a second) load while the host runs the static
    checks. Nothing of the scene exists in the work folder until `run` hands it over, after
    those checks passed; `cancel` lets the child go without it. The budget counts from the
    hand-over (the child stops itself there, and the host's timeout stays as a backstop).
    The child reads no gallery TeX cache (which part it would read depends on the source, not
    known at the start); what it compiles is published into the source's part after the run.
    """

    #: Longest the child waits for the hand-over (layout_hook.WAIT_S), and the runner's margin.
    WAIT_S = 300

    def __init__(self, workdir: Path, *, runner: Runner, env: Mapping[str, str], budget: float = 60,
                 trusted: bool = False, policy: Policy = SANDBOXED) -> None:
        import threading

        self.workdir, self.budget, self.trusted, self._done = Path(workdir), budget, trusted, False
        self._outcome: list[Any] = []  # the ManimRun, or the exception run_manim raised
        _prepare(self.workdir)

        def start() -> None:
            try:
                self._outcome.append(run_manim(
                    [*_preflight_args(wait=True), SCENE_FILE], self.workdir, runner=runner, env=_child_env(env),
                    timeout=budget + self.WAIT_S + 10, limits=_limits(budget), trusted=trusted, policy=policy))
            except BaseException as exc:  # handed to whoever waits for the outcome
                self._outcome.append(exc)

        self._thread = threading.Thread(target=start, daemon=True, name="warm-preflight")
        self._thread.start()

    @classmethod
    def start_for(cls, source: str, workdir: Path, *, runner: Runner, env: Mapping[str, str],
                  cores: int, budget: float = 60) -> WarmPreflight | None:
        """A warm child for this source where it can only help, else None (run it cold):
        a file that parses and holds one scene, on more than one core (the child loads Manim
        beside the static checks), inside bubblewrap (so the settings' sandbox policy, which
        only matters where bubblewrap cannot start, is left to the cold run)."""
        from builder.checks.contract import scene_classes
        from builder.checks.syntax import check_syntax
        from builder.sandbox import probe

        if cores < 2:
            return None
        tree, _ = check_syntax(source)
        if tree is None or len(scene_classes(tree)) > 1 or not probe().works:
            return None
        return cls(workdir, runner=runner, env=env, budget=budget, policy=SANDBOXED)

    def run(self, source: str, scene_class: str, *, tex_cache: Path | None = None) -> Preflight:
        """Hand the scene over and wait for the outcome, as `preflight` reports it; the formulas
        it compiled go into `tex_cache` (the gallery's TeX cache, the source's part), if given."""
        if self._done:
            raise RuntimeError("a warm preflight runs one scene")
        self._done = True
        _write_scene(self.workdir, source, scene_class)
        began = time.monotonic()
        self._hand_over({"scene": scene_class, "budget_s": self.budget})
        self._thread.join()
        (outcome,) = self._outcome
        if isinstance(outcome, ToolTimeout):
            done: Completed | None = None
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            done = outcome.completed
        if done is not None and done.returncode == TIMED_OUT and read_facts(self.workdir)[0].timed_out:
            done = None
        shared = None
        if tex_cache is not None:
            from builder.video.render import tex_cache_for

            shared = tex_cache_for(tex_cache, source, trusted=self.trusted)
        return _outcome(done, source, self.workdir, self.budget, shared, began)

    def cancel(self) -> None:
        """The scene will not run here (the static checks failed, or it runs another way). The
        child leaves as soon as it reads that, even while Manim still loads, writing nothing;
        waiting for it (a few milliseconds) keeps the work folder still for whoever removes it."""
        if self._done:
            return
        self._done = True
        self._hand_over({"scene": None})
        self._thread.join()

    def _hand_over(self, handover: dict[str, Any]) -> None:
        hand_over(self.workdir, handover)


def hand_over(workdir: Path, handover: dict[str, Any]) -> None:
    """Tell a warm child what to run ({"scene": class, ...}), or that it is not needed
    ({"scene": None}): layout_hook.py waits for this file."""
    partial = workdir / (HANDOVER_JSON + ".tmp")
    partial.write_text(json.dumps(handover), encoding="utf-8")
    partial.replace(workdir / HANDOVER_JSON)  # the child sees all of it or nothing


def _prepare(workdir: Path) -> None:
    """The work folder as the child needs it before it starts (Manim reads manim.cfg on import)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "manim.cfg").write_text(MANIM_CFG + "tex_dir = Tex\n", encoding="utf-8")
    (workdir / "Tex").mkdir(exist_ok=True)


def _write_scene(workdir: Path, source: str, scene_class: str) -> None:
    (workdir / SCENE_FILE).write_text(source, encoding="utf-8")
    write_tex_batch(workdir, source, scene_class)


def write_tex_batch(workdir: Path, source: str, scene_class: str) -> None:
    """List the formulas known from the source for the child to compile in one batch before
    construct runs (layout_hook). A batch costs about what Manim's own compile of one formula
    costs: it pays from two on."""
    calls = batch_tex_calls(source, scene_class)
    if len(calls) >= MIN_BATCH:
        (workdir / TEX_BATCH_JSON).write_text(json.dumps(calls), encoding="utf-8")


def _preflight_args(*, wait: bool = False) -> list[str]:
    # -s skips every animation to its end and saves one real frame at the end (timed by the hook).
    return [PREFLIGHT_FLAG, *([WAIT_FLAG] if wait else []), "render", "-s", "--progress_bar", "none", "-ql", "--media_dir", "media"]


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "COLUMNS": "200"}


def _limits(budget: float) -> Limits:
    return Limits(cpu_seconds=int(budget) + 5, address_space_bytes=16 * 2**30,
                  file_size_bytes=512 * 1024 * 1024, processes=512)


def _outcome(done: Completed | None, source: str, workdir: Path, budget: float, tex_cache: Path | None,
             began: float) -> Preflight:
    """The preflight's result from the child's exit (None: it ran out of its budget) and record."""
    _publish(workdir, tex_cache)
    wall = time.monotonic() - began
    facts, finished = read_facts(workdir)
    if done is None:
        return _result((timeout_diagnostic(facts, budget, source),), workdir, facts, finished, wall)
    if done.returncode == 0 and "LaTeX compilation error" not in done.stdout:
        diags: tuple[Diagnostic, ...] = ()
        if facts.recorded and not finished:
            diags = (Diagnostic("dryrun", "incomplete", "the preflight ended without running construct to "
                                f"its end (last: {_phase(facts)}): check the scene class name", None, "", False,
                                "warning"),)
        return _result(diags, workdir, facts, finished, wall)
    failure = parse_failure(source, done.stdout, done.stderr, done.returncode,
                            scene_path=str(workdir / SCENE_FILE))
    if failure.line is None and facts.line is not None:
        failure = replace(failure, line=facts.line, snippet=source_line(source, facts.line))
    return _result((failure,), workdir, facts, finished, wall)


def _publish(workdir: Path, tex_cache: Path | None) -> None:
    """New formulas of the run into the shared TeX cache (plain files only, as a render does)."""
    if tex_cache is not None:
        from builder.video.render import publish_tex

        publish_tex(workdir, workdir / "Tex", tex_cache)


def dry_run(source: str, *, scene_class: str, runner: Runner, workdir: Path, env: Mapping[str, str],
            timeout: float = 60, trusted: bool = False, policy: Policy = SANDBOXED) -> tuple[Diagnostic, ...]:
    """The preflight's diagnostics only (kept for callers of the old dry run)."""
    return preflight(source, scene_class=scene_class, runner=runner, workdir=workdir, env=env,
                     budget=timeout, trusted=trusted, policy=policy).diagnostics


@dataclass(frozen=True)
class ScenePreflights:
    """The preflight of every scene of a file (its chapters, in file order), combined."""

    runs: tuple[tuple[str, Preflight], ...]
    #: Seconds the runs took together, side by side (None: one after another, their sum).
    elapsed_s: float | None = None

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every run's diagnostics; in a file of several scenes each names its scene."""
        several = len(self.runs) > 1
        return tuple(replace(d, message=f"in scene {name}: {d.message}") if several else d
                     for name, run in self.runs for d in run.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the error-severity diagnostics."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def finished(self) -> bool:
        """Every scene's construct ran to its end."""
        return all(run.finished for _, run in self.runs)

    @property
    def estimate(self) -> dict[str, float]:
        """Seconds a Cairo render of all the scenes would take, per quality (empty if unknown)."""
        if not self.runs or any(not run.estimate for _, run in self.runs):
            return {}
        return {q: round(sum(run.estimate.get(q, 0.0) for _, run in self.runs), 1) for q in QUALITIES}

    def anchors_seen(self) -> dict[str, float]:
        """Formulas on screen -> first time in the joined video (chapters one after another)."""
        seen: dict[str, float] = {}
        offset = 0.0
        for _, run in self.runs:
            for tex, at in run.facts.anchors_seen.items():
                seen.setdefault(tex, round(offset + at, 3))
            offset += run.facts.video_seconds
        return seen

    def summary(self) -> dict[str, Any]:
        """What the build keeps of the preflight in meta.json: cost facts and the estimate."""
        facts = [run.facts for _, run in self.runs]
        return {
            "scenes": [name for name, _ in self.runs], "finished": self.finished,
            "video_seconds": round(sum(f.video_seconds for f in facts), 2),
            "plays": sum(f.plays for f in facts), "three_d": max((f.three_d for f in facts), default=0),
            "updaters": max((f.updaters for f in facts), default=0),
            "frame_s": max((f.frame_s or 0.0 for f in facts), default=0.0) or None,
            "wall_s": round(self.elapsed_s if self.elapsed_s is not None
                            else sum(run.wall_s for _, run in self.runs), 2),
            "tex_batched": sum(f.tex_batched for f in facts), "tex_compiled": sum(f.tex_compiled for f in facts),
            "estimate": self.estimate,
        }


def preflight_scenes(source: str, *, scene_class: str, runner: Runner, workdir: Path,
                     env: Mapping[str, str], budget: float = 60, trusted: bool = False,
                     policy: Policy = SANDBOXED, tex_cache: Path | None = None,
                     workers: int = 1, warm: WarmPreflight | None = None) -> ScenePreflights:
    """Preflight each scene of the file (its chapters), or `scene_class` when it has one.

    The scenes run `workers` at a time, each in its own process (as their renders do), and are
    reported in the file's order. A `warm` child started for this file runs its one scene,
    unless the TeX cache already holds formulas of this source (a cold run reads them).
    """
    from concurrent.futures import ThreadPoolExecutor

    from builder.checks.contract import scene_classes

    names = [info.name for info in scene_classes(source)]
    if len(names) < 2:
        names = [scene_class]
        if warm is not None and not _cached_formulas(tex_cache, source, trusted):
            return ScenePreflights(((scene_class, warm.run(source, scene_class, tex_cache=tex_cache)),))
    if warm is not None:
        warm.cancel()

    def one(name: str) -> tuple[str, Preflight]:
        folder = Path(workdir) if len(names) == 1 else Path(workdir) / name
        return name, preflight(source, scene_class=name, runner=runner, workdir=folder, env=env,
                               budget=budget, trusted=trusted, policy=policy, tex_cache=tex_cache)

    if len(names) == 1 or workers < 2:
        return ScenePreflights(tuple(map(one, names)))
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(workers, len(names)), thread_name_prefix="preflight") as pool:
        runs = tuple(pool.map(one, names))
    return ScenePreflights(runs, elapsed_s=time.monotonic() - began)


def _cached_formulas(tex_cache: Path | None, source: str, trusted: bool) -> bool:
    """Whether the gallery's TeX cache holds formulas a run of this source would read."""
    if tex_cache is None:
        return False
    from builder.video.render import tex_cache_for

    part = tex_cache_for(tex_cache, source, trusted=trusted)
    return part.is_dir() and any(part.iterdir())


def _result(diags: tuple[Diagnostic, ...], workdir: Path, facts: PreflightFacts, finished: bool,
            wall: float) -> Preflight:
    return Preflight(diagnostics=diags, layout=layout_warnings(workdir), facts=facts, finished=finished,
                     wall_s=wall, estimate=MappingProxyType(estimate_render(facts, wall) if finished else {}))


def layout_warnings(workdir: Path) -> tuple[Diagnostic, ...]:
    """Off-frame or overlapping text the run's layout probe recorded, as warnings."""
    from builder.video.render import read_layout

    out = []
    for warning in read_layout(Path(workdir)):
        names = " and ".join(str(n) for n in warning.get("names", []))
        where = "sticks out of the 14.2 x 8 frame" if warning.get("kind") == "off-frame" else "overlap"
        out.append(Diagnostic("layout", str(warning.get("kind", "layout")),
                              f"{names} {where} at {warning.get('time')} s (boxes {warning.get('boxes')}): "
                              "move or scale the text so it stays inside the frame and clear of other text",
                              None, "", False, "warning"))
    return tuple(out)


def read_facts(workdir: Path) -> tuple[PreflightFacts, bool]:
    """The preflight record the child wrote, checked and bounded; (empty facts, False) if unusable."""
    try:
        data = json.loads(read_untrusted(Path(workdir), PREFLIGHT_JSON,
                                         max_bytes=MAX_PREFLIGHT_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return PreflightFacts(), False
    if not isinstance(data, dict):
        return PreflightFacts(), False
    seen = data.get("tex_seen")
    anchors = {str(k)[:500]: _num(v) for k, v in list(seen.items())[:200]} if isinstance(seen, dict) else {}
    lines = data.get("stalled_lines")
    stalled = tuple(int(v) for v in lines[:20] if isinstance(v, int) and not isinstance(v, bool)) \
        if isinstance(lines, list) else ()
    line = data.get("line")
    frame = data.get("frame_s")
    began = data.get("construct_s")
    facts = PreflightFacts(
        plays=_int(data.get("plays")), video_seconds=_num(data.get("video_seconds")),
        static_seconds=_num(data.get("static_seconds")), animations=_int(data.get("animations")),
        mobjects=_int(data.get("max_mobjects")), family=_int(data.get("max_family")),
        three_d=_int(data.get("max_three_d")), updaters=_int(data.get("max_updaters")),
        anchors_seen=MappingProxyType(anchors), phase=str(data.get("phase", ""))[:200],
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        wall_s=_num(data.get("wall_s")), last_progress_s=_num(data.get("last_progress_s")),
        construct_s=_num(began) if isinstance(began, int | float) else None,
        stalled_lines=stalled, stalled_samples=_int(data.get("stalled_samples")),
        step_s=_num(data.get("step_s")), steps=_int(data.get("steps")),
        frame_s=_num(frame) if isinstance(frame, int | float) else None,
        tex_batched=_int(data.get("tex_batched")), tex_compiled=_int(data.get("tex_compiled")), recorded=True,
        timed_out=data.get("timed_out") is True)
    return facts, data.get("finished") is True


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return 0.0
    return max(0.0, min(float(value), 1e9))


def _int(value: Any) -> int:
    return int(_num(value))


def estimate_render(facts: PreflightFacts, wall_s: float) -> dict[str, float]:
    """Rough seconds of a Cairo render per quality: setup plus frames times the measured costs.

    A render steps every frame (the preflight measured the mean cost of a step), draws it (the
    hook timed one real frame at -ql; drawing scales with pixels) and encodes it; frames of a
    static wait are only encoded.
    """
    if facts.frame_s is None:
        return {}
    setup = max(wall_s - facts.step_s, 0.0)  # start, import, build, TeX: a render pays them too
    step = facts.step_s / facts.steps if facts.steps else 0.0
    moving = max(0.0, facts.video_seconds - facts.static_seconds)
    base_pixels = QUALITIES["l"][1]
    out = {}
    for quality, (fps, pixels) in QUALITIES.items():
        draw = facts.frame_s * pixels / base_pixels
        encode = _ENCODE_S_PER_PIXEL * pixels
        frames = (moving * fps * (step + draw + encode)
                  + facts.static_seconds * fps * encode * _STATIC_SHARE)
        out[quality] = round(setup + frames, 1)
    return out


def _phase(facts: PreflightFacts) -> str:
    where = f" at line {facts.line}" if facts.line and f"line {facts.line}" not in facts.phase else ""
    return f"{facts.phase or 'starting'}{where}"


def timeout_diagnostic(facts: PreflightFacts, budget: float, source: str) -> Diagnostic:
    """What a preflight that ran out of time measured: slow (a warning) unless it clearly stalled."""
    if not facts.recorded:
        return Diagnostic("dryrun", "slow", f"the preflight ran out of its {budget:.0f} s budget before it "
                          "recorded anything (importing Manim and the scene took all of it): the scene "
                          "is slow to start, not necessarily broken", None, "", False, "warning")
    got = (f"after play {facts.plays} (scene time {facts.video_seconds:.1f} s)" if facts.plays
           else "before the first play")
    stalled = facts.wall_s - facts.last_progress_s
    # The share is of the time construct had: starting Python and importing Manim are no part
    # of the scene, and on a loaded machine they can take much of a small budget.
    ran = facts.wall_s - facts.construct_s if facts.construct_s is not None else budget
    if (stalled >= _STALL_SHARE * ran and facts.stalled_samples >= _STALL_SAMPLES
            and facts.stalled_lines):
        # No play finished and no mobject was made for most of the time construct ran, while
        # the main thread stayed on the same few lines of the scene: measured, not guessed.
        lines = ", ".join(str(n) for n in facts.stalled_lines)
        line = facts.stalled_lines[0]
        return Diagnostic("dryrun", "endless-loop",
                          f"looks like an endless loop: for the last {stalled:.0f} s of its {budget:.0f} s "
                          f"budget the preflight made no progress (no play finished, no mobject was made) "
                          f"while the scene stayed on line(s) {lines}, {got}; make the loop end, or do "
                          "the long computation once, outside any updater", line,
                          source_line(source, line), False)
    return Diagnostic("dryrun", "slow",
                      f"the preflight ran out of its {budget:.0f} s budget {got} while {_phase(facts)}, "
                      f"still making progress ({facts.family} mobjects on screen at most, "
                      f"{facts.three_d} 3D pieces): the scene is slow to build, not necessarily broken",
                      facts.line, source_line(source, facts.line), False, "warning")


_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\S")
#: Spacing commands and math-mode switches: they change no meaning a reader would check.
_IGNORED = frozenset({"\\,", "\\;", "\\:", "\\!", "\\ ", "\\quad", "\\qquad", "$", "\\displaystyle"})


def tex_tokens(tex: str) -> tuple[str, ...]:
    """LaTeX as tokens, without spacing, and with braces around a single token dropped."""
    tokens = [t for t in _TOKEN.findall(tex) if t not in _IGNORED]
    changed = True
    while changed:  # `{{x}}` -> `x`: peel until nothing changes
        changed = False
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if (tokens[i] == "{" and i + 2 < len(tokens) and tokens[i + 2] == "}"
                    and tokens[i + 1] not in ("{", "}")):
                out.append(tokens[i + 1])
                i += 3
                changed = True
            else:
                out.append(tokens[i])
                i += 1
        tokens = out
    return tuple(tokens)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def anchor_times(anchors: Sequence[str], seen: Mapping[str, float]) -> dict[str, float | None]:
    """For each anchor, the earliest time a seen Tex string contains it (None: never seen)."""
    normalized = [(tex_tokens(tex), time) for tex, time in seen.items()]
    out: dict[str, float | None] = {}
    for anchor in anchors:
        wanted = tex_tokens(anchor)
        times = [time for tokens, time in normalized if _contains(tokens, wanted)]
        out[anchor] = min(times) if times else None
    return out


def parse_failure(source: str, stdout: str, stderr: str, returncode: int, *,
                  scene_path: str | None = None) -> Diagnostic:
    """The user's deepest frame and the final exception of a manim failure, as a Diagnostic."""
    frames = scene_frames(stderr, scene_path)
    line = frames[-1][0] if frames else None
    exception = _final_exception(stderr)
    if "LaTeX compilation error" in stdout:
        tex = re.search(r"LaTeX compilation error:\s*(.+)", stdout)
        what = tex.group(1).strip() if tex else "see the log"
        return Diagnostic("dryrun", "latex-error", f"LaTeX failed while running the scene: {what}",
                          line, source_line(source, line), False)
    if exception is None:
        tail = " ".join(ln.strip() for ln in (stderr or stdout).strip().splitlines()[-3:])
        return Diagnostic("dryrun", "runtime-error", f"manim exited with status {returncode}: {tail[:300]}",
                          line, source_line(source, line), False)
    name = exception.split(":", 1)[0]
    advice = _ADVICE.get(name.rsplit(".", 1)[-1], "")
    return Diagnostic("dryrun", "runtime-error", f"{exception}{advice}", line, source_line(source, line), False)


def scene_frames(output: str, scene_path: str | None = None) -> list[tuple[int, str]]:
    """(line, function) of each traceback frame in the scene's own file, outermost first; rich
    frames ("scene.py:7 in construct") or plain ones ('File ".../scene.py", line 7, in construct')."""
    for pattern in (_FRAME, _PLAIN_FRAME):
        frames = [(int(m.group(2)), m.group(3)) for m in pattern.finditer(output)
                  if _is_scene_file(m.group(1), scene_path)]
        if frames:
            return frames
    return []


def _is_scene_file(path: str, scene_path: str | None) -> bool:
    """The user's file, not manim's own manim/scene/scene.py."""
    if scene_path is not None and path == scene_path:
        return True
    name = path.replace("\\", "/")
    return (name == SCENE_FILE or name.endswith("/" + SCENE_FILE)) and "/manim/" not in name \
        and "site-packages" not in name


def _final_exception(stderr: str) -> str | None:
    for raw in reversed(stderr.strip().splitlines()):
        text = raw.strip()
        if not text or text.startswith(("│", "╰", "╭", "[")):
            continue
        if _EXCEPTION.match(text):
            return text
    return None


_ADVICE = {
    "NameError": " (a name that does not exist when the scene runs)",
    "AttributeError": " (this object has no such method or attribute in Manim 0.22)",
    "IndexError": " (an index past the end: count the submobjects or parts of the formula)",
    "TypeError": " (wrong arguments: check the call's signature in Manim 0.22)",
    "ZeroDivisionError": " (a division by zero while building the scene)",
    "ValueError": " (a value Manim or NumPy cannot use: check shapes and ranges)",
}
