"""The AWS backend: S3 native locking; a deprecated state.lock_table adds DynamoDB locking for one release."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec, load_spec_text
from tests.render.parsed_blueprint import parse_tf

BLUEPRINTS = Path(__file__).resolve().parents[3] / "blueprints"

SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example}
cloud: aws
aws: {region: eu-west-1, account_id: "123456789012"}
"""


def backend(spec_text: str) -> dict:
    files = render_blueprint(load_spec_text(spec_text, "acme.yaml"))
    parsed = parse_tf(files["backend.tf"])
    return parsed["terraform"][0]["backend"][0]["s3"]


def required_version(spec) -> str:
    files = render_blueprint(spec)
    return parse_tf(files["versions.tf"])["terraform"][0]["required_version"]


def test_state_is_locked_with_a_lock_file_and_no_table():
    s3 = backend(SPEC)
    assert s3["use_lockfile"] is True
    assert "dynamodb_table" not in s3
    assert s3["bucket"] == "acme-prod-tfstate-123456789012" and s3["encrypt"] is True


def test_deprecated_lock_table_is_locked_as_well_for_one_release(capsys):
    s3 = backend(SPEC + "state: {lock_table: acme-locks}\n")
    assert s3["use_lockfile"] is True and s3["dynamodb_table"] == "acme-locks"
    # One located warning line, not an error.
    assert capsys.readouterr().err.splitlines() == [
        "warning: acme.yaml:5:9: state.lock_table: deprecated: state is locked with S3 native locking "
        "(use_lockfile); the DynamoDB table is locked as well for this release only, so that runs from older "
        "renderings still exclude this one. Remove state.lock_table once every run uses this version "
        "(README: 'Migrating from a DynamoDB lock table')"]


def test_required_version_supports_use_lockfile():
    assert required_version(load_spec_text(SPEC, "acme.yaml")) == ">= 1.11.0"
    assert required_version(load_spec(BLUEPRINTS / "gcp-proactive.yaml")) == ">= 1.11.0"


def test_render_prints_the_deprecation_and_succeeds(tmp_path):
    (tmp_path / "acme.yaml").write_text(SPEC + "state: {lock_table: acme-locks}\n")
    result = subprocess.run([sys.executable, "-m", "dsaas_infra", "render", "acme.yaml", "--out", "out"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(p for p in sys.path if p)})
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("warning:")] == [
        line for line in result.stderr.splitlines() if "state.lock_table: deprecated" in line]
    assert "state.lock_table: deprecated" in result.stderr
    assert 'dynamodb_table = "acme-locks"' in (tmp_path / "out" / "backend.tf").read_text()
