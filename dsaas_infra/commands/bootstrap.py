"""`dsaas-infra bootstrap`: create the remote state storage if missing."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dsaas_infra import clouds, exit_codes
from dsaas_infra.bootstrap.steps import print_steps
from dsaas_infra.commands.preflight import load_spec_file
from dsaas_infra.preflight.run import cloud_sdk


def run(spec_path: Path) -> int:
    spec = load_spec_file("bootstrap", spec_path)
    cloud = clouds.of(spec)
    with cloud_sdk(cloud):
        steps = cloud.bootstrap(spec)
    print_steps(Console(highlight=False, soft_wrap=True), steps,
                f"bootstrap: state storage for {spec.client.name} ({spec.cloud})")
    return exit_codes.OK
