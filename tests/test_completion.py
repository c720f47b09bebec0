"""Shell completion, as the `dsaas-infra` script's bash/zsh completion functions ask for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# What the console script does: argv[0] is "dsaas-infra", so the completion variable is
# _DSAAS_INFRA_COMPLETE, as in the functions `--show-completion` prints.
SCRIPT = "import sys; sys.argv[0] = 'dsaas-infra'; from dsaas_infra.cli import main; main()"


def complete(words: str, shell: str = "bash") -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "_DSAAS_INFRA_COMPLETE": f"complete_{shell}",
           "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1), "_TYPER_COMPLETE_ARGS": words}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("words, expected", [
    ("dsaas-infra val", ["validate"]),
    ("dsaas-infra validate --f", ["--format"]),
    ("dsaas-infra init acme --matur", ["--maturity"]),
])
def test_bash_completion(words, expected):
    assert complete(words) == expected


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_for_each_shell(shell):
    """What `--show-completion` prints (it needs to detect the shell when shellingham is installed,
    which a test process cannot offer): the script the completion variable's source_* mode emits."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "_DSAAS_INFRA_COMPLETE": f"source_{shell}"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and "_DSAAS_INFRA_COMPLETE" in result.stdout, result.stderr
