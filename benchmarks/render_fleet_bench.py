"""Benchmark: render a fleet of N specs (default 1,000) in one `dsaas-infra render DIR` call.

Usage: python benchmarks/render_fleet_bench.py [N] [RUNS]   (defaults 1000 and 3)

Each round runs, in rotating order so that background load hits all alike: the fleet render; the
same call with --jobs 1 (one process, how render worked before it used every core); one spec alone
(its CPU is the start-up subtracted from the per-spec figure); and a byte-writing floor (one Python
process writing the same files). For each: wall time and CPU time (user+sys of the whole process
tree: the CLI and its worker processes, via RUSAGE_CHILDREN), median of RUNS. CPU/wall above 1
means more than one core worked.
Specs are the examples in blueprints/ under new client names (both clouds, every maturity level).
Files go under $TMPDIR (tempfile's rule): TMPDIR=/dev/shm shows what the file system's cost of
creating files (about 1 ms of kernel CPU each on this VM's ext4) adds to the floor and the render.
"""

from __future__ import annotations

import marshal
import re
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import CLI, REPO, bench_env, machine, measure, paired, table


def make_specs(n: int, folder: Path) -> None:
    examples = sorted((REPO / "blueprints").glob("*.yaml"))
    folder.mkdir(parents=True)
    for i in range(n):
        text = examples[i % len(examples)].read_text()
        text = re.sub(r"(?m)^(  name: )\S+", rf"\g<1>f{i:04d}", text, count=1)
        # The CI role names the client too; keep it in the client's own account.
        text = re.sub(r"(role/)[a-z0-9-]+?-(github-(apply|plan))", rf"\g<1>f{i:04d}-\g<2>", text)
        (folder / f"f{i:04d}.yaml").write_text(text)


FLOOR = ("import marshal, os, sys\n"
         "files = marshal.load(open(sys.argv[1], 'rb'))\n"
         "for rel, data in files.items():\n"
         "    path = os.path.join(sys.argv[2], rel)\n"
         "    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
         "    open(path, 'wb').write(data)\n")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    env = bench_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_specs(n, root / "specs")
        out = root / "out"
        base = [*CLI, "render", str(root / "specs"), "--out", str(out)]
        measure(base, env)
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        (root / "files.bin").write_bytes(marshal.dumps(files))
        one = root / "one"

        def fresh(path: Path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        cases = {
            "parallel (default --jobs)": (base, {"env": env, "before": fresh(out)}),
            "--jobs 1 (reference)": ([*base, "--jobs", "1"], {"env": env, "before": fresh(out)}),
            "one spec (start-up)": ([*CLI, "render", str(root / "specs" / "f0000.yaml"), "--out", str(one)],
                                    {"env": env, "before": fresh(one)}),
            "byte-writing floor (reference)": ([sys.executable, "-c", FLOOR, str(root / "files.bin"), str(out)],
                                               {"env": env, "before": fresh(out)}),
        }
        rows = paired(runs, cases, warm_up=False)
    par, ref, one_spec = rows["parallel (default --jobs)"], rows["--jobs 1 (reference)"], rows["one spec (start-up)"]
    print(f"machine: {machine()}")
    print(f"render {n} specs in one call, median of {runs} rotating run(s); {len(files)} files, "
          f"{sum(map(len, files.values())) / 1e6:.1f} MB per render")
    print(table(rows, {"parallel (default --jobs)": "target <= 10 s wall",
                       "--jobs 1 (reference)": "one process, as before render used every core"}))
    per_spec = (par[1] - one_spec[1]) / (n - 1) * 1000
    per_spec_ref = (ref[1] - one_spec[1]) / (n - 1) * 1000
    print(f"CPU per spec beyond start-up: {per_spec:.1f} ms parallel, {per_spec_ref:.1f} ms with --jobs 1 "
          "(target <= 10 ms)")
    floor = rows["byte-writing floor (reference)"]
    print(f"CPU per spec beyond the byte-writing floor: {(par[1] - floor[1]) / n * 1000:.1f} ms parallel, "
          f"{(ref[1] - floor[1]) / n * 1000:.1f} ms with --jobs 1; the floor itself {floor[1] / n * 1000:.1f} ms "
          f"per spec ({len(files) / n:.0f} files each)")
    print(f"cores in use (CPU / wall): parallel {par[1] / par[0]:.2f}, --jobs 1 {ref[1] / ref[0]:.2f}; "
          f"speed-up in wall time {ref[0] / par[0]:.2f}x")


if __name__ == "__main__":
    main()
