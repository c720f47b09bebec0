"""validate's result cache, as a user meets it: an unchanged blueprint is not validated again; a changed
file, a changed tool version or --no-cache validates it again; a remembered failure is still a failure;
a checkov run that cannot be trusted is never remembered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAIN_TF = 'resource "aws_s3_bucket" "raw" {\n  bucket = "acme-raw"\n}\n'

TERRAFORM = f"""#!{sys.executable}
import pathlib, sys
here = pathlib.Path(__file__).parent
if sys.argv[1:2] == ["version"]:
    print('{{"terraform_version": "' + (here / "tf-version").read_text().strip() + '"}}')
    sys.exit(0)
with open(here / "calls", "a") as log:
    log.write("terraform " + sys.argv[1] + "\\n")
sys.exit(0)  # fmt -check: every file is clean
"""

# One failed check per staged blueprint copy (checkov's exit 1), or a crash when ./checkov-crash exists.
CHECKOV = f"""#!{sys.executable}
import json, pathlib, sys
here = pathlib.Path(__file__).parent
with open(here / "calls", "a") as log:
    log.write("checkov\\n")
if (here / "checkov-crash").exists():
    sys.exit(2)
root = pathlib.Path(sys.argv[sys.argv.index("-d") + 1])
failed = [{{"check_id": "CKV_AWS_18", "check_name": "Ensure the S3 bucket has access logging enabled",
            "file_abs_path": str(tf.resolve()), "file_path": "/main.tf", "file_line_range": [1, 3],
            "resource": "aws_s3_bucket.raw"}} for tf in sorted(root.glob("bp*/main.tf"))]
print(json.dumps({{"check_type": "terraform", "results": {{"passed_checks": [], "failed_checks": failed,
                   "skipped_checks": [], "parsing_errors": []}}}}))
sys.exit(1 if failed else 0)
"""


@pytest.fixture
def world(tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    for name, body in (("terraform", TERRAFORM), ("checkov", CHECKOV)):
        (tools / name).write_text(body)
        (tools / name).chmod(0o755)
    (tools / "tf-version").write_text("1.15.5")
    blueprint = tmp_path / "acme"
    blueprint.mkdir()
    (blueprint / "main.tf").write_text(MAIN_TF)
    (tmp_path / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSAAS_", "TF_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), CHECKPOINT_DISABLE="1",
               DSAAS_TERRAFORM=str(tools / "terraform"), DSAAS_CHECKOV=str(tools / "checkov"))
    return tools, blueprint, env


def validate(world, *extra: str) -> tuple[subprocess.CompletedProcess, dict, list[str]]:
    """One `dsaas-infra validate` process: (the process, its JSON report without timings, the tools it ran)."""
    tools, blueprint, env = world
    calls = tools / "calls"
    calls.write_text("")
    proc = subprocess.run([sys.executable, "-m", "dsaas_infra", "validate", str(blueprint), "-f", "json", *extra],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    report = json.loads(proc.stdout)
    for stage in report.get("stages", []):
        stage.pop("seconds", None)
    return proc, report, sorted(calls.read_text().split("\n")[:-1])


def security_failures(report: dict) -> list[str]:
    stage = next(s for s in report["stages"] if s["stage"] == "security")
    return [f["rule_id"] for f in stage["findings"] if f["severity"] == "error"]


def test_an_unchanged_blueprint_is_not_validated_again_and_its_failure_stays_a_failure(world):
    first, report, calls = validate(world)
    assert first.returncode == 1, first.stderr
    assert calls == ["checkov", "terraform fmt"]
    assert security_failures(report) == ["CKV_AWS_18"]
    again, cached, calls = validate(world)
    assert calls == []  # neither terraform fmt nor checkov ran
    assert "(cached)" in again.stderr
    assert again.returncode == 1 and cached == report  # the same report: the failure is still one


def test_a_changed_file_is_validated_again(world):
    validate(world)
    _, blueprint, _ = world
    (blueprint / "main.tf").write_text(MAIN_TF + "# edited\n")
    proc, report, calls = validate(world)
    assert calls == ["checkov", "terraform fmt"] and "(cached)" not in proc.stderr
    assert security_failures(report) == ["CKV_AWS_18"]


def test_a_changed_tool_version_is_validated_again(world):
    validate(world)
    tools, _, _ = world
    (tools / "tf-version").write_text("1.15.6")  # the same executable, another engine behind it
    _, _, calls = validate(world)
    assert calls == ["checkov", "terraform fmt"]


def test_no_cache_validates_again(world):
    validate(world)
    _, report, calls = validate(world, "--no-cache")
    assert calls == ["checkov", "terraform fmt"]
    assert security_failures(report) == ["CKV_AWS_18"]


def test_a_checkov_crash_is_never_remembered(world):
    tools, _, _ = world
    (tools / "checkov-crash").write_text("")
    proc, report, calls = validate(world)
    assert proc.returncode == 1 and security_failures(report) == ["SEC003"]
    (tools / "checkov-crash").unlink()
    proc, report, calls = validate(world)
    assert calls == ["checkov", "terraform fmt"]  # ran again, not the remembered crash
    assert security_failures(report) == ["CKV_AWS_18"]


def test_one_checkov_and_one_terraform_fmt_for_all_blueprints_on_every_core(world):
    tools, blueprint, env = world
    others = []
    for name in ("beta", "gamma"):
        other = blueprint.parent / name
        other.mkdir()
        (other / "main.tf").write_text(MAIN_TF.replace("acme-raw", f"{name}-raw"))
        others.append(str(other))
    (tools / "calls").write_text("")
    proc = subprocess.run([sys.executable, "-m", "dsaas_infra", "validate", str(blueprint), *others, "-f", "json",
                           "--jobs", "2", "--no-cache"], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)
    assert sorted((tools / "calls").read_text().split()) == ["checkov", "fmt", "terraform"]  # once each
    stage = next(s for s in json.loads(proc.stdout)["stages"] if s["stage"] == "security")
    assert sorted(f["file"] for f in stage["findings"]) == sorted(f"{p}/main.tf" for p in [str(blueprint), *others])
