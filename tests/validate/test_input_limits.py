"""validate on hostile .tf trees: findings, never a crash or a run of minutes (issue 12)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from dsaas_infra.validate import fmt, syntax
from dsaas_infra.validate.blueprint import load_blueprint
from dsaas_infra.validate.limits import MAX_TF_BYTES, copy_tree
from dsaas_infra.validate.pipeline import Context
from tests.validate.conftest import write_blueprint

CLEAN = 'resource "null_resource" "a" {\n  triggers = {\n    k = "v"\n  }\n}\n'
MESSY = 'resource "null_resource" "b" {\ntriggers = {\n    k   = "v"\n}\n}\n'


def _syntax(path: Path):
    return syntax.run([load_blueprint(path, path.name)]).findings


def test_deeply_nested_expressions_are_a_finding(tmp_path):
    bp = write_blueprint(tmp_path / "bp", {
        "parens.tf": "locals {\n  x = " + "(" * 3000 + "1" + ")" * 3000 + "\n}\n",
        "lists.tf": "locals {\n  y = " + "[" * 3000 + "]" * 3000 + "\n}\n",
        "main.tf": CLEAN,
    })
    found = {(f.rule_id, Path(f.file).name) for f in _syntax(bp)}
    assert found == {("HCL003", "parens.tf"), ("HCL003", "lists.tf")}


def test_a_file_over_the_size_limit_is_a_finding_and_not_parsed(tmp_path):
    big = CLEAN * (MAX_TF_BYTES // len(CLEAN) + 1)
    bp = write_blueprint(tmp_path / "bp", {"big.tf": big, "main.tf": CLEAN})
    findings = _syntax(bp)
    assert [(f.rule_id, Path(f.file).name) for f in findings] == [("HCL003", "big.tf")]
    assert "over the limit" in findings[0].message


def test_symlink_loops_and_self_links_do_not_crash(tmp_path):
    bp = write_blueprint(tmp_path / "bp", {"main.tf": CLEAN})
    (bp / "loop.tf").symlink_to("loop.tf")
    (bp / "sub").symlink_to(".")
    (bp / "a").mkdir()
    (bp / "a" / "up").symlink_to("..")
    findings = _syntax(bp)
    assert [(f.rule_id, Path(f.file).name) for f in findings] == [("HCL001", "loop.tf")]
    assert "symlink loop" in findings[0].message
    copy_tree(bp, tmp_path / "copy")
    assert sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*")) == ["a", "main.tf"]


def test_validate_cli_on_a_hostile_tree_reports_findings(tmp_path, terraform_bin):
    bp = write_blueprint(tmp_path / "bp", {
        "main.tf": CLEAN, "deep.tf": "locals {\n  x = " + "(" * 3000 + "1" + ")" * 3000 + "\n}\n",
    })
    (bp / "loop.tf").symlink_to("loop.tf")
    (bp / "sub").symlink_to(".")
    result = subprocess.run(
        [sys.executable, "-m", "dsaas_infra", "validate", str(bp), "--skip", "security", "--format", "json",
         "--terraform", terraform_bin],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    import json

    doc = json.loads(result.stdout)
    rules = sorted(f["rule_id"] for s in doc["stages"] for f in s["findings"])
    assert "HCL003" in rules and "HCL001" in rules


def test_fmt_runs_once_for_all_blueprints(tmp_path, terraform_bin, offline_env):
    """One `terraform fmt` per validate call (a logging wrapper around the real Terraform)."""
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "terraform"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{terraform_bin}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    bps = [load_blueprint(write_blueprint(tmp_path / f"bp{i}", {"main.tf": MESSY if i == 2 else CLEAN}),
                          f"bp{i}") for i in range(4)]
    result = fmt.run(bps, Context(terraform_bin=str(wrapper), env=offline_env))
    assert [(f.rule_id, f.file, f.line) for f in result.findings] == [("FMT001", "bp2/main.tf", 2)]
    assert [line for line in log.read_text().splitlines() if line.startswith("fmt")] == [
        " ".join(fmt.fmt_args("")[1:])]


def test_fmt_timeout_grows_with_the_input():
    assert fmt.BASE_TIMEOUT >= 60 and fmt.SECONDS_PER_MB * 18 >= 300  # the 18 MB case gets minutes
