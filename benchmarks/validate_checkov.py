"""Benchmark: `dsaas-infra validate` on N blueprints in one call vs the checkov CLI once per blueprint.

    python benchmarks/validate_checkov.py [-n 8] [--spec blueprints/aws-proactive.yaml] [--checkov PATH]

Renders the spec once, copies it N times, then times (same N, same machine, one run each):
  A. one `python -m dsaas_infra validate DIR1 ... DIRN --format json` process (all stages; checkov once);
  B. `checkov -d DIRi -o json` run N times, one process per blueprint (what a per-blueprint CI loop does).
Not a timed test: it prints the two wall times and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dsaas_infra.render import render_spec_file  # noqa: E402
from dsaas_infra.validate.security import CHECKOV_ENV, checkov_args  # noqa: E402
from dsaas_infra.validate.tools import locate_checkov  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=8, help="number of blueprints (default 8)")
    parser.add_argument("--spec", type=Path, default=REPO / "blueprints" / "aws-proactive.yaml")
    parser.add_argument("--checkov", help="checkov executable (default: $DSAAS_CHECKOV, .tools, PATH)")
    args = parser.parse_args()
    checkov = locate_checkov(args.checkov, dict(os.environ))
    if checkov.path is None:
        print(f"cannot benchmark: {checkov.reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dsaas-bench-") as tmp:
        first = Path(tmp) / "bp0"
        render_spec_file(args.spec, first)
        dirs = [first] + [Path(shutil.copytree(first, Path(tmp) / f"bp{i}")) for i in range(1, args.n)]

        started = time.perf_counter()
        one = subprocess.run([sys.executable, "-m", "dsaas_infra", "validate", *map(str, dirs), "--format", "json",
                              "--output", str(Path(tmp) / "report.json"), "--checkov", checkov.path],
                             cwd=REPO, capture_output=True, text=True)
        one_call = time.perf_counter() - started
        if one.returncode not in (0, 1):
            print(f"validate failed ({one.returncode}): {one.stderr}", file=sys.stderr)
            return 1

        started = time.perf_counter()
        for d in dirs:
            proc = subprocess.run(checkov_args(checkov.path, d), capture_output=True, text=True,
                                  env={**os.environ, **CHECKOV_ENV})
            if proc.returncode not in (0, 1):
                print(f"checkov failed on {d}: {proc.stderr[-500:]}", file=sys.stderr)
                return 1
        per_blueprint = time.perf_counter() - started

    print(f"blueprints: {args.n} x {args.spec.name}  cpus: {os.cpu_count()}")
    print(f"A  dsaas-infra validate, one call, all stages : {one_call:7.1f} s")
    print(f"B  checkov CLI once per blueprint (security)  : {per_blueprint:7.1f} s")
    print(f"B / A = {per_blueprint / one_call:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
