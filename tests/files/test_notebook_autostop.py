"""The notebooks' idle auto-stop: the shipped files/notebook/autostop.py against a fake Jupyter server and moto.

The lifecycle configuration is the shipped on-start.sh rendered by real Terraform (templatefile, as
the blueprint's on_start does), checked for AWS's size limit and shell syntax.
"""

from __future__ import annotations

import base64
import http.server
import importlib.util
import json
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from cloud_fixtures import moto, moto_url  # noqa: F401

from dsaas_infra.spec import load_spec
from tests.render.aws.test_aws_serving import build

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "templates" / "aws" / "files" / "notebook"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
# OnStart: at most 16384 characters, base64-encoded (CreateNotebookInstanceLifecycleConfig).
ON_START_MAX = 16384


def load_autostop():
    spec = importlib.util.spec_from_file_location("autostop", SHIPPED / "autostop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeJupyter:
    """Serves /api/status and /api/sessions like the notebook's Jupyter server."""

    def __init__(self):
        self.status: dict = {}
        self.sessions: list = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = {"/api/status": owner.status, "/api/sessions": owner.sessions}.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def jupyter():
    fake = FakeJupyter()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def notebook(moto, tmp_path):  # noqa: F811
    sm = boto3.client("sagemaker", region_name="eu-west-1")
    sm.create_notebook_instance(NotebookInstanceName="acme-prod-alice", InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/acme-prod-sagemaker-execution")
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": "acme-prod-alice", "ResourceArn": "arn:..."}))
    return sm, metadata


def run(jupyter, metadata, idle_seconds=3600) -> None:
    assert load_autostop().main(["--idle-seconds", str(idle_seconds), "--jupyter", jupyter.url,
                                 "--metadata", str(metadata)], now=NOW) == 0


def status_of(sm) -> str:
    return sm.describe_notebook_instance(NotebookInstanceName="acme-prod-alice")["NotebookInstanceStatus"]


def test_an_idle_notebook_stops_itself(jupyter, notebook):
    sm, metadata = notebook
    jupyter.status = {"last_activity": iso(NOW - timedelta(minutes=75))}
    jupyter.sessions = [{"kernel": {"execution_state": "idle", "last_activity": iso(NOW - timedelta(minutes=90))}}]
    assert status_of(sm) == "InService"
    run(jupyter, metadata)
    assert status_of(sm) in ("Stopping", "Stopped")


@pytest.mark.parametrize("status,sessions", [
    # Someone clicked in the browser 10 minutes ago.
    ({"last_activity": iso(NOW - timedelta(minutes=10))}, []),
    # A long training cell: the kernel is busy although nothing else happened for hours.
    ({"last_activity": iso(NOW - timedelta(hours=5))},
     [{"kernel": {"execution_state": "busy", "last_activity": iso(NOW - timedelta(hours=5))}}]),
    # A kernel was active recently.
    ({"last_activity": iso(NOW - timedelta(hours=5))},
     [{"kernel": {"execution_state": "idle", "last_activity": iso(NOW - timedelta(minutes=5))}}]),
    # Nothing to go by: never stop blindly.
    ({}, []),
])
def test_an_active_notebook_keeps_running(jupyter, notebook, status, sessions):
    sm, metadata = notebook
    jupyter.status, jupyter.sessions = status, sessions
    run(jupyter, metadata)
    assert status_of(sm) == "InService"


@pytest.fixture(scope="module")
def reactive():
    return build(load_spec(REPO / "blueprints" / "aws-reactive.yaml"))


def test_the_lifecycle_configuration_is_the_shipped_script_under_awss_limit(reactive, terraform_bin, terraform_env,
                                                                           tmp_path):
    config = reactive.resources[("aws_sagemaker_notebook_instance_lifecycle_configuration", "autostop")]
    for name in ("autostop.py", "on-start.sh"):
        (tmp_path / "files" / "notebook").mkdir(parents=True, exist_ok=True)
        (tmp_path / "files" / "notebook" / name).write_bytes(reactive.files[f"files/notebook/{name}"])
    expression = config["on_start"][2:-1].replace("${path.module}", ".")
    out = subprocess.run([terraform_bin, "console"], input=expression, capture_output=True, text=True,
                         cwd=tmp_path, env=terraform_env, timeout=120, check=True).stdout
    encoded = json.loads(out)
    assert len(encoded) <= ON_START_MAX
    script = base64.b64decode(encoded).decode()
    assert reactive.files["files/notebook/autostop.py"].decode().strip() in script
    assert "--idle-seconds 3600 " in script and "/etc/cron.d/dsaas-autostop" in script
    (tmp_path / "on-start.sh").write_text(script)
    subprocess.run(["bash", "-n", str(tmp_path / "on-start.sh")], check=True)


def test_every_notebook_uses_it_and_may_stop_only_the_blueprints_notebooks(reactive):
    instance = reactive.resources[("aws_sagemaker_notebook_instance", "workspace")]
    assert instance["lifecycle_config_name"] == (
        "${aws_sagemaker_notebook_instance_lifecycle_configuration.autostop.name}")
    policy = reactive.data[("aws_iam_policy_document", "sagemaker_execution")]
    stop = {s["sid"]: s for s in policy["statement"]}["NotebooksStopWhenIdle"]
    assert stop["actions"] == ["sagemaker:StopNotebookInstance"]
    assert stop["resources"] == (
        '${[for name in values(local.notebooks) : "${local.sagemaker_arn_prefix}:notebook-instance/${name}"]}')
    readme = reactive.text("README.md")
    assert "stops itself after 60 minutes without Jupyter activity" in readme
