"""What several commands share: choice enums, option declarations and the one call into commands/."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from dsaas_infra import exit_codes
from dsaas_infra.error_handler import error_handler


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


class Engine(str, Enum):
    github = "github"
    atlantis = "atlantis"


def run(func, *args, usage_status: int = exit_codes.USAGE, **kwargs) -> None:
    """Call a command's plain function; its exit status (or the error handler's) ends the process."""
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

CheckovOpt = Annotated[
    str | None, typer.Option("--checkov", help="checkov executable (default: $DSAAS_CHECKOV, .tools, PATH).")
]
