"""The dsaas-infra command line: the table of commands (declared in cli_groups/, logic in commands/)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dsaas_infra import __version__, cli_coercion
from dsaas_infra.cli_groups import account, blueprint, fleet, signatures, spec
from dsaas_infra.cli_groups.help_format import metavars_not_python_types

metavars_not_python_types()
signatures.read_once()  # typer reads each signature twice while building the app
cli_coercion.install()  # plain values without pydantic (0.15 s of imports for `phases`)

app = typer.Typer(
    name="dsaas-infra",
    help="Render, validate and run Terraform blueprints for Data Science as a Service clients.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Every command, in the order --help lists them: (name, typer declaration in cli_groups/).
COMMANDS = (
    ("init", spec.init_cmd),
    ("cost", blueprint.cost_cmd),
    ("render", blueprint.render_cmd),
    ("upgrade", blueprint.upgrade_cmd),
    ("phases", spec.phases_cmd),
    ("schema", spec.schema_cmd),
    ("validate", blueprint.validate_cmd),
    ("doctor", account.doctor_cmd),
    ("preflight", account.preflight_cmd),
    ("bootstrap", account.bootstrap_cmd),
    ("plan", account.plan_cmd),
    ("drift", account.drift_cmd),
    ("fleet", fleet.fleet_cmd),
    ("fleet-matrix", fleet.fleet_matrix_cmd),
    ("fleet-report", fleet.fleet_report_cmd),
    ("apply", account.apply_cmd),
    ("destroy", account.destroy_cmd),
)
for _name, _declaration in COMMANDS:
    app.command(_name)(_declaration)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dsaas-infra {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """dsaas-infra: one YAML spec per client -> a Terraform blueprint on AWS or GCP."""


def main() -> None:
    # typer's rich help and error panels import about 0.3 s of CPU (rich, markdown-it): only worth
    # it on a terminal. Piped or captured (CI logs, scripts, `| less`), click's plain layout shows
    # the same text and exit statuses.
    if not sys.stdout.isatty():
        app.rich_markup_mode = None
    app()
