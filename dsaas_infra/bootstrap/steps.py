"""What a bootstrap did, resource by resource: created, already there, or there but weaker than ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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
    # Text, not markup: resource names and details come from the spec and the cloud.
    table = Table(title=escape(title), title_justify="left")
    table.add_column("resource")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for s in steps:
        table.add_row(Text(s.resource), Text(s.outcome, STYLE[s.outcome]), Text(s.detail))
    console.print(table)
