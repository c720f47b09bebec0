"""`dsaas-infra phases`: the phase -> service table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dsaas_infra import exit_codes
from dsaas_infra.phases import PHASES, PURPOSE, SERVICES


def run(cloud: str | None) -> int:
    clouds = [cloud] if cloud else list(SERVICES)
    table = Table(title="dsaas-infra phases")
    table.add_column("phase")
    table.add_column("purpose")
    for c in clouds:
        table.add_column(c.upper())
    for phase in PHASES:
        table.add_row(phase, PURPOSE[phase], *(", ".join(SERVICES[c][phase]) for c in clouds))
    Console().print(table)
    return exit_codes.OK
