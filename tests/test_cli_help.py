"""Every command's --help: every option and argument explained, metavars a user can type."""

from __future__ import annotations

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from dsaas_infra.cli import app

ROOT = typer.main.get_command(app)
COMMANDS = sorted(ROOT.commands)  # type: ignore[attr-defined]
PYTHON_TYPE = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|[a-z]+(\|[a-z0-9-]+)+)>", re.I)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_parameter_has_help(name):
    command = ROOT.commands[name]  # type: ignore[attr-defined]
    assert command.help, f"{name}: no docstring"
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "help":
            continue
        assert getattr(param, "help", None), f"{name}: {param.name} has no help text"


@pytest.mark.parametrize("name", COMMANDS + [None])
def test_help_shows_no_python_types(name):
    args = [name, "--help"] if name else ["--help"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert not PYTHON_TYPE.search(result.output), f"{name}: {PYTHON_TYPE.search(result.output).group(0)}"
