"""`dsaas-infra preflight`: check the cloud account or project before Terraform runs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dsaas_infra.preflight.results import failures, print_table
from dsaas_infra.preflight.run import run_preflight
from dsaas_infra.spec import load_spec


def run(spec_path: Path) -> int:
    spec = load_spec(spec_path)
    results = run_preflight(spec)
    where = spec.aws.account_id if spec.cloud == "aws" else spec.gcp.project_id
    print_table(Console(highlight=False, soft_wrap=True), results,
                f"preflight: {spec.client.name} ({spec.cloud} {where})")
    return 1 if failures(results) else 0
