"""Commands of a fleet repository: lay it out, its CI matrix and its step summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra.cli_groups.options import Engine, JobsOpt, run


def fleet_cmd(
    specs_dir: Annotated[Path, typer.Argument(help="Folder of client specs (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The fleet repository to lay out.")],
    engine: Annotated[Engine, typer.Option(help="CI engine that runs the fleet.")] = Engine.github,
    max_parallel: Annotated[int, typer.Option("--max-parallel", min=1, max=256,
                                              help="Clients a workflow runs at once.")] = 20,
    default_branch: Annotated[
        str, typer.Option("--default-branch", metavar="BRANCH", help="The branch whose pushes apply (default main).")
    ] = "main",
    drift_schedule: Annotated[str, typer.Option("--drift-schedule", help="Cron (UTC) of drift runs.")] = "17 5 * * *",
    force: Annotated[bool, typer.Option(help="Overwrite blueprint files edited by hand.")] = False,
    jobs: JobsOpt = None,
) -> None:
    """Lay out a GitOps repository: clients/<client>-<env>/, specs/, fleet.json and CI workflows."""
    from dsaas_infra.commands import fleet

    run(fleet.run, specs_dir, out, engine.value, jobs, max_parallel, default_branch, drift_schedule, force)


def fleet_matrix_cmd(
    index_file: Annotated[Path, typer.Argument(help="fleet.json of the repository.")],
    changed: Annotated[Path | None, typer.Option("--changed", help="File with one changed path a line.")] = None,
    all_clients: Annotated[bool, typer.Option("--all", help="Every client.")] = False,
    shard: Annotated[int | None, typer.Option("--shard", min=1, help="Only this shard's clients.")] = None,
) -> None:
    """Print `matrix=` and `count=` lines for $GITHUB_OUTPUT (used by the fleet workflows)."""
    from dsaas_infra.commands import fleet_matrix

    run(fleet_matrix.run, index_file, changed, all_clients, shard)


def fleet_report_cmd(
    kind: Annotated[str, typer.Argument(help="plan or drift")],
    report: Annotated[Path, typer.Argument(help="The JSON report (plan/drift --format json).")],
    client: Annotated[str, typer.Option("--client", help="Client-environment the report is for.")] = "",
) -> None:
    """Print a JSON plan or drift report as Markdown (for $GITHUB_STEP_SUMMARY)."""
    from dsaas_infra.commands import fleet_report

    run(fleet_report.run, kind, report, client)
