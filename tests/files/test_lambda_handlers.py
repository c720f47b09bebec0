"""The Lambda handlers shipped in AWS blueprints, run offline against moto or botocore's Stubber."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "lambda"
REGION = "eu-west-1"
ENDPOINT = "acme-prod-endpoint"
ARN = "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/acme-prod-endpoint"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"blueprint_lambda_{name}", LAMBDA_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)


def _client(service: str):
    return boto3.client(service, region_name=REGION, aws_access_key_id="x",
                        aws_secret_access_key="x")


# The deploy Lambda's tests are in test_deploy_lambda.py.


# --- predict --------------------------------------------------------------------------------


@pytest.fixture
def predict(aws_env, monkeypatch):
    module = load("predict")
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    client = _client("sagemaker-runtime")
    monkeypatch.setattr(module, "_runtime", client)
    return module, client


def _event(body) -> dict:
    return {"body": body if isinstance(body, str) else json.dumps(body),
            "requestContext": {"requestId": "req-1", "identity": {"apiKeyId": "key-1"}}}


def _stream(text: str) -> StreamingBody:
    raw = text.encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_predict_sends_csv_and_answers_json_with_the_variant(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", {
            "Body": _stream("0.25\n0.75\n"), "InvokedProductionVariant": "challenger",
            "ContentType": "text/csv",
        }, {"EndpointName": ENDPOINT, "ContentType": "text/csv", "Accept": "text/csv",
            "Body": b"1,2.5,3\n4,5,6.0"})
        answer = module.handler(_event({"instances": [[1, 2.5, 3], [4, 5, 6.0]]}))
        stub.assert_no_pending_responses()
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"predictions": [0.25, 0.75], "variant": "challenger"}


@pytest.mark.parametrize("body", [
    "not json", {"rows": [[1]]}, {"instances": []}, {"instances": [[]]},
    {"instances": [["1"]]}, {"instances": [[True]]}, {"instances": [[1e400]]},
])
def test_predict_rejects_bad_bodies_without_calling_the_model(predict, body):
    module, client = predict
    with Stubber(client):  # any call would fail: no responses queued
        answer = module.handler(_event(body))
    assert answer["statusCode"] == 400


def test_predict_before_the_first_deployment_says_so(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ValidationError",
                              f"Endpoint {ENDPOINT} of account 1 not found.", 400)
        answer = module.handler(_event({"instances": [[1]]}))
    assert answer["statusCode"] == 503


def test_predict_model_error_is_not_a_server_crash(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ModelError", "bad input", 424)
        answer = module.handler(_event({"instances": [[1]]}))
    assert answer["statusCode"] == 422


@pytest.mark.parametrize("text,count,expected", [
    ("0.1,0.2,0.3", 3, [0.1, 0.2, 0.3]),
    ("0.1\n0.2\n", 2, [0.1, 0.2]),
    ("0.1,0.9\n0.8,0.2\n", 2, [[0.1, 0.9], [0.8, 0.2]]),
    ("0.5", 1, [0.5]),
])
def test_predictions_are_parsed_one_per_row(text, count, expected):
    assert load("predict").parse_predictions(text, count) == expected


def test_a_prediction_count_mismatch_is_detected():
    with pytest.raises(ValueError):
        load("predict").parse_predictions("0.1\n0.2", 3)


def test_predict_gives_up_before_its_lambda_timeout(predict, monkeypatch):
    import re as _re

    access = (LAMBDA_DIR.parents[1] / "access.tf.j2").read_text()
    block = access[access.index('resource "aws_lambda_function" "predict"'):]
    timeout = int(_re.search(r"^\s*timeout\s*=\s*(\d+)", block, _re.MULTILINE).group(1))
    module = load("predict")
    monkeypatch.setattr(module, "_runtime", None)
    client = module.runtime()
    retries = client.meta.config.retries
    # botocore's total_max_attempts counts every call; max_attempts counts only the retries.
    worst = (client.meta.config.connect_timeout + client.meta.config.read_timeout) * (
        retries["total_max_attempts"])
    assert worst < timeout, f"{worst} s of calls inside a {timeout} s function"
