"""Start-up as a user's shell or CI runs it (a piped process): only what the command needs is imported,
and the plain help off a terminal explains the same options as the rich help on one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY_EVERYWHERE = {"boto3", "botocore", "google", "checkov", "lark", "hcl2", "grpc", "cryptography"}
RICH_HELP = {"typer.rich_utils", "rich.markdown", "markdown_it"}


def imported_by(*args: str, cwd: Path = REPO) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the CLI with stdout and stderr piped (not a terminal) under -X importtime."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dsaas_infra", *args],
                            capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    modules = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    assert modules, "importtime printed nothing"
    return result, modules


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_off_a_terminal_imports_neither_rich_nor_pydantic():
    result, modules = imported_by("--help")
    assert result.returncode == 0, result.stderr
    assert not modules & RICH_HELP, modules & RICH_HELP
    assert not tops(modules) & {"rich", "pydantic", "jinja2", "yaml", *HEAVY_EVERYWHERE}


def test_render_imports_no_rich_and_no_validate_or_cloud_libraries(tmp_path):
    result, modules = imported_by("render", str(REPO / "blueprints" / "aws-managed.yaml"),
                                  "--out", str(tmp_path / "bp"))
    assert result.returncode == 0, result.stderr
    assert "rendered " in result.stderr
    assert not tops(modules) & {"rich", *HEAVY_EVERYWHERE}, tops(modules) & {"rich", *HEAVY_EVERYWHERE}


@pytest.mark.parametrize("command", ["validate", "render", "fleet", "plan"])
def test_plain_help_explains_every_option_without_python_types(command):
    import typer

    from dsaas_infra.cli import app
    from tests.test_cli_help import PYTHON_TYPE

    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    result = subprocess.run([sys.executable, "-m", "dsaas_infra", command, "--help"], capture_output=True,
                            text=True, cwd=REPO, env={**os.environ, "COLUMNS": "200"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "╭" not in result.stdout  # click's layout, not rich panels
    assert not PYTHON_TYPE.search(result.stdout), PYTHON_TYPE.search(result.stdout).group(0)
    for param in click_command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert opt in result.stdout, f"{command}: {opt} missing from the plain help"


def test_validate_of_a_directory_without_a_spec_imports_neither_the_spec_model_nor_the_renderer(tmp_path):
    # A blueprint rendered elsewhere (no recorded spec: the budget stage has nothing to load) is
    # read by validate alone: the spec model (pydantic) and Jinja are 0.35 s of imports it does not use.
    result, modules = imported_by("validate", str(REPO / "tests" / "fixtures" / "null_blueprint" / "phases"),
                                  "--skip", "terraform", "--skip", "security", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "syntax passed" in result.stderr
    assert not tops(modules) & {"pydantic", "jinja2", *HEAVY_EVERYWHERE}, tops(modules) & {"pydantic", "jinja2"}
    assert not {"dsaas_infra.spec", "dsaas_infra.render.renderer"} & modules
