"""POST /predict: turn a JSON request into CSV for the SageMaker endpoint and its answer into JSON.

Request:  {"instances": [[f1, f2, ...], ...]}   (API Gateway validates it against the model)
Response: {"predictions": [...], "variant": "<production variant that answered>"}

The built-in XGBoost container takes CSV rows without a label and returns one prediction per row
(a number, or a list for multi-output models). Request bodies are never logged: they are the
client's data.
"""

from __future__ import annotations

import json
import logging
import math
import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

MAX_INSTANCES = 1000
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 20
# botocore's max_attempts counts retries (max_attempts 2 meant three calls): count them all.
TOTAL_ATTEMPTS = 1
_runtime = None


def runtime() -> Any:
    global _runtime
    if _runtime is None:
        # One attempt of at most CONNECT + READ seconds stays inside the function's 25 s timeout
        # (and API Gateway's 29 s); a retry would not. A busy model answers 503 and the caller
        # retries.
        _runtime = boto3.client("sagemaker-runtime", config=Config(
            connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
            retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS}))
    return _runtime


class BadRequest(ValueError):
    pass


def parse_instances(body: str | None) -> list[list[float]]:
    try:
        payload = json.loads(body or "")
    except json.JSONDecodeError as e:
        raise BadRequest(f"body is not JSON: {e.msg}") from None
    instances = payload.get("instances") if isinstance(payload, dict) else None
    if not isinstance(instances, list) or not instances:
        raise BadRequest("body must be {\"instances\": [[number, ...], ...]} with at least one row")
    if len(instances) > MAX_INSTANCES:
        raise BadRequest(f"at most {MAX_INSTANCES} rows per request")
    rows = []
    for i, row in enumerate(instances):
        if not isinstance(row, list) or not row:
            raise BadRequest(f"instances[{i}] must be a non-empty list of numbers")
        for value in row:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise BadRequest(f"instances[{i}] must hold only finite numbers")
        rows.append(row)
    return rows


def to_csv(rows: list[list[float]]) -> str:
    return "\n".join(",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in row)
                     for row in rows)


def parse_predictions(text: str, count: int) -> list[Any]:
    """XGBoost answers one line per row, or one comma-separated line for single outputs."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) == 1 and count > 1:
        lines = lines[0].split(",")
    out: list[Any] = []
    for line in lines:
        values = [float(v) for v in line.split(",")]
        out.append(values[0] if len(values) == 1 else values)
    if len(out) != count:
        raise ValueError(f"model returned {len(out)} predictions for {count} rows")
    return out


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    request_id = (event.get("requestContext") or {}).get("requestId")
    api_key_id = ((event.get("requestContext") or {}).get("identity") or {}).get("apiKeyId")
    try:
        rows = parse_instances(event.get("body"))
    except BadRequest as e:
        return response(400, {"message": str(e)})

    endpoint = os.environ["ENDPOINT_NAME"]
    try:
        answer = runtime().invoke_endpoint(
            EndpointName=endpoint,
            ContentType="text/csv",
            Accept="text/csv",
            Body=to_csv(rows).encode("utf-8"),
        )
    except ClientError as e:
        code = e.response["Error"]["Code"]
        message = e.response["Error"].get("Message", "")
        LOG.warning("invoke_endpoint failed: %s (request %s, key %s)", code, request_id, api_key_id)
        if code == "ValidationError" and "not found" in message.lower():
            return response(503, {"message": "no model is deployed yet; the pipeline deploys one"})
        if code == "ModelError":
            return response(422, {"message": "the model could not score these rows"})
        if code in ("ThrottlingException", "ServiceUnavailable", "ModelNotReadyException"):
            return response(503, {"message": "the model is busy; retry shortly"})
        raise

    text = answer["Body"].read().decode("utf-8")
    try:
        predictions = parse_predictions(text, len(rows))
    except ValueError:
        LOG.error("unexpected model output shape (request %s)", request_id)
        return response(502, {"message": "the model returned an unexpected answer"})
    variant = answer.get("InvokedProductionVariant")
    LOG.info("scored %d rows on variant %s (request %s, key %s)", len(rows), variant, request_id,
             api_key_id)
    return response(200, {"predictions": predictions, "variant": variant})
