"""`dsaas-infra drift`: refresh-only plans of one or many blueprints; 0 no drift, 2 drift, 1 error."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.errors import UserInputError


def run(paths: list[Path], fmt: str, jobs: int | None, skip_preflight: bool, out: Path | None,
        terraform: str | None) -> int:
    from dsaas_infra.commands import fleet_run
    from dsaas_infra.commands.plan import PlanInputError
    from dsaas_infra.fleet.jobs import DriftJob

    try:
        return fleet_run.run("drift", DriftJob, paths, fmt, jobs, skip_preflight, out, terraform)
    except UserInputError as e:
        # 2 means "drift": bad input is exit 1, as Terraform's -detailed-exitcode does.
        raise PlanInputError(e) from e
