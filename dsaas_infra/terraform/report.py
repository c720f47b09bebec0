"""Show a plan summary to a person: a table per phase and resource type, destructive changes in red."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dsaas_infra.terraform.plan import CHANGE_ACTIONS, DESTRUCTIVE, PlanSummary


def _cell(action: str, count: int) -> Text:
    if not count:
        return Text("-", style="dim")
    style = "bold red" if action in DESTRUCTIVE else ("green" if action == "create" else "yellow")
    return Text(str(count), style=style)


def totals_line(summary: PlanSummary) -> str:
    t = summary.totals
    return (f"{t['create']} to create, {t['update']} to update, "
            f"{t['replace']} to replace, {t['destroy']} to destroy")


def print_summary(console: Console, summary: PlanSummary, title: str) -> None:
    # The title names the blueprint directory: a user path, never markup.
    if not summary.has_changes:
        console.print(f"{title}: no changes; the infrastructure matches the blueprint.", markup=False)
        return
    table = Table(title=escape(title), title_justify="left")
    table.add_column("phase")
    table.add_column("resource type")
    for action in CHANGE_ACTIONS:
        table.add_column(action, justify="right")
    for phase, types in summary.by_phase.items():
        for i, (rtype, counts) in enumerate(sorted(types.items())):
            cells = (_cell(a, counts.get(a, 0)) for a in CHANGE_ACTIONS)
            table.add_row(Text(phase if i == 0 else ""), Text(rtype), *cells)
        table.add_section()
    console.print(table)
    console.print(f"Plan: {totals_line(summary)}." + (" Outputs change too." if summary.outputs_change else ""),
                  markup=False)
    if summary.destructive:
        console.print(Text(f"{len(summary.destructive)} destructive change(s):", style="bold red"))
        for row in summary.destructive:
            where = f"{row['phase']}, {row['file']}" if row["file"] else row["phase"]
            console.print(Text(f"  {row['action']:<8} {row['address']}  ({where})", style="red"))
