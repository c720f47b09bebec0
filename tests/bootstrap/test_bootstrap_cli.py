"""`dsaas-infra preflight` and `bootstrap` as a user runs them, against the moto server."""

from __future__ import annotations

import os
import subprocess
import sys

SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example}
cloud: aws
aws: {region: eu-west-1, account_id: "123456789012"}
"""


def cli(*args, cwd):
    # The moto fixture put the endpoint and fake credentials into os.environ.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args], env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_preflight_then_bootstrap_then_preflight(moto, tmp_path):
    (tmp_path / "acme.yaml").write_text(SPEC)
    before = cli("preflight", "acme.yaml", cwd=tmp_path)
    assert before.returncode == 1, before.stderr
    assert "acme-prod-tfstate-123456789012 does not exist: run `dsaas-infra bootstrap SPEC`" in before.stdout
    # The table holds the details; stderr says in one line that (and which checks) failed.
    assert before.stderr.splitlines() == [
        "error: preflight failed: 2 checks failed: state bucket (versioning, encryption); "
        "API Gateway CloudWatch role (account baseline)"]

    created = cli("bootstrap", "acme.yaml", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "s3 bucket acme-prod-tfstate-123456789012" in created.stdout
    # The bucket, then the account baseline: key, 6 log groups, API Gateway's role and its setting.
    assert created.stdout.count("created") == 1 + 1 + 6 + 2 and "dynamodb" not in created.stdout

    again = cli("bootstrap", "acme.yaml", cwd=tmp_path)
    assert again.returncode == 0 and "created" not in again.stdout
    # The state bucket, then the account baseline: key, 6 log groups (the role is already set).
    assert again.stdout.count("already existed") == 1 + 1 + 6

    after = cli("preflight", "acme.yaml", cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    assert " fail " not in after.stdout and "warn" in after.stdout  # moto has no SageMaker quotas
    assert after.stderr == ""


def test_preflight_and_bootstrap_take_a_spec_not_a_directory(tmp_path):
    (tmp_path / "build" / "x").mkdir(parents=True)
    for command in ("preflight", "bootstrap"):
        result = cli(command, "build/x", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [f"error: build/x is a directory; {command} takes a spec file (YAML)"]


def test_bootstrap_in_the_wrong_account_is_one_line(moto, tmp_path):
    (tmp_path / "acme.yaml").write_text(SPEC.replace("123456789012", "111122223333"))
    result = cli("bootstrap", "acme.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: bootstrap stopped before creating anything: the credentials belong to account "
        "123456789012 (arn:aws:sts::123456789012:user/moto), the spec says 111122223333"]
