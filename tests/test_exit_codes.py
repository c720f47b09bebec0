"""Exit statuses: one table in dsaas_infra.exit_codes, the README says the same, every command uses it.

Each command's statuses are checked through the real CLI (a process), without Terraform or a cloud
where the status is decided before either is needed; tests/commands/test_plan_apply_destroy.py runs
plan/apply/destroy to their end (a cancelled destroy exits FAILED there).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra import exit_codes
from dsaas_infra.error_handler import error_handler
from dsaas_infra.errors import Cancelled, OperationError, SpecError, UsageError
from tests.spec.conftest import GOOD_AWS

ROOT = Path(__file__).resolve().parents[1]
BAD_SPEC = "apiVersion: dsaas-infra/v1\nclient: {name: acme}\n"


def test_the_readme_table_is_the_constants():
    text = (ROOT / "README.md").read_text()
    table = text.split("### Exit statuses\n", 1)[1].split("\n\n", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", table, flags=re.M))
    assert {int(k) for k in rows} == {exit_codes.OK, exit_codes.FAILED, exit_codes.USAGE,
                                      exit_codes.INTERNAL, exit_codes.INTERRUPTED}
    assert "success" in rows[str(exit_codes.OK)]
    assert "failed operation" in rows[str(exit_codes.FAILED)]
    assert "bad input" in rows[str(exit_codes.USAGE)]
    assert "internal error" in rows[str(exit_codes.INTERNAL)]
    assert "interrupted" in rows[str(exit_codes.INTERRUPTED)]


def _literal_statuses(path: Path, root: Path = ROOT) -> list[str]:
    """`return <int>` and `Exit/SystemExit(<int>)` with a literal in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        value = None
        if isinstance(node, ast.Return):
            value = node.value
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "Exit", "SystemExit", "exit"):
            value = node.args[0] if node.args else None
        if isinstance(value, ast.Constant) and isinstance(value.value, int) and not isinstance(value.value, bool):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_literal_exit_status_in_the_cli_layer():
    modules = [ROOT / "dsaas_infra/cli.py", ROOT / "dsaas_infra/error_handler.py",
               *sorted((ROOT / "dsaas_infra/cli_groups").glob("*.py")),
               *sorted((ROOT / "dsaas_infra/commands").glob("*.py"))]
    assert [hit for m in modules for hit in _literal_statuses(m)] == []


def test_the_literal_scan_finds_a_literal(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    return 1\n\ndef g():\n    raise SystemExit(3)\n")
    assert _literal_statuses(module, tmp_path) == ["m.py:2", "m.py:5"]


@pytest.mark.parametrize(("error", "status"), [
    (OperationError("terraform failed"), exit_codes.FAILED),
    (Cancelled("Apply cancelled; nothing was changed."), exit_codes.FAILED),
    (UsageError("bad"), exit_codes.USAGE),
    (SpecError([]), exit_codes.USAGE),
    (KeyboardInterrupt(), exit_codes.INTERRUPTED),
    (RuntimeError("a bug"), exit_codes.INTERNAL),
])
def test_the_error_handler_maps_each_error(error, status, capsys):
    with pytest.raises(SystemExit) as exited, error_handler():
        raise error
    assert exited.value.code == status
    if status == exit_codes.INTERNAL:
        assert "traceback written to" in capsys.readouterr().err


def test_where_2_means_changes_bad_input_is_failed():
    with pytest.raises(SystemExit) as exited, error_handler(exit_codes.USAGE_WHEN_2_MEANS_CHANGES):
        raise UsageError("bad")
    assert exited.value.code == exit_codes.FAILED
    with pytest.raises(SystemExit) as exited, error_handler(exit_codes.USAGE_WHEN_2_MEANS_CHANGES):
        raise OperationError("terraform failed")
    assert exited.value.code == exit_codes.FAILED


@pytest.mark.parametrize(("codes", "worst"), [
    ([], exit_codes.OK), ([exit_codes.OK, exit_codes.CHANGES], exit_codes.CHANGES),
    ([exit_codes.CHANGES, exit_codes.FAILED], exit_codes.FAILED),
    ([exit_codes.FAILED, exit_codes.INTERRUPTED, exit_codes.OK], exit_codes.INTERRUPTED),
])
def test_worst_of_several_clients(codes, worst):
    assert exit_codes.worst(codes) == worst


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("exit")
    (d / "good.yaml").write_text(GOOD_AWS)
    (d / "bad.yaml").write_text(BAD_SPEC)
    (d / "empty").mkdir()
    (d / "report.json").write_text("[]")
    return {"good": str(d / "good.yaml"), "bad": str(d / "bad.yaml"), "dir": str(d / "empty"),
            "out": str(d / "out"), "missing": str(d / "missing.json"), "report": str(d / "report.json"),
            "cwd": str(d)}


# (arguments, status): {name} is a path from the fixture above.
CASES = [
    (["schema"], exit_codes.OK),
    (["phases"], exit_codes.OK),
    (["phases", "--cloud", "azure"], exit_codes.USAGE),
    (["render", "{good}", "--out", "{out}"], exit_codes.OK),
    (["render", "{bad}"], exit_codes.USAGE),
    (["cost", "{good}"], exit_codes.OK),
    (["cost", "{bad}"], exit_codes.USAGE),
    (["validate", "{missing}"], exit_codes.USAGE),
    (["preflight", "{bad}"], exit_codes.USAGE),
    (["preflight", "{dir}"], exit_codes.USAGE),
    (["bootstrap", "{bad}"], exit_codes.USAGE),
    (["doctor", "--terraform", "/nonexistent/terraform"], exit_codes.USAGE),
    (["plan", "{bad}"], exit_codes.USAGE),
    (["plan", "{bad}", "--detailed-exitcode"], exit_codes.FAILED),
    (["plan", "{bad}", "{bad}", "--detailed-exitcode"], exit_codes.FAILED),
    (["plan", "{dir}", "--terraform", "/nonexistent/terraform"], exit_codes.USAGE),
    (["drift", "{bad}"], exit_codes.FAILED),
    (["apply", "{dir}"], exit_codes.USAGE),
    (["destroy", "{dir}"], exit_codes.USAGE),
    (["fleet-report", "nope", "{report}"], exit_codes.USAGE),
    (["fleet-report", "plan", "{missing}"], exit_codes.FAILED),
    (["fleet-report", "plan", "{report}"], exit_codes.USAGE),
    (["no-such-command"], exit_codes.USAGE),
]


@pytest.mark.parametrize(("argv", "status"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_every_command_exits_with_its_documented_status(argv, status, files, monkeypatch):
    monkeypatch.setenv("DSAAS_TERRAFORM", sys.executable)  # found, never run before the status is decided
    args = [a.format(**files) for a in argv]
    result = subprocess.run([sys.executable, "-m", "dsaas_infra", *args], capture_output=True, text=True,
                            cwd=files["cwd"], timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == status, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
