"""Issue 8 report: each class of attack tried against mathreel, and how many were held.

    .venv/bin/python bench/bench_security.py

Runs the same corpora as the tests (tests/test_safety.py, tests/test_hostile.py,
tests/test_spec.py) and writes the counts to bench/RESULTS.md. An attack is "held" when
the static check rejects it before it runs, or when the sandbox contains it while it runs.
"""

from __future__ import annotations

import ast
import os
import socket
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench.common import machine, write_section  # noqa: E402
from builder.checks import check_scene  # noqa: E402
from builder.checks.safety import check_safety  # noqa: E402
from builder.errors import RenderError  # noqa: E402
from builder.render import render_job, render_scene  # noqa: E402

CLASSES = {
    "file": ("open", "read", "load", "fromfile", "savetxt", "pathlib", "image", "svg", "code", "key-file", "passwd"),
    "environment": ("environ", "getenv", "env"),
    "network": ("socket", "urllib", "http", "request"),
    "process": ("subprocess", "system", "popen", "fork", "thread", "exec", "ctypes"),
    "import tricks": ("import", "importlib", "builtins", "getattr", "globals", "vars", "sys-modules", "pickle", "eval", "compile"),
    "introspection": ("subclasses", "mro", "globals", "closure", "frame", "dunder", "class", "type"),
}


def classify(name: str) -> str:
    lowered = name.lower()
    for label, needles in CLASSES.items():
        if any(n in lowered for n in needles):
            return label
    return "other"


def static_counts() -> tuple[Counter[str], Counter[str]]:
    import test_hostile
    import test_safety

    tried: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for name, prelude, body in test_safety.HOSTILE:
        source = prelude + test_safety.in_scene(body)
        tried[classify(name)] += 1
        held[classify(name)] += bool(check_safety(ast.parse(source), source))
    for name, source in test_hostile.HOSTILE.items():
        result = check_scene(source, scene_class="HostileScene", latex=False)
        tried[classify(name)] += 1
        held[classify(name)] += any(d.step == "safety" for d in result.diagnostics)
    return tried, held


def runtime_counts() -> dict[str, str]:
    import test_hostile

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    threading.Thread(target=server.accept, daemon=True).start()
    port = server.getsockname()[1]
    os.environ["OPENAI_API_KEY"] = "sk-bench-must-not-leak"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in sorted(test_hostile.RUNTIME.items()):
            code = body.replace("PROJECT", repr(str(REPO))).replace("PORT", str(port))
            job = render_job(name, test_hostile.scene(code), "HostileScene", "l")
            timeout = 20 if name == "infinite-loop" else 120
            try:
                render_scene(job, render_dir=Path(tmp) / "r", tex_dir=Path(tmp) / "t", timeout=timeout)
                results[name] = "NOT contained (rendered)"
            except RenderError as exc:
                text = str(exc)
                held = "HELD" in text or "ran past" in text
                results[name] = ("held: " + text.splitlines()[-1][:90]) if held else "NOT contained: " + text[-120:]
    return results


def spec_counts() -> tuple[int, int]:
    import test_spec

    from builder.spec import validate_text

    held = sum(1 for name, text, _expected, _line in test_spec.CASES
               if validate_text(Path(name), text)[0] is None)
    return len(test_spec.CASES), held


def main() -> None:
    tried, held = static_counts()
    runtime = runtime_counts()
    spec_tried, spec_held = spec_counts()
    lines = [f"Measured on {machine()}. Counts come from the test corpora; `make test` asserts each one.", "",
             "| class of attack | tried | held | how |", "|---|---|---|---|"]
    for label in sorted(tried):
        lines.append(f"| {label} (scene code) | {tried[label]} | {held[label]} | rejected by the static safety check before running |")
    contained = sum(1 for r in runtime.values() if r.startswith("held"))
    lines.append(f"| run past the static check, in the sandbox | {len(runtime)} | {contained} | contained at run time (bubblewrap, nobody, rlimits, timeout) |")
    lines.append(f"| bad concept specs (YAML, slugs, LaTeX) | {spec_tried} | {spec_held} | refused with file, line and fix before anything runs |")
    lines += ["", "Run-time cases:", ""]
    lines += [f"- {name}: {result}" for name, result in sorted(runtime.items())]
    lines += ["", "Faults (tests/test_faults.py, test_model_client.py, test_generation_pipeline.py): "
              "SIGKILL at 20 random points of a real build, no partial entry published; a second "
              "build refuses while one runs; a failed stage and a failing disk write keep the previous "
              "output; corrupt cache entries are misses; 429, 5xx, stalls, invalid JSON, 401 and 404 "
              "from the model endpoint give bounded retries or a clear error; a model that never fixes "
              "its scene stops at the bound and the last good scene stays."]
    write_section("Attacks and faults", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
