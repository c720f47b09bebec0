"""Local fleet runs shared by `plan` (many targets) and `drift`: resolve every client, preflight
them all before any Terraform runs, then one job per client on a bounded process pool."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from dsaas_infra import exit_codes
from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.fleet import local, targets
from dsaas_infra.fleet.local import Job, Task


def run(command: str, job_for, paths: list[Path], fmt: str, jobs: int | None, skip_preflight: bool,
        out: Path | None, terraform: str | None) -> int:
    from dsaas_infra.render.parallel import default_jobs
    from dsaas_infra.terraform.runner import find_terraform

    if not paths:
        raise UsageError(f"{command} needs at least one spec, folder or blueprint directory")
    binary = find_terraform(terraform)
    jobs = jobs or default_jobs()
    # With --format json, stdout carries only the JSON document.
    console = Console(stderr=fmt == "json", highlight=False, soft_wrap=True)
    wss, placed = targets.workspaces(paths, out, jobs)
    tasks = [Task(targets.label(ws), str(ws.dir), str(ws.spec_path or "")) for ws in wss]
    if not skip_preflight:
        _preflight(wss, tasks, jobs, console)
    if placed:
        from dsaas_infra.render.batch import write_all

        write_all(placed, force=False)
    job: Job = job_for(binary)
    results = local.run_all(job, tasks, jobs, console, title=command)
    if fmt == "json":
        sys.stdout.write(local.to_json(command, results))
    else:
        console.print(local.summary_table(results, f"{command}: {len(results)} client(s)"))
    return exit_codes.worst([r.exit_code for r in results])


def _preflight(wss, tasks: list[Task], jobs: int, console: Console) -> None:
    from dsaas_infra.fleet.jobs import PreflightJob

    unknown = [ws.dir for ws in wss if ws.spec is None]
    if unknown:
        raise UsageError(f"{', '.join(map(str, unknown))}: no spec is recorded for this blueprint, so it "
                         "cannot be preflighted; give the specs instead, or pass --skip-preflight")
    results = local.run_all(PreflightJob(), tasks, jobs, console, show_output=False, title="preflight")
    failed = [r for r in results if r.exit_code != 0]
    for r in failed:
        console.print(r.output.rstrip("\n"), markup=False, highlight=False)
    if failed:
        raise OperationError(f"preflight failed for {len(failed)} of {len(results)} client(s): "
                             f"{', '.join(r.client for r in failed)}; no Terraform ran "
                             "(fix them, or pass --skip-preflight)")
    console.print(f"preflight passed for {len(results)} client(s)")


def plan(paths: list[Path], detailed_exitcode: bool, fmt: str, jobs: int | None, skip_preflight: bool,
         out: Path | None, terraform: str | None) -> int:
    """`plan` of several clients: each saves its own plan (apply them one by one)."""
    import functools

    from dsaas_infra.fleet.jobs import PlanJob

    return run("plan", functools.partial(PlanJob, detailed_exitcode=detailed_exitcode), paths, fmt,
               jobs, skip_preflight, out, terraform)
