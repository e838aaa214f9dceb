"""Step 6: dry run. Run the scene with `manim render --dry_run` (no frames written) in a
subprocess through the runner, and turn a failure into a Diagnostic on the scene's line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from builder.checks.diagnostics import Diagnostic, source_line
from builder.errors import ToolTimeout
from builder.runner import Limits, Runner

log = logging.getLogger(__name__)

SCENE_FILE = "scene.py"
MANIM_CFG = "[CLI]\nnotify_outdated_version = False\n"

#: A frame in a rich traceback: "│ /tmp/x/scene.py:7 in construct  │".
_FRAME = re.compile(r"(?:^|[\s│|])(\S+\.py):(\d+) in (\w+)", re.M)
#: A frame in a plain traceback: 'File "/tmp/x/scene.py", line 7, in construct'.
_PLAIN_FRAME = re.compile(r'File "([^"]+\.py)", line (\d+), in (\w+)')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)|[A-Z]\w*Error)(?::\s?(.*))?$")


def dry_run(source: str, *, scene_class: str, runner: Runner, workdir: Path, env: Mapping[str, str],
            timeout: float = 120) -> tuple[Diagnostic, ...]:
    """Run the scene without writing frames; map its traceback to a Diagnostic (empty when it ran)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / SCENE_FILE).write_text(source, encoding="utf-8")
    (workdir / "manim.cfg").write_text(MANIM_CFG, encoding="utf-8")
    argv = [sys.executable, "-m", "manim", "render", "--dry_run", "--progress_bar", "none", "-ql",
            "--media_dir", str(workdir / "media"), SCENE_FILE, scene_class]
    child_env = dict(env)
    child_env["COLUMNS"] = "200"
    limits = Limits(cpu_seconds=int(timeout) + 5, address_space_bytes=16 * 2**30,
                    file_size_bytes=512 * 1024 * 1024, processes=512)
    # Model code runs here for the first time: in the same sandbox as a render.
    from builder.sandbox import confine, prepare_workdir

    prepare_workdir(workdir)
    try:
        done = runner(confine(argv, workdir), cwd=workdir, env=child_env, timeout=timeout,
                      limits=limits, check=False)
    except ToolTimeout:
        return (Diagnostic("dryrun", "timeout",
                           f"the dry run did not finish within {timeout:.0f} s: look for an endless loop or "
                           "an updater that never stops, and keep the scene short", None, "", False),)
    if done.returncode == 0 and "LaTeX compilation error" not in done.stdout:
        return ()
    return (parse_failure(source, done.stdout, done.stderr, done.returncode,
                          scene_path=str(workdir / SCENE_FILE)),)


def parse_failure(source: str, stdout: str, stderr: str, returncode: int, *,
                  scene_path: str | None = None) -> Diagnostic:
    """The user's deepest frame and the final exception of a manim failure, as a Diagnostic."""
    line: int | None = None
    for pattern in (_FRAME, _PLAIN_FRAME):
        frames = [int(m.group(2)) for m in pattern.finditer(stderr) if _is_scene_file(m.group(1), scene_path)]
        if frames:
            line = frames[-1]
            break
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
