"""The bootstrap table shows resource names and details literally: they are data, never rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from dsaas_infra.bootstrap.steps import Step, print_steps


def test_brackets_are_shown_as_they_are():
    steps = [Step("s3 bucket o[red]x", "created", "versioning"), Step("table b[/]", "warn", "lacks [bold]")]
    out = io.StringIO()
    print_steps(Console(file=out, width=200), steps, "bootstrap: x[bold]y")
    text = out.getvalue()
    for literal in ("s3 bucket o[red]x", "table b[/]", "lacks [bold]", "bootstrap: x[bold]y"):
        assert literal in text
