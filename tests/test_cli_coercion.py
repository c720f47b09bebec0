"""CLI values converted without pydantic (cli_coercion.py) are exactly what typer's pydantic conversion gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click
from typer._coercion import build_runtime_param

from dsaas_infra import cli_coercion
from dsaas_infra.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLES = ["aws", "GCP", "gcp", "azure", "text", "json", "sarif", "managed", "github", "1", "0", "256", "257", "8",
           "-1", "+3", " 4", "4.0", "abc", "", "out/dir", "blueprints/aws-managed.yaml", True, False, 3,
           ["a", "b"], ["aws", "gcp"], ("x",)]


def parameters() -> list:
    group = typer.main.get_command(app)
    return [pytest.param(command, param, id=f"{name}-{param.name}")
            for name, command in group.commands.items() for param in command.params]  # type: ignore[attr-defined]


def outcome(runtime, value, param, ctx):
    try:
        return "ok", runtime._coerce_value(value, param=param, ctx=ctx)
    except _click.exceptions.BadParameter as e:
        return "error", e.format_message()
    except Exception as e:  # noqa: BLE001 - the same failure either way is what is compared
        return type(e).__name__, str(e)


@pytest.mark.parametrize("command, param", parameters())
def test_every_parameter_converts_every_sample_as_typer_does(command, param):
    ctx = _click.Context(command)
    light = cli_coercion.light_runtime_param(param.type_descriptor)
    full = build_runtime_param(param.type_descriptor)
    for value in SAMPLES:
        assert outcome(light, value, param, ctx) == outcome(full, value, param, ctx), value


def test_the_plain_types_of_the_cli_are_all_converted_without_pydantic():
    group = typer.main.get_command(app)
    uncovered = [f"{n} {p.name}" for n, c in group.commands.items() for p in c.params  # type: ignore[attr-defined]
                 if not isinstance(cli_coercion.light_runtime_param(p.type_descriptor), cli_coercion.LightParam)]
    assert uncovered == []


def test_phases_imports_no_pydantic():
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dsaas_infra", "phases", "--cloud", "gcp"],
                            capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Vertex AI" in result.stdout
    modules = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import")}
    assert modules and not {m for m in modules if m.split(".")[0] == "pydantic"}
