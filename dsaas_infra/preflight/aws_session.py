"""boto3 clients with short timeouts, and AWS errors said in one line; shared by preflight and bootstrap."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

# A preflight that hangs for minutes on an unreachable endpoint is worse than one that fails
# fast; Terraform retries on its own later anyway.
CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})

NO_CREDENTIALS = ("no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY, or run `aws sso login`)")


def session() -> boto3.session.Session:
    # The endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and credentials come from
    # the environment and the AWS config files, exactly as for the AWS CLI and Terraform.
    return boto3.session.Session()


def client(sess: boto3.session.Session, service: str, region: str):
    return sess.client(service, region_name=region, config=CONFIG)


def error_code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def describe(e: Exception) -> str:
    """One line for an AWS failure, without the long botocore boilerplate."""
    if isinstance(e, (NoCredentialsError, PartialCredentialsError)):
        return NO_CREDENTIALS
    if isinstance(e, NoRegionError):
        return "no AWS region configured"
    if isinstance(e, EndpointConnectionError):
        return f"cannot reach AWS: {e}"
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        code = err.get("Code", "")
        message = err.get("Message", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if (not message and not str(code).isalpha()) or "<html" in message.lower():
            # Not an AWS error document (a proxy, an emulator without the API): say the status.
            return f"{e.operation_name} failed (HTTP {status or code})"
        return f"{code}: {message}" if message else f"{e.operation_name} failed ({code})"
    if isinstance(e, BotoCoreError):
        return str(e)
    return f"{type(e).__name__}: {e}"


AWS_ERRORS = (BotoCoreError, ClientError)
