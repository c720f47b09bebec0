"""Benchmark: `dsaas-infra validate` of one and of N blueprints, again with nothing changed, and with checkov.

Usage: python benchmarks/validate_bench.py [N] [RUNS] [K]   (defaults 100, 3, 3)

Blueprints are a fleet rendered from the examples in blueprints/ under new client names (both
clouds, every maturity level). Cases, in rotating order, median of RUNS (CPU = user+sys of the
process tree: the CLI, its workers, terraform fmt, checkov):
  --skip security, 1 blueprint, --no-cache
  --skip security, N blueprints, --no-cache           (first run)
  --skip security, N blueprints, nothing changed      (the result cache; target <= 10% of the first run)
  all stages, K blueprints, --no-cache                 (one checkov for all, alongside the other stages)
  checkov once per blueprint, K processes              (reference: what a per-blueprint CI loop runs)
  terraform fmt -check of 1 blueprint                  (reference: the share of the format stage's tool)
It also counts the rendered .tf files the fast HCL reader (validate/hclfast.py) left to python-hcl2.
Targets (issue 15): one blueprint <= 0.5 s CPU; 100 blueprints <= 15 s.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from _measure import CLI, REPO, bench_env, machine, measure, paired, table
from render_fleet_bench import make_specs

sys.path.insert(0, str(REPO))
from dsaas_infra.validate.security import CHECKOV_ENV, checkov_args  # noqa: E402
from dsaas_infra.validate.tools import locate_checkov, locate_terraform  # noqa: E402


def deferred_to_lark(dirs: list[str]) -> tuple[int, int]:
    """(rendered .tf files, how many of them the fast reader left to python-hcl2's grammar)."""
    from dsaas_infra.validate import hclfast

    files = [p for d in dirs for p in Path(d).rglob("*.tf")]
    deferred = 0
    for path in files:
        try:
            hclfast.parse_blocks(path.read_text(encoding="utf-8"), path)
        except hclfast.Unsupported:
            deferred += 1
    return len(files), deferred


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    checkov = locate_checkov(None, dict(os.environ))
    with tempfile.TemporaryDirectory(prefix="dsaas-bench-") as tmp:
        root = Path(tmp)
        env = bench_env(XDG_CACHE_HOME=str(root / "cache"))
        make_specs(n, root / "specs")
        measure([*CLI, "render", str(root / "specs"), "--out", str(root / "fleet")], env)
        dirs = sorted(str(p) for p in (root / "fleet").iterdir())
        offline = [*CLI, "validate", "--skip", "security", "-q", "-f", "json"]
        terraform = locate_terraform(None, dict(os.environ))
        fmt_case = {}
        if terraform.path:
            fmt_case = {"terraform fmt -check, 1 blueprint (reference)": (
                [terraform.path, f"-chdir={dirs[0]}", "fmt", "-check", "-recursive", "."], {"env": env, "ok": (0, 3)})}
        tf_files, deferred = deferred_to_lark(dirs)
        cases = {
            **fmt_case,
            "--skip security, 1 blueprint": ([*offline, "--no-cache", dirs[0]], {"env": env, "ok": (0, 1)}),
            f"--skip security, {n} blueprints": ([*offline, "--no-cache", *dirs], {"env": env, "ok": (0, 1)}),
            f"--skip security, {n}, nothing changed": ([*offline, *dirs], {"env": env, "ok": (0, 1)}),
        }
        rows = paired(runs, cases)  # the warm-up run fills the result cache for the "nothing changed" case
        checkov_rows = {}
        if checkov.path:
            few = dirs[:k]
            one_arg = checkov_args(checkov.path, Path("DIR"))
            loop = ("import subprocess, sys\n"
                    f"argv = {one_arg!r}\n"
                    "for d in sys.argv[1:]:\n"
                    "    subprocess.run([d if a == 'DIR' else a for a in argv], stdout=subprocess.DEVNULL, "
                    "stderr=subprocess.DEVNULL)\n")
            checkov_env = {**env, **CHECKOV_ENV}
            checkov_rows = paired(runs, {
                f"all stages, {k} blueprints (one checkov)": ([*CLI, "validate", "-q", "-f", "json", "--no-cache",
                                                              "--checkov", checkov.path, *few],
                                                             {"env": env, "ok": (0, 1)}),
                f"checkov once per blueprint, {k} (reference)": ([sys.executable, "-c", loop, *few],
                                                                {"env": checkov_env}),
            }, warm_up=False)
        shutil.rmtree(root / "fleet", ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"median of {runs} rotating run(s); blueprints rendered from the examples; {tf_files} .tf files, "
          f"{deferred} of them left to python-hcl2 by the fast reader")
    first, again = rows[f"--skip security, {n} blueprints"], rows[f"--skip security, {n}, nothing changed"]
    print(table(rows, {"--skip security, 1 blueprint": "target <= 0.5 CPU",
                       f"--skip security, {n} blueprints": "target <= 15 s",
                       f"--skip security, {n}, nothing changed":
                       f"{again[1] / first[1] * 100:.0f}% of the first run's CPU, "
                       f"{again[0] / first[0] * 100:.0f}% of its wall (target <= 10%)"}))
    if checkov_rows:
        print(table(checkov_rows))
    else:
        print(f"checkov cases not run: {checkov.reason}")


if __name__ == "__main__":
    main()
