"""Cloud stand-ins shared by tests/preflight and tests/bootstrap (each conftest imports them).

A real moto HTTP server on 127.0.0.1 for AWS and a local fake of the GCP REST APIs
(tests/preflight/fake_gcp.py), each started once per test module and reset per test;
specs for client acme/prod on either cloud.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import urllib.request
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from dsaas_infra.spec import load_spec_text

ACCOUNT = "123456789012"  # moto's default account


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        # boto3 reads the endpoint and credentials from the environment, as in real use;
        # no config files, no instance metadata: nothing outside this test can leak in.
        for name, value in {
            "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "eu-west-1",
        }.items():
            mp.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN"):
            mp.delenv(name, raising=False)
        yield url
    server.stop()


@pytest.fixture
def moto(moto_url):
    """The server with its state reset: every test starts from an empty account."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).read()
    return moto_url


@pytest.fixture
def aws_spec():
    """Build an AWS spec for client acme/prod in the given account and region."""
    return make_aws_spec


def make_aws_spec(account: str = ACCOUNT, region: str = "eu-west-1", extra: str = ""):
    return load_spec_text(f"""
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: prod, owner: ml@acme.example}}
cloud: aws
aws: {{region: {region}, account_id: "{account}"}}
{extra}
""", "acme.yaml")


def load_fake_gcp():
    # Loaded by path: test folders are not packages.
    path = Path(__file__).resolve().parent / "preflight" / "fake_gcp.py"
    spec = importlib.util.spec_from_file_location("dsaas_tests_fake_gcp", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fake_gcp_server():
    state, server = load_fake_gcp().start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_gcp(fake_gcp_server):
    fake_gcp_server.reset()
    return fake_gcp_server


@pytest.fixture
def gcp_spec():
    return make_gcp_spec


def make_gcp_spec(extra: str = "", maturity: str = "managed"):
    return load_spec_text(f"""
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: prod, owner: ml@acme.example, maturity: {maturity}}}
cloud: gcp
gcp: {{project_id: acme-dsaas-prod, region: europe-west1, apigee: {{organization: dedicated}}}}
{extra}
""", "acme.yaml")
