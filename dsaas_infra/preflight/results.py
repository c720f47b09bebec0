"""Preflight check results and their table: pass, warn, fail (or skip when an earlier check failed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

Status = Literal["pass", "warn", "fail", "skip"]
STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


@dataclass(frozen=True)
class CheckResult:
    id: str  # stable, e.g. "aws-account"
    title: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "status": self.status, "detail": self.detail}


def failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status == "fail"]


def print_table(console: Console, results: list[CheckResult], title: str) -> None:
    # Text, not markup: details carry names and cloud error messages ("[/]" would crash rich).
    table = Table(title=escape(title), title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for r in results:
        table.add_row(Text(r.title), Text(r.status, STYLE[r.status]), Text(r.detail))
    console.print(table)


def failure_line(results: list[CheckResult]) -> str:
    """The one line a failed preflight is reported with: the first failure, and how many."""
    failed = failures(results)
    first = failed[0]
    more = f" (and {len(failed) - 1} more failed check(s))" if len(failed) > 1 else ""
    return f"preflight failed: {first.title}: {first.detail}{more}"


def summary_line(results: list[CheckResult]) -> str:
    """The error line under the preflight table (which holds the details): which checks failed."""
    failed = failures(results)
    return (f"preflight failed: {len(failed)} check{'s' if len(failed) != 1 else ''} failed: "
            + "; ".join(r.title for r in failed))


Outcome = tuple[Status, str]


@dataclass(frozen=True)
class Check:
    """One preflight check: a stable id, a title for the table and the function that runs it."""

    id: str
    title: str
    run: Callable[[Any], Outcome]
    blocking: bool = False  # when it fails, the later checks are skipped


def run_all(checks: list[Check], ctx: Any) -> list[CheckResult]:
    results: list[CheckResult] = []
    blocked_by = ""
    for check in checks:
        if blocked_by:
            results.append(CheckResult(check.id, check.title, "skip", f"not run: {blocked_by} failed"))
            continue
        status, detail = check.run(ctx)
        results.append(CheckResult(check.id, check.title, status, detail))
        if check.blocking and status == "fail":
            blocked_by = check.title
    return results
