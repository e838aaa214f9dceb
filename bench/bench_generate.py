"""Generation concurrency: ten new concepts, `model_concurrency: 4` against `model_concurrency: 1`.

The model is the test server of tests/modelserver.py (a real OpenAI-compatible HTTP server on
127.0.0.1) answering every request with a valid small scene after a 5 s delay, as a slow
remote model would. The build is pointed at it with MATHREEL_BASE_URL, MATHREEL_MODEL and
MATHREEL_API_KEY. What is timed is the generate stage: from the start of
`mathreel build --no-site` until the build announces its render stage (`== render (N)` on its
progress output); the build is then stopped, since the renders that follow are the same on
both sides. The generate stage includes each concept's checks (LaTeX preflight, preflight run).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    ENV,
    OUTPUT,
    PY,
    REPO,
    Result,
    command_line,
    figure,
    make_gallery,
    new_result,
)

CONCEPTS = 10
DELAY_S = 5.0
BUILD = [PY, "-m", "builder", "build", "--no-site", "-q", "l"]


def project(dest: Path, concurrency: int) -> Path:
    """Ten concepts with no scene yet, online, with the given model concurrency."""
    root = make_gallery(dest, CONCEPTS, offline=False, extra=f"model_concurrency: {concurrency}")
    return root


def time_generate(root: Path, base_url: str) -> float:
    """Seconds from the build's start until its render stage begins; then stop the build."""
    env = {**ENV, "MATHREEL_BASE_URL": base_url, "MATHREEL_MODEL": "test-model",
           "MATHREEL_API_KEY": "bench-not-a-real-key"}
    started = time.perf_counter()
    proc = subprocess.Popen(BUILD, cwd=root, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("== render"):
                return time.perf_counter() - started
        raise RuntimeError("the build ended without a render stage:\n" + "".join(seen[-20:]))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def generation(*, quick: bool) -> Result:
    """Alternating runs of both settings against one model server."""
    sys.path.insert(0, str(REPO / "tests"))
    from modelserver import RecordedRequest, Reply, default_answer, ok, running_model_server

    runs = 1 if quick else 3
    result = new_result("generation", command="", quick=quick,
                        scope=f"{CONCEPTS} new concepts, the test model server answering after "
                              f"{DELAY_S:g} s each; {runs} run(s) per setting, alternating")
    times: dict[int, list[float]] = {4: [], 1: []}

    def slow(request: RecordedRequest) -> Reply:
        return ok(default_answer(request), delay_s=DELAY_S)

    with running_model_server() as server:
        server.responder = slow
        for run in range(runs):
            for concurrency in (4, 1) if run % 2 == 0 else (1, 4):
                root = project(OUTPUT / "generate" / f"c{concurrency}", concurrency)
                times[concurrency].append(time_generate(root, server.base_url))
        in_flight = server.max_in_flight
    result["figures"].append(figure(
        "generate stage, model_concurrency 4 / 1", [a / b for a, b in zip(times[4], times[1], strict=True)],
        unit="x", baseline="the same ten concepts with `model_concurrency: 1`", goal=("<=", 0.35),
        command=command_line(BUILD) + " (timed until `== render`)",
        parts={"model_concurrency: 4": times[4], "model_concurrency: 1": times[1]}))
    result["notes"].append(f"Most requests the server answered at once: {in_flight}. The ideal "
                           f"ratio with {CONCEPTS} answers of {DELAY_S:g} s is 3/10 (three waves of "
                           "four against ten one at a time); the checks run on the cores in between.")
    return result
