"""The preflight table shows names and cloud messages literally: they are data, never rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from dsaas_infra.preflight.results import CheckResult, print_table


def test_brackets_in_details_are_shown_as_they_are():
    results = [CheckResult("a", "state bucket", "fail", "o[red]x does not exist"),
               CheckResult("b", "lock table", "warn", "AccessDenied: b[/] [bold]")]
    out = io.StringIO()
    print_table(Console(file=out, width=200), results, "preflight: acme (aws x[bold]y)")
    text = out.getvalue()
    for literal in ("o[red]x does not exist", "AccessDenied: b[/] [bold]", "preflight: acme (aws x[bold]y)"):
        assert literal in text
