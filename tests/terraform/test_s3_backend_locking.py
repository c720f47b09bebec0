"""The rendered AWS backend, run by real Terraform against moto's S3: state and its lock file in the bucket.

The backend block is the one `render` writes for an AWS spec (use_lockfile, no DynamoDB table); the
resources are the null provider's (the aws provider is not installable offline). moto serves S3 on
loopback through AWS_ENDPOINT_URL, which Terraform's S3 backend honours like boto3.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import boto3
import pytest
from cloud_fixtures import moto, moto_url  # noqa: F401

from dsaas_infra.bootstrap.aws import bootstrap
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec_text

BUCKET = "acme-prod-tfstate-123456789012"
SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example}
cloud: aws
aws: {region: eu-west-1, account_id: "123456789012"}
"""


@pytest.fixture
def s3_blueprint(tmp_path, null_fixtures, moto):
    """The slow null fixture with the backend.tf rendered for the AWS spec, its bucket bootstrapped."""
    spec = load_spec_text(SPEC, "acme.yaml")
    bootstrap(spec)
    # moto speaks plain HTTP on loopback, which the bucket's TLS-only policy rightly refuses (moto
    # enforces it); tests/bootstrap checks that policy. Lift it for this test only.
    boto3.client("s3", region_name="eu-west-1").delete_bucket_policy(Bucket=BUCKET)
    work = tmp_path / "work"
    shutil.copytree(null_fixtures / "slow", work)
    (work / "backend.tf").write_bytes(render_blueprint(spec)["backend.tf"])
    return work, spec


def tf(tf_env, terraform_bin, work, *args, **kwargs):
    env = dict(tf_env, **{k: os.environ[k] for k in os.environ if k.startswith("AWS_")})
    return subprocess.run([terraform_bin, *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_rendered_backend_locks_state_with_a_lock_file_in_the_bucket(tf_env, terraform_bin, s3_blueprint):
    work, spec = s3_blueprint
    backend = (work / "backend.tf").read_text()
    assert "use_lockfile = true" in backend and "dynamodb_table" not in backend
    key = next(line.split('"')[1] for line in backend.splitlines() if line.strip().startswith("key "))
    # moto serves one host: path-style addressing (a real bucket uses virtual-hosted style).
    init = tf(tf_env, terraform_bin, work, "init", "-input=false", "-backend-config=use_path_style=true")
    assert init.returncode == 0, init.stderr
    assert "Successfully configured the backend \"s3\"" in init.stdout
    assert "deprecated" not in (init.stdout + init.stderr).lower()

    env = dict(tf_env, **{k: os.environ[k] for k in os.environ if k.startswith("AWS_")})
    apply = subprocess.Popen([terraform_bin, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=work,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in apply.stdout:
            if "started-slow-create" in line:
                break
        s3 = boto3.client("s3", region_name="eu-west-1")
        names = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        assert f"{key}.tflock" in names, names
        # A second run is refused while the lock is held, and says who holds it.
        second = tf(tf_env, terraform_bin, work, "plan", "-input=false", "-lock-timeout=0s", "-no-color")
        assert second.returncode == 1
        assert "Error acquiring the state lock" in second.stderr
    finally:
        apply.send_signal(signal.SIGINT)
        apply.communicate(timeout=90)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        if f"{key}.tflock" not in names:
            break
        time.sleep(0.2)
    assert f"{key}.tflock" not in names and key in names
    assert boto3.client("dynamodb", region_name="eu-west-1").list_tables()["TableNames"] == []
