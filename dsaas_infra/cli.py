"""The dsaas-infra command line: parses arguments and dispatches; logic lives in commands/."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra import __version__, exit_codes
from dsaas_infra.error_handler import error_handler


def _metavars_not_python_types() -> None:
    """typer 0.29 labels every parameter in --help with its Python type (`<bool>`, `<list[Path]>`,
    `<text|json>`); show what a user types instead: an option's metavar (or its choices as
    `[a|b]`, or its type in capitals), nothing after a flag or an argument (its name is its
    metavar). tests/test_cli_help.py checks every command's help."""
    from typer import core

    def option_type(self, ctx):
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        label = core._TyperParameter.display_type(self, ctx).strip("<>")
        if label.startswith("list[") and label.endswith("]"):
            label = label[5:-1]  # a repeatable option takes one value each time
        return f"[{label}]" if "|" in label else label.upper().replace("STR", "TEXT")

    def argument_name(self) -> str:
        name = self.metavar or self.name.upper()
        return name if self.nargs == 1 or name.endswith("...") else f"{name}..."

    # Patching typer's help rendering on purpose (its classes offer no hook for this).
    core.TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    core.TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign]
    core.TyperArgument._usage_display_name = argument_name  # type: ignore[method-assign]


_metavars_not_python_types()

app = typer.Typer(
    name="dsaas-infra",
    help="Render, validate and run Terraform blueprints for Data Science as a Service clients.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Cloud(str, Enum):
    aws = "aws"
    gcp = "gcp"


class Maturity(str, Enum):
    reactive = "reactive"
    proactive = "proactive"
    managed = "managed"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


class PlanFormat(str, Enum):
    text = "text"
    json = "json"


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


def _run(func, *args, usage_status: int = exit_codes.USAGE, **kwargs) -> None:
    with error_handler(usage_status):
        status = func(*args, **kwargs)
    raise typer.Exit(exit_codes.OK if status is None else status)


SpecArg = Annotated[Path, typer.Argument(help="Client spec (YAML) or rendered blueprint directory.")]
TerraformOpt = Annotated[
    str | None,
    typer.Option("--terraform", help="terraform or tofu binary (default: $DSAAS_TERRAFORM, tofu, terraform)."),
]

JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Clients processed at once (default: the number of cores)."),
]


@app.command("init")
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

    _run(init.run, name, cloud.value if cloud else None, maturity.value if maturity else None, out, force,
         assess, answers)


@app.command("cost")
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

    _run(cost.run, paths, fmt.value, prices)


@app.command("render")
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

    _run(render.run, specs, out, force, jobs, check, diff)


@app.command("upgrade")
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

    _run(upgrade.run, dirs, check, diff, fmt.value)


@app.command("phases")
def phases_cmd(
    cloud: Annotated[Cloud | None, typer.Option(help="Only this cloud.")] = None,
) -> None:
    """Show the phase -> service table."""
    from dsaas_infra.commands import phases

    _run(phases.run, cloud.value if cloud else None)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the client spec (for editor completion)."""
    from dsaas_infra.commands import schema

    _run(schema.run)


@app.command("validate")
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
    checkov: Annotated[
        str | None, typer.Option("--checkov", help="checkov executable (default: $DSAAS_CHECKOV, .tools, PATH).")
    ] = None,
    jobs: JobsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (the report only).")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Validate every blueprint again, not reusing earlier results.")
    ] = False,
) -> None:
    """Validate blueprints offline: syntax, references, schema, format, terraform, security.

    Several blueprints are validated in parallel (--jobs) into one report."""
    from dsaas_infra.commands import validate

    _run(validate.run, paths, fmt.value, list(skip or []), output, strict, terraform, checkov, jobs=jobs,
         enable=list(enable or []), quiet=quiet, no_cache=no_cache)


@app.command("doctor")
def doctor_cmd(
    spec: Annotated[
        Path | None, typer.Argument(help="A client spec: its cloud's SDKs and credentials must work.")
    ] = None,
    cloud: Annotated[
        list[Cloud] | None, typer.Option("--cloud", help="A cloud whose SDKs and credentials must work (repeatable).")
    ] = None,
    terraform: TerraformOpt = None,
    checkov: Annotated[
        str | None, typer.Option("--checkov", help="checkov executable (default: $DSAAS_CHECKOV, .tools, PATH).")
    ] = None,
) -> None:
    """Check this machine: Terraform/OpenTofu version, checkov, schema snapshots, cloud SDKs, credentials."""
    from dsaas_infra.commands import doctor

    _run(doctor.run, [c.value for c in cloud or []], spec, terraform, checkov)


@app.command("preflight")
def preflight_cmd(spec: Annotated[Path, typer.Argument(help="Client spec (YAML).")]) -> None:
    """Check the cloud account/project before Terraform runs."""
    from dsaas_infra.commands import preflight

    _run(preflight.run, spec)


@app.command("bootstrap")
def bootstrap_cmd(spec: Annotated[Path, typer.Argument(help="Client spec (YAML).")]) -> None:
    """Create the remote state storage if missing; never weakens what exists."""
    from dsaas_infra.commands import bootstrap

    _run(bootstrap.run, spec)


@app.command("plan")
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

        _run(fleet_run.plan, targets, detailed_exitcode, fmt.value, jobs, skip_preflight, out, terraform,
             usage_status=usage)
    from dsaas_infra.commands import plan

    _run(plan.run, targets[0], detailed_exitcode, fmt.value, skip_preflight, out, terraform, usage_status=usage)


@app.command("drift")
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

    _run(drift.run, targets, fmt.value, jobs, skip_preflight, out, terraform,
         usage_status=exit_codes.USAGE_WHEN_2_MEANS_CHANGES)


class Engine(str, Enum):
    github = "github"
    atlantis = "atlantis"


@app.command("fleet")
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

    _run(fleet.run, specs_dir, out, engine.value, jobs, max_parallel, default_branch, drift_schedule, force)


@app.command("fleet-matrix")
def fleet_matrix_cmd(
    index_file: Annotated[Path, typer.Argument(help="fleet.json of the repository.")],
    changed: Annotated[Path | None, typer.Option("--changed", help="File with one changed path a line.")] = None,
    all_clients: Annotated[bool, typer.Option("--all", help="Every client.")] = False,
    shard: Annotated[int | None, typer.Option("--shard", min=1, help="Only this shard's clients.")] = None,
) -> None:
    """Print `matrix=` and `count=` lines for $GITHUB_OUTPUT (used by the fleet workflows)."""
    from dsaas_infra.commands import fleet_matrix

    _run(fleet_matrix.run, index_file, changed, all_clients, shard)


@app.command("fleet-report")
def fleet_report_cmd(
    kind: Annotated[str, typer.Argument(help="plan or drift")],
    report: Annotated[Path, typer.Argument(help="The JSON report (plan/drift --format json).")],
    client: Annotated[str, typer.Option("--client", help="Client-environment the report is for.")] = "",
) -> None:
    """Print a JSON plan or drift report as Markdown (for $GITHUB_STEP_SUMMARY)."""
    from dsaas_infra.commands import fleet_report

    _run(fleet_report.run, kind, report, client)


@app.command("apply")
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

    _run(apply.run, target, auto_approve, out, terraform)


@app.command("destroy")
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

    _run(destroy.run, target, auto_approve, confirm, out, terraform)


def main() -> None:
    # typer's rich help and error panels import about 0.3 s of CPU (rich, markdown-it): only worth
    # it on a terminal. Piped or captured (CI logs, scripts, `| less`), click's plain layout shows
    # the same text and exit statuses.
    if not sys.stdout.isatty():
        app.rich_markup_mode = None
    app()
