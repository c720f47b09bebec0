"""`dsaas-infra doctor` as a user runs it: what works, what does not, exit 1 when something asked for cannot work."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra import schemas
from dsaas_infra.commands import doctor

REPO = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def env(tmp_path, terraform_bin):
    """No cloud credentials anywhere, the suite's Terraform, no network."""
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GOOGLE_", "CLOUDSDK_", "DSAAS_"))}
    clean.update(HOME=str(home), DSAAS_TERRAFORM=terraform_bin, AWS_CONFIG_FILE=str(home / "none"),
                 AWS_SHARED_CREDENTIALS_FILE=str(home / "none"), AWS_EC2_METADATA_DISABLED="true",
                 PYTHONPATH=str(REPO), COLUMNS="250")
    return clean


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "dsaas_infra", "doctor", *args], env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=env["HOME"])


def row(output: str, title: str) -> str:
    return next(line for line in output.splitlines() if title in line)


def fake_terraform(tmp_path: Path, version: str) -> str:
    script = tmp_path / "terraform"
    script.write_text(f"#!/bin/sh\necho '{json.dumps({'terraform_version': version})}'\n")
    script.chmod(0o755)
    return str(script)


def test_a_working_machine_passes_and_names_versions(env, tmp_path):
    result = cli(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " pass " in row(result.stdout, "Terraform or OpenTofu")
    assert " warn " in row(result.stdout, "checkov")  # not installed here: only the security stage skips
    assert re.search(r"Terraform 1\.\d+\.\d+ at", result.stdout)
    # the clouds were not asked for: missing credentials only warn
    assert " warn " in row(result.stdout, "aws credentials present")
    assert " pass " in row(result.stdout, "schema snapshot google ")
    assert "8.7.0" in row(result.stdout, "schema snapshot google ")


def test_terraform_older_than_the_floor_fails(env, tmp_path):
    result = cli(env, "--terraform", fake_terraform(tmp_path, "1.5.7"))
    assert result.returncode == 1
    assert "older than the 1.11.0" in row(result.stdout, "Terraform or OpenTofu")
    assert result.stderr.splitlines()[-1].startswith("error: doctor: ") and "Terraform or OpenTofu" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_terraform_at_all_fails(env, tmp_path):
    env = dict(env, PATH=str(tmp_path / "empty"))
    env.pop("DSAAS_TERRAFORM")
    result = cli(env)
    assert result.returncode == 1
    assert "no terraform or tofu binary" in row(result.stdout, "Terraform or OpenTofu")


def test_a_named_checkov_that_does_not_work_fails(env):
    result = cli(env, "--checkov", "/bin/false")
    assert result.returncode == 1
    assert " fail " in row(result.stdout, "checkov")


def test_credentials_are_required_for_the_cloud_asked_for_and_never_printed(env, tmp_path):
    missing = cli(env, "--cloud", "aws")
    assert missing.returncode == 1
    assert " fail " in row(missing.stdout, "aws credentials present")
    present = cli(dict(env, AWS_ACCESS_KEY_ID="AKIAEXAMPLEKEY000001", AWS_SECRET_ACCESS_KEY=SECRET), "--cloud", "aws")
    assert " pass " in row(present.stdout, "aws credentials present") and "env" in row(present.stdout, "aws cred")
    adc = tmp_path / "sa.json"
    adc.write_text(json.dumps({"type": "service_account", "private_key": SECRET}))
    gcp = cli(dict(env, GOOGLE_APPLICATION_CREDENTIALS=str(adc)), "--cloud", "gcp")
    assert " pass " in row(gcp.stdout, "gcp credentials present")
    for result in (present, gcp):
        assert SECRET not in result.stdout + result.stderr
        assert "AKIAEXAMPLEKEY000001" not in result.stdout + result.stderr


def test_a_spec_asks_for_its_cloud(env, tmp_path):
    spec = tmp_path / "acme.yaml"
    spec.write_text('apiVersion: dsaas-infra/v1\nclient: {name: acme, environment: prod, owner: ml@acme.example}\n'
                    'cloud: gcp\ngcp: {project_id: acme-prod-ml, region: europe-west1}\n'
                    'phases: {access: {enabled: false}}\n')
    result = cli(env, str(spec))
    assert result.returncode == 1
    assert " fail " in row(result.stdout, "gcp credentials present")
    assert " warn " in row(result.stdout, "aws credentials present")


def test_every_snapshot_has_a_generation_date_and_old_ones_warn():
    dates = json.loads((REPO / "dsaas_infra/schemas/generated.json").read_text())
    assert set(dates) == set(schemas.available())
    later = datetime.date.fromisoformat(max(dates.values())) + datetime.timedelta(days=doctor.SNAPSHOT_MAX_AGE_DAYS + 1)
    results = doctor.check_snapshots(later)
    assert {r.status for r in results} == {"warn"} and all("regenerate" in r.detail for r in results)
    assert {r.status for r in doctor.check_snapshots(datetime.date.fromisoformat(max(dates.values())))} == {"pass"}


def test_the_floor_is_what_the_templates_require():
    floor = ".".join(map(str, doctor.TERRAFORM_FLOOR))
    for cloud in ("aws", "gcp"):
        text = (REPO / "templates" / cloud / "versions.tf.j2").read_text()
        assert f'required_version = ">= {floor}"' in text, cloud
