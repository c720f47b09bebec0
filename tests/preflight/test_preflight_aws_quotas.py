"""The SageMaker quota check against a small Service Quotas stand-in (moto does not implement it).

boto3 reaches it through AWS_ENDPOINT_URL_SERVICE_QUOTAS, the per-service endpoint setting, while
every other service still goes to moto.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dsaas_infra.preflight.aws import Context, check_sagemaker_quotas
from dsaas_infra.preflight.aws_session import session

TRAINING = "ml.m5.xlarge for training job usage"  # the default medium training type
ENDPOINT = "ml.c5.large for endpoint usage"  # the default small inference type at proactive level


class Quotas:
    applied: dict[str, float] = {}
    defaults: dict[str, float] = {}
    calls: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        target = self.headers.get("X-Amz-Target", "").split(".")[-1]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Quotas.calls.append(target)
        source = {"ListServiceQuotas": Quotas.applied, "ListAWSDefaultServiceQuotas": Quotas.defaults}[target]
        body = json.dumps({"Quotas": [{"ServiceCode": "sagemaker", "QuotaName": name, "Value": value}
                                      for name, value in source.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def quotas_url(moto_url):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", f"http://127.0.0.1:{server.server_address[1]}")
        yield
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("applied, defaults, expected", [
    ({TRAINING: 4, ENDPOINT: 2}, {}, ("pass", f"{TRAINING}: 4, {ENDPOINT}: 2")),
    ({TRAINING: 0, ENDPOINT: 2}, {}, ("fail", f"quota is 0 for {TRAINING}: request an increase in Service Quotas")),
    # Never-raised quotas are only listed among the defaults.
    ({TRAINING: 4}, {ENDPOINT: 0}, ("fail", f"quota is 0 for {ENDPOINT}: request an increase in Service Quotas")),
    ({}, {TRAINING: 1}, ("warn", f"no quota named {ENDPOINT}")),
])
def test_quota_verdicts(quotas_url, aws_spec, applied, defaults, expected):
    Quotas.applied, Quotas.defaults, Quotas.calls = applied, defaults, []
    assert check_sagemaker_quotas(Context(aws_spec(), session())) == expected
    assert Quotas.calls[0] == "ListServiceQuotas"
