"""Benchmark: render a fleet of N specs (default 1,000) in one `dsaas-infra render DIR` call.

Usage: python benchmarks/render_fleet_bench.py [N] [RUNS]   (defaults 1000 and 3)

Each run is paired with a reference run of the same call with --jobs 1 (one process, how render
worked before it used every core), in alternating order so that background load hits both alike.
For each: wall time and CPU time (user+sys of the whole process tree: the CLI and its worker
processes, via RUSAGE_CHILDREN), median of RUNS. CPU/wall above 1 means more than one core worked.
Specs are the examples in blueprints/ under new client names (both clouds, every maturity level).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_specs(n: int, folder: Path) -> None:
    examples = sorted((REPO / "blueprints").glob("*.yaml"))
    folder.mkdir(parents=True)
    for i in range(n):
        text = examples[i % len(examples)].read_text()
        text = re.sub(r"(?m)^(  name: )\S+", rf"\g<1>f{i:04d}", text, count=1)
        # The CI role names the client too; keep it in the client's own account.
        text = re.sub(r"(role/)[a-z0-9-]+?-(github-(apply|plan))", rf"\g<1>f{i:04d}-\g<2>", text)
        (folder / f"f{i:04d}.yaml").write_text(text)


def measure(cmd: list[str], out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one run into a fresh ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*cmd, "--out", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_specs(n, root / "specs")
        base = [sys.executable, "-m", "dsaas_infra", "render", str(root / "specs")]
        results: dict[str, list[tuple[float, float]]] = {"parallel": [], "reference --jobs 1": []}
        for i in range(runs):
            order = [("parallel", base), ("reference --jobs 1", [*base, "--jobs", "1"])]
            for label, cmd in order if i % 2 == 0 else order[::-1]:
                results[label].append(measure(cmd, root / "out"))
        files = sum(1 for p in (root / "out").rglob("*") if p.is_file())
    print(f"render {n} specs in one call, {cores} core(s) available, median of {runs} paired run(s); "
          f"{files} files per render")
    print(f"{'':<20} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>9} {'ms/spec (wall)':>15}")
    medians = {}
    for label, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        medians[label] = (wall, cpu)
        print(f"{label:<20} {wall:>8.2f} {cpu:>8.2f} {cpu / wall:>9.2f} {wall / n * 1000:>15.1f}")
    par, ref = medians["parallel"], medians["reference --jobs 1"]
    print(f"speed-up (wall, reference / parallel): {ref[0] / par[0]:.2f}x; "
          f"CPU overhead of the pool: {(par[1] - ref[1]) / ref[1] * 100:+.0f}%")


if __name__ == "__main__":
    main()
