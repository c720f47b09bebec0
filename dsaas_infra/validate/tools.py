"""Find the validation tools (terraform/tofu, checkov) and run them with captured output.

The validate stages run checkov and `terraform fmt/init/validate` here, to completion, and read
their exit status and output themselves (a non-zero exit is a finding, not a failure).
terraform.runner.run_terraform is the other place Terraform starts: it streams plan/apply/destroy
to the user and forwards Ctrl-C so that Terraform can release the state lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra.errors import OperationError, ToolMissingError
from dsaas_infra.terraform import runner

CHECKOV_VENV = Path(".tools/checkov/bin/checkov")  # scripts/install_test_tools.sh puts it there


@dataclass(frozen=True)
class Found:
    """A tool's path, or the reason it is not there (shown as the stage's skip reason)."""

    path: str | None
    reason: str = ""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def locate_terraform(explicit: str | None, env: Mapping[str, str]) -> Found:
    """The same binary plan/apply would use (terraform.runner's order), or why there is none."""
    try:
        # absolute: stages run tools from other working directories
        return Found(os.path.abspath(runner.find_terraform(explicit, env)))
    except ToolMissingError as e:
        return Found(None, str(e))


def locate_checkov(explicit: str | None, env: Mapping[str, str]) -> Found:
    """--checkov, then $DSAAS_CHECKOV, then .tools/checkov/bin/checkov (checkov_venv), then PATH."""
    for origin, candidate in (("--checkov", explicit), ("DSAAS_CHECKOV", env.get("DSAAS_CHECKOV"))):
        if candidate:
            # absolute: stages run tools from other working directories
            return Found(os.path.abspath(runner.find_executable(origin, candidate, env)))
    venv = checkov_venv(Path.cwd())
    if venv is not None:
        return Found(str(venv))
    found = shutil.which("checkov", path=env.get("PATH"))
    if found:
        return Found(found)
    return Found(None, "checkov not found (create its own venv: python -m venv .tools/checkov && "
                       ".tools/checkov/bin/pip install checkov; or use --checkov PATH / DSAAS_CHECKOV)")


def checkov_venv(cwd: Path) -> Path | None:
    """.tools/checkov/bin/checkov in ``cwd`` or a parent up to the repository root (the nearest
    directory holding .git), so that validate finds it from any folder of the repository;
    outside a repository only ``cwd`` is looked at."""
    chain = [cwd.resolve(), *cwd.resolve().parents]
    root = next((i for i, d in enumerate(chain) if (d / ".git").exists()), 0)
    for directory in chain[:root + 1]:
        if _executable(str(directory / CHECKOV_VENV)):
            return directory / CHECKOV_VENV
    return None


def run_tool(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a tool and capture its output; a tool that cannot start or hangs raises OperationError."""
    try:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as e:
        raise OperationError(f"{Path(argv[0]).name} timed out after {timeout:.0f}s: {' '.join(argv)}") from e
    except OSError as e:
        raise OperationError(f"cannot run {argv[0]}: {e}") from e
