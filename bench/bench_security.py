"""Each class of attack tried against mathreel, how many were held, and by what.

- security-static: the hostile scenes of tests/test_safety.py and tests/test_hostile.py through
  the static checks, and the bad specs of tests/test_spec.py through spec validation.
- security-runtime: the hostile scenes that pass the static check (tests/test_hostile.py
  RUNTIME), rendered as the build renders model code; the "how" column says what was in force
  on this machine (bubblewrap probed, the user the scene ran as, the limits). Then the fault
  tests (tests/test_faults.py, tests/test_model_client.py), collected and run by pytest, with
  each test's outcome.

Every row is a measurement from this run; the JSON keeps tables as lists of row objects, so
more tables (bypass classes) can be added without changing the renderer.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from bench.common import ENV, PY, REPO, Result, figure, new_result

CLASSES = {
    "file": ("open", "read", "load", "fromfile", "savetxt", "pathlib", "image", "svg", "code", "key-file", "passwd"),
    "environment": ("environ", "getenv", "env"),
    "network": ("socket", "urllib", "http", "request"),
    "process": ("subprocess", "system", "popen", "fork", "thread", "exec", "ctypes"),
    "import tricks": ("import", "importlib", "builtins", "getattr", "globals", "vars", "sys-modules", "pickle", "eval", "compile"),
    "introspection": ("subclasses", "mro", "globals", "closure", "frame", "dunder", "class", "type"),
}
FAULT_TESTS = ("tests/test_faults.py", "tests/test_model_client.py")


def _tests_on_path() -> None:
    """The corpora live in the test modules; import them as the tests do."""
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))


def classify(name: str) -> str:
    """The class of attack a corpus case's name says it belongs to."""
    lowered = name.lower()
    for label, needles in CLASSES.items():
        if any(n in lowered for n in needles):
            return label
    return "other"


def static(*, quick: bool) -> Result:
    """Count what the static safety check and spec validation refuse."""
    _tests_on_path()
    import test_hostile
    import test_safety
    import test_spec

    from builder.checks import check_scene
    from builder.checks.safety import check_safety
    from builder.spec import validate_text

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
    spec_held = sum(1 for name, text, _expected, _line in test_spec.CASES
                    if validate_text(Path(name), text)[0] is None)
    rows = [{"class of attack": f"{label} (scene code)", "tried": tried[label], "held": held[label],
             "how": "rejected by the static safety check before running"} for label in sorted(tried)]
    rows.append({"class of attack": "bad concept specs (YAML, slugs, LaTeX)", "tried": len(test_spec.CASES),
                 "held": spec_held, "how": "refused by spec validation before anything runs"})
    result = new_result("security-static", command="", quick=quick,
                        scope="the hostile-scene corpora of tests/test_safety.py and "
                              "tests/test_hostile.py, the bad specs of tests/test_spec.py")
    total_tried = sum(int(r["tried"]) for r in rows)  # type: ignore[call-overload]
    total_held = sum(int(r["held"]) for r in rows)  # type: ignore[call-overload]
    result["figures"].append(figure(
        f"attacks held before running ({total_held} of {total_tried})", [100 * total_held / total_tried],
        unit="%", baseline="every case of the corpora", goal=(">=", 100.0),
        note="" if total_held == total_tried else "a case got through: see the table"))
    result["tables"].append({"title": "Refused before running", "columns": list(rows[0]), "rows": rows})
    return result


def in_force() -> str:
    """What confines a model-written scene on this machine, as probed now."""
    from builder.sandbox import SCENE_LIMITS, drops_to_nobody, probe

    found = probe()
    sandbox = "bubblewrap found and working" if found.works else \
        f"bubblewrap NOT working ({found.detail.splitlines()[0]}): model code is refused"
    user = "as nobody" if drops_to_nobody() else f"as uid {os.geteuid()}"
    limits = (f"CPU {SCENE_LIMITS.cpu_seconds} s (render: 2 x timeout + 60), "
              f"memory {(SCENE_LIMITS.address_space_bytes or 0) // 2**30} GiB, "
              f"file size {(SCENE_LIMITS.file_size_bytes or 0) // 2**30} GiB, "
              f"{SCENE_LIMITS.processes} processes")
    return f"{sandbox}; {user}; {limits}; timeout"


def _runtime_rows() -> list[dict[str, object]]:
    _tests_on_path()
    import test_hostile

    from builder.errors import MathreelError
    from builder.video.render import render_job, render_scene

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    threading.Thread(target=server.accept, daemon=True).start()
    port = server.getsockname()[1]
    # A key in the build's environment: the cases that read the environment must not see it.
    os.environ["OPENAI_API_KEY"] = "sk-bench-must-not-leak"
    rows: list[dict[str, object]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, body in sorted(test_hostile.RUNTIME.items()):
                code = body.replace("PROJECT", repr(str(REPO))).replace("PORT", str(port))
                job = render_job(name, test_hostile.scene(code), "HostileScene", "l")
                timeout = 20 if name == "infinite-loop" else 120
                try:
                    output = render_scene(job, render_dir=Path(tmp) / "r", tex_dir=Path(tmp) / "t",
                                          timeout=timeout)
                    rows.append({"case": name, "held": False, "outcome": "rendered",
                                 "confinement": output.sandbox})
                except MathreelError as exc:
                    text = str(exc)
                    held = "HELD" in text or "ran past" in text or "refused" in text
                    rows.append({"case": name, "held": held, "outcome": text.strip().splitlines()[-1][:100],
                                 "confinement": type(exc).__name__})
    finally:
        os.environ.pop("OPENAI_API_KEY", None)
        server.close()
    return rows


def _fault_rows() -> list[dict[str, object]]:
    """Collect and run the fault tests; one row per test id with its outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "faults.xml"
        subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                        *FAULT_TESTS], cwd=REPO, env=ENV, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
        tree = ET.parse(xml)
    rows: list[dict[str, object]] = []
    for case in tree.iter("testcase"):
        module = str(case.get("classname", "")).replace(".", "/")
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "FAILED" if child.tag == "failure" else "ERROR"
            elif child.tag == "skipped":
                outcome = "skipped"
        rows.append({"test": f"{module}.py::{case.get('name')}", "outcome": outcome,
                     "seconds": round(float(case.get("time") or 0), 2)})
    return sorted(rows, key=lambda r: str(r["test"]))


def runtime(*, quick: bool) -> Result:
    """Hostile scenes run in the sandbox, then the fault tests."""
    result = new_result("security-runtime", command="", quick=quick,
                        scope="tests/test_hostile.py RUNTIME cases rendered as model code; the "
                              f"tests of {' and '.join(FAULT_TESTS)}, run once")
    how = in_force()
    rows = _runtime_rows()
    contained = sum(1 for r in rows if r["held"])
    result["figures"].append(figure(
        f"run-time attacks contained ({contained} of {len(rows)})", [100 * contained / len(rows)],
        unit="%", baseline="every RUNTIME case of tests/test_hostile.py", goal=(">=", 100.0),
        note="" if contained == len(rows) else "a case was not contained: see the table"))
    result["tables"].append({"title": "Run past the static check, in the sandbox",
                             "caption": f"In force on this machine: {how}.",
                             "columns": ["case", "held", "outcome", "confinement"], "rows": rows})
    faults = _fault_rows()
    passed = sum(1 for r in faults if r["outcome"] == "passed")
    result["figures"].append(figure(
        f"fault tests passed ({passed} of {len(faults)})", [100 * passed / max(1, len(faults))],
        unit="%", baseline=f"every test collected from {', '.join(FAULT_TESTS)}", goal=(">=", 100.0),
        note="" if passed == len(faults) else "a fault test did not pass: see the table"))
    result["tables"].append({"title": "Faults (pytest outcomes)", "columns": ["test", "outcome", "seconds"],
                             "rows": faults})
    return result
