"""Benchmark: `validate --with plan` on one example, and what one stub provider's start-up costs.

Usage: python benchmarks/validate_plan.py [SPEC] [RUNS]   (default blueprints/aws-proactive.yaml, 3)

Prints medians of wall time and CPU time of the whole process tree (Terraform and every stub
process), paired with the reference the stage cannot go below: the same `validate` without the plan
stage. It also times one stub start-up to its go-plugin handshake (Terraform starts each provider
about three times per blueprint: schemas, validate, plan). Needs a Terraform >= 1.5 ($DSAAS_TERRAFORM).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU of children) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stub_startup(mirror: Path, env: dict[str, str]) -> tuple[float, float]:
    launcher = next(mirror.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*"))
    env = {**env, "TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([str(launcher)], stdout=subprocess.PIPE, env=env)
    proc.stdout.readline()
    wall = time.perf_counter() - start
    proc.kill()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    spec = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "blueprints" / "aws-proactive.yaml"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DSAAS_STUB_MIRROR": str(Path(tmp) / "stubs"), "CHECKPOINT_DISABLE": "1"}
        out = Path(tmp) / "bp"
        subprocess.run([sys.executable, "-m", "dsaas_infra", "render", str(spec), "--out", str(out)], check=True,
                       capture_output=True)
        base = [sys.executable, "-m", "dsaas_infra", "validate", str(out), "--skip", "security", "--skip", "terraform",
                "--skip", "format", "-f", "json"]
        measured([*base, "--with", "plan"], env)  # builds the stub mirror once, as a user's first run does
        plan = [measured([*base, "--with", "plan"], env) for _ in range(runs)]
        ref = [measured(base, env) for _ in range(runs)]
        stub = [stub_startup(Path(env["DSAAS_STUB_MIRROR"]), env) for _ in range(runs)]
    for label, rows in (("validate --with plan", plan), ("validate (reference, no plan)", ref),
                        ("one aws stub start-up to handshake", stub)):
        print(f"{label}: wall {statistics.median(r[0] for r in rows):.2f} s, "
              f"CPU {statistics.median(r[1] for r in rows):.2f} s (median of {len(rows)})")


if __name__ == "__main__":
    main()
