"""`dsaas-infra drift`: refresh-only plans of one or many blueprints; 0 no drift, 2 drift, 1 error."""

from __future__ import annotations

from pathlib import Path


def run(paths: list[Path], fmt: str, jobs: int | None, skip_preflight: bool, out: Path | None,
        terraform: str | None) -> int:
    """exit_codes.CHANGES when something drifted (the CLI reports bad input as FAILED, not 2)."""
    from dsaas_infra.commands import fleet_run
    from dsaas_infra.fleet.jobs import DriftJob

    return fleet_run.run("drift", DriftJob, paths, fmt, jobs, skip_preflight, out, terraform)
