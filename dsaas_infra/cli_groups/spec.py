"""Commands about the client spec itself: a starter spec, its JSON Schema, the phase table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra.cli_groups.options import Cloud, Maturity, run


def init_cmd(
    name: Annotated[str, typer.Argument(help="Client name (3-20 chars, lowercase).", metavar="NAME")],
    cloud: Annotated[
        Cloud | None, typer.Option(help="Target cloud (default: the assessment's advice, else aws).")
    ] = None,
    maturity: Annotated[
        Maturity | None,
        typer.Option(help="Data-maturity level (default: the assessment's result, else proactive)."),
    ] = None,
    assess: Annotated[
        bool, typer.Option("--assess", help="Answer a short maturity self-assessment on the terminal.")
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", metavar="FILE",
                     help="Assessment answers from a YAML file (or a spec's assessment block)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="FILE", help="Spec file to write (default NAME.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter spec for a new client (optionally from a maturity self-assessment)."""
    from dsaas_infra.commands import init

    run(init.run, name, cloud.value if cloud else None, maturity.value if maturity else None, out, force,
        assess, answers)


def phases_cmd(
    cloud: Annotated[Cloud | None, typer.Option(help="Only this cloud.")] = None,
) -> None:
    """Show the phase -> service table."""
    from dsaas_infra.commands import phases

    run(phases.run, cloud.value if cloud else None)


def schema_cmd() -> None:
    """Print the JSON Schema of the client spec (for editor completion)."""
    from dsaas_infra.commands import schema

    run(schema.run)
