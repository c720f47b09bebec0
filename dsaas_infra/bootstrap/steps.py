"""What a bootstrap did, resource by resource: created, already there, or there but weaker than ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.table import Table

Outcome = Literal["created", "exists", "warn"]
STYLE = {"created": "green", "exists": "cyan", "warn": "yellow"}


@dataclass(frozen=True)
class Step:
    resource: str  # e.g. "s3 bucket acme-prod-tfstate-123456789012"
    outcome: Outcome
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"resource": self.resource, "outcome": self.outcome, "detail": self.detail}


def print_steps(console: Console, steps: list[Step], title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("resource")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for s in steps:
        table.add_row(s.resource, f"[{STYLE[s.outcome]}]{s.outcome}[/]", s.detail)
    console.print(table)
