"""Benchmark: start-up and one render, as whole processes, against what no Python CLI can go below.

Usage: python benchmarks/startup_bench.py [RUNS]   (default 7)

Cases, run in rotating order, median of RUNS each (CPU = user+sys of the process tree):
  python -c pass             reference: the interpreter's own start-up
  dsaas-infra --help         piped (not a terminal): click's plain help
  dsaas-infra phases
  dsaas-infra render SPEC    blueprints/aws-managed.yaml into a fresh folder
  byte-writing floor         reference: one Python process writing the same files render writes
Targets (issue 15): --help and phases <= 0.15 s CPU; render of one managed blueprint <= 0.3 s CPU.
"""

from __future__ import annotations

import marshal
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import CLI, REPO, bench_env, machine, measure, paired, table

FLOOR = ("import marshal, os, sys\n"
         "files = marshal.load(open(sys.argv[1], 'rb'))\n"
         "for rel, data in files.items():\n"
         "    path = os.path.join(sys.argv[2], rel)\n"
         "    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
         "    open(path, 'wb').write(data)\n")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    spec = REPO / "blueprints" / "aws-managed.yaml"
    env = bench_env()
    with tempfile.TemporaryDirectory(prefix="dsaas-bench-") as tmp:
        root = Path(tmp)
        out, floor_out = root / "bp", root / "floor"
        measure([*CLI, "render", str(spec), "--out", str(out)], env)
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        (root / "files.bin").write_bytes(marshal.dumps(files))

        def fresh(path: Path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        cases = {
            "python -c pass (reference)": ([sys.executable, "-c", "pass"], {"env": env}),
            "dsaas-infra --help": ([*CLI, "--help"], {"env": env}),
            "dsaas-infra phases": ([*CLI, "phases"], {"env": env}),
            f"dsaas-infra render {spec.name}": ([*CLI, "render", str(spec), "--out", str(out)],
                                                 {"env": env, "before": fresh(out)}),
            "byte-writing floor (reference)": ([sys.executable, "-c", FLOOR, str(root / "files.bin"),
                                                str(floor_out)], {"env": env, "before": fresh(floor_out)}),
        }
        rows = paired(runs, cases)
    print(f"machine: {machine()}")
    print(f"median of {runs} rotating runs; {len(files)} files, {sum(map(len, files.values()))} bytes per render")
    print(table(rows, {"dsaas-infra --help": "target <= 0.150 CPU", "dsaas-infra phases": "target <= 0.150 CPU",
                       f"dsaas-infra render {spec.name}": "target <= 0.300 CPU"}))


if __name__ == "__main__":
    main()
