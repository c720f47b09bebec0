"""`dsaas-infra preflight`: check the cloud account or project before Terraform runs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dsaas_infra import clouds, exit_codes
from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.preflight.results import failures, print_table, summary_line
from dsaas_infra.preflight.run import run_preflight
from dsaas_infra.spec import load_spec
from dsaas_infra.spec.resolved import ResolvedSpec


def load_spec_file(command: str, path: Path) -> ResolvedSpec:
    """The spec of preflight/bootstrap: unlike plan, they take no blueprint directory."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory; {command} takes a spec file (YAML)")
    return load_spec(path)


def run(spec_path: Path) -> int:
    spec = load_spec_file("preflight", spec_path)
    results = run_preflight(spec)
    where = clouds.of(spec).account(spec)
    print_table(Console(highlight=False, soft_wrap=True), results,
                f"preflight: {spec.client.name} ({spec.cloud} {where})")
    if failures(results):
        raise OperationError(summary_line(results))  # the table above holds the details
    return exit_codes.OK
