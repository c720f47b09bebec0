"""Human report: a rich table per stage (grouped, located findings) and one summary line."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dsaas_infra.validate.findings import ERROR, FAILED, INFO, PASSED, SKIPPED, WARNING, Report

STYLE = {ERROR: "bold red", WARNING: "yellow", INFO: "cyan", PASSED: "green", FAILED: "bold red",
         SKIPPED: "yellow"}


def render(report: Report, console: Console) -> None:
    # Cells are Text, never markup: paths and messages come from the user's files ("o[red]x").
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    for col in ("stage", "severity", "rule", "location", "address", "message"):
        table.add_column(col, overflow="fold")
    for stage in report.stages:
        status = stage.status
        note = f" ({stage.skipped_reason})" if stage.skipped_reason else f" {stage.seconds:.2f}s"
        table.add_row(Text(stage.stage, STYLE[status]), Text(status, STYLE[status]), "", "", "", Text(note),
                      end_section=not stage.findings)
        for i, f in enumerate(stage.findings):
            message = f.message + (f"\n{f.guideline}" if f.guideline else "")
            table.add_row("", Text(f.severity, STYLE[f.severity]), Text(f.rule_id), Text(f.location()),
                          Text(f.address or ""), Text(message), end_section=i == len(stage.findings) - 1)
    console.print(table)
    console.print(summary(report), markup=False)


def summary(report: Report) -> str:
    counts = ", ".join(f"{report.count(s)} {s}{'s' if s != INFO and report.count(s) != 1 else ''}"
                       for s in (ERROR, WARNING, INFO))
    stages = ", ".join(f"{s.stage} {s.status}" for s in report.stages)
    n = len(report.targets)
    return f"{counts} in {n} blueprint{'s' if n != 1 else ''} ({stages})"
