"""Commands that check or change a cloud account: doctor, preflight, bootstrap, plan, drift, apply, destroy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra import exit_codes
from dsaas_infra.cli_groups.options import CheckovOpt, Cloud, JobsOpt, PlanFormat, SpecArg, TerraformOpt, run


def doctor_cmd(
    spec: Annotated[
        Path | None, typer.Argument(help="A client spec: its cloud's SDKs and credentials must work.")
    ] = None,
    cloud: Annotated[
        list[Cloud] | None, typer.Option("--cloud", help="A cloud whose SDKs and credentials must work (repeatable).")
    ] = None,
    terraform: TerraformOpt = None,
    checkov: CheckovOpt = None,
) -> None:
    """Check this machine: Terraform/OpenTofu version, checkov, schema snapshots, cloud SDKs, credentials."""
    from dsaas_infra.commands import doctor

    run(doctor.run, [c.value for c in cloud or []], spec, terraform, checkov)


def preflight_cmd(spec: Annotated[Path, typer.Argument(help="Client spec (YAML).")]) -> None:
    """Check the cloud account/project before Terraform runs."""
    from dsaas_infra.commands import preflight

    run(preflight.run, spec)


def bootstrap_cmd(spec: Annotated[Path, typer.Argument(help="Client spec (YAML).")]) -> None:
    """Create the remote state storage if missing; never weakens what exists."""
    from dsaas_infra.commands import bootstrap

    run(bootstrap.run, spec)


def plan_cmd(
    targets: Annotated[
        list[Path], typer.Argument(help="Client specs, folders of specs or blueprints, blueprint directories.")
    ],
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 no changes, 1 error, 2... see README.")
    ] = False,
    fmt: Annotated[
        PlanFormat,
        typer.Option("--format", "-f", help="text summary, or json on stdout (Terraform's output on stderr)."),
    ] = PlanFormat.text,
    skip_preflight: Annotated[
        bool, typer.Option("--skip-preflight", help="Do not check the cloud account/project first.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Render a spec here.")] = None,
    terraform: TerraformOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Render (for a spec), preflight, init and plan; summarise the changes by phase.

    Several clients: preflight them all, then plan them in parallel (--jobs) with one summary table."""
    from dsaas_infra.fleet.targets import is_many

    usage = exit_codes.USAGE_WHEN_2_MEANS_CHANGES if detailed_exitcode else exit_codes.USAGE
    if is_many(targets):
        from dsaas_infra.commands import fleet_run

        run(fleet_run.plan, targets, detailed_exitcode, fmt.value, jobs, skip_preflight, out, terraform,
            usage_status=usage)
    from dsaas_infra.commands import plan

    run(plan.run, targets[0], detailed_exitcode, fmt.value, skip_preflight, out, terraform, usage_status=usage)


def drift_cmd(
    targets: Annotated[
        list[Path], typer.Argument(help="Client specs, folders of specs or blueprints, blueprint directories.")
    ],
    fmt: Annotated[
        PlanFormat,
        typer.Option("--format", "-f", help="text summary, or json on stdout (Terraform's output on stderr)."),
    ] = PlanFormat.text,
    skip_preflight: Annotated[
        bool, typer.Option("--skip-preflight", help="Do not check the cloud account/project first.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Render specs into OUT/<client>-<env>.")] = None,
    terraform: TerraformOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Refresh-only plan per blueprint: resources changed outside Terraform (exit 0 none, 2 drift, 1 error)."""
    from dsaas_infra.commands import drift

    run(drift.run, targets, fmt.value, jobs, skip_preflight, out, terraform,
        usage_status=exit_codes.USAGE_WHEN_2_MEANS_CHANGES)


def apply_cmd(
    target: SpecArg,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask (no terminal, e.g. CI); see the README.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the spec was rendered.")] = None,
    terraform: TerraformOpt = None,
) -> None:
    """Apply the plan made by `plan`, only if the blueprint has not changed since."""
    from dsaas_infra.commands import apply

    run(apply.run, target, auto_approve, out, terraform)


def destroy_cmd(
    target: SpecArg,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask (no terminal, e.g. CI); see the README.")
    ] = False,
    confirm: Annotated[str | None, typer.Option("--confirm", help="The client name, with --auto-approve.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the spec was rendered.")] = None,
    terraform: TerraformOpt = None,
) -> None:
    """Destroy a client's blueprint after typing the client name."""
    from dsaas_infra.commands import destroy

    run(destroy.run, target, auto_approve, confirm, out, terraform)
