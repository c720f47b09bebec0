"""Commands that make and check blueprint files offline: render, upgrade, validate, cost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra.cli_groups.options import CheckovOpt, JobsOpt, PlanFormat, ReportFormat, TerraformOpt, run


def render_cmd(
    specs: Annotated[list[Path], typer.Argument(help="Client spec files (YAML) or folders of specs.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite files edited by hand since the last render.")] = False,
    jobs: JobsOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a render would change a "
                                                        "blueprint (for CI).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print the unified diff a render would "
                                                      "apply (exit 1 if any).")] = False,
) -> None:
    """Render one blueprint per spec (several specs or a folder: into OUT/<client>-<environment>/)."""
    from dsaas_infra.commands import render

    run(render.run, specs, out, force, jobs, check, diff)


def upgrade_cmd(
    dirs: Annotated[list[Path], typer.Argument(help="Rendered blueprint directories.", metavar="DIR...")],
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the upgrade would change "
                                                        "something (for CI).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print the unified diff the upgrade "
                                                      "would apply (exit 1 if any).")] = False,
    fmt: Annotated[
        PlanFormat, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")
    ] = PlanFormat.text,
) -> None:
    """Re-render each blueprint from its recorded spec and merge your hand edits (exit 1 on conflicts)."""
    from dsaas_infra.commands import upgrade

    run(upgrade.run, dirs, check, diff, fmt.value)


def validate_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Blueprint directories or spec files.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.text,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Skip a stage: syntax, references, schema, format, terraform, plan, security."),
    ] = None,
    enable: Annotated[
        list[str] | None,
        typer.Option("--with", help="Run an opt-in stage: plan (terraform validate + plan against stub providers)."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    strict: Annotated[bool, typer.Option(help="Run every stage (also --with ones); a stage that cannot run "
                                              "is an error.")] = False,
    terraform: TerraformOpt = None,
    checkov: CheckovOpt = None,
    jobs: JobsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (the report only).")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Validate every blueprint again, not reusing earlier results.")
    ] = False,
) -> None:
    """Validate blueprints offline: syntax, references, schema, format, terraform, security.

    Several blueprints are validated in parallel (--jobs) into one report."""
    from dsaas_infra.commands import validate

    run(validate.run, paths, fmt.value, list(skip or []), output, strict, terraform, checkov, jobs=jobs,
        enable=list(enable or []), quiet=quiet, no_cache=no_cache)


def cost_cmd(
    paths: Annotated[
        list[Path], typer.Argument(help="Specs, folders of specs or rendered blueprints.", metavar="SPEC|DIR...")
    ],
    fmt: Annotated[
        PlanFormat, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")
    ] = PlanFormat.text,
    prices: Annotated[
        Path | None, typer.Option("--prices", metavar="FILE", help="Price rows overriding the shipped table.")
    ] = None,
) -> None:
    """Estimate the monthly cost per client, phase and resource family (idle floor to max scale)."""
    from dsaas_infra.commands import cost

    run(cost.run, paths, fmt.value, prices)
