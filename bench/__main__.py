"""Run the benchmarks, store their raw numbers, render RESULTS.md.

    .venv/bin/python -m bench                 # everything (make bench; long: renders for real)
    .venv/bin/python -m bench --quick         # the quick subset (make bench-quick; minutes)
    .venv/bin/python -m bench --only NAME     # one benchmark (repeatable); --list shows names

Each benchmark writes bench/results/<name>.json; only the ones that ran are rewritten. Then the
whole of bench/RESULTS.md is rendered again from every JSON file (bench/report.py).
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import time
import traceback

from bench import report
from bench.common import save_result
from bench.registry import BENCHMARKS, Benchmark, find


def run_one(bench: Benchmark, *, quick: bool, invocation: str) -> bool:
    """Run one benchmark and save its result file; False (and a traceback) when it failed."""
    module_name, function_name = bench.target.split(":")
    print(f"== {bench.name}: {bench.title}{' (quick)' if quick else ''}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{module_name}")
        result = getattr(module, function_name)(quick=quick)
    except Exception:  # one broken benchmark must not cost the others their results
        traceback.print_exc()
        print(f"   {bench.name} FAILED; its result file was left as it was", file=sys.stderr)
        return False
    result["command"] = invocation
    path = save_result(result)
    for fig in result.get("figures") or []:
        print(f"   {fig['label']}: {report.fmt_value(fig.get('median'), fig.get('unit', ''))} "
              f"({report.spread(fig)}) {report.verdict(fig)}", file=sys.stderr)
    print(f"   wrote {path.relative_to(path.parents[2])} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr, flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run what was asked, re-render RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick subset, in quick sizes")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for bench in BENCHMARKS:
            print(f"{bench.name:<18} {'quick ' if bench.quick else '      '}{bench.what}")
        return 0
    try:
        chosen = [find(name) for name in args.only] if args.only else [
            b for b in BENCHMARKS if b.quick or not args.quick]
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    failed = []
    for bench in chosen:
        invocation = "python -m bench " + shlex.join(
            (["--quick"] if args.quick else []) + ["--only", bench.name])
        if not run_one(bench, quick=args.quick, invocation=invocation):
            failed.append(bench.name)
    print(report.write(), file=sys.stderr)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
