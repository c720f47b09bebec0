"""The state bucket is only ever used as the spec's account's own: ExpectedBucketOwner on every call.

S3 bucket names are global. Without ExpectedBucketOwner, a bucket of the same name in another
account that happens to grant these credentials access would be inspected, reported as
"existed, left unchanged", and then hold the client's Terraform state.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dsaas_infra.preflight.aws_session import AWS_ERRORS, error_code


def expect_owner(s3: Any, account_id: str) -> Any:
    """``s3`` with ExpectedBucketOwner=``account_id`` added to every operation that takes it
    (all bucket and object operations but CreateBucket and ListBuckets); returns ``s3``."""
    model = s3.meta.service_model

    def add_owner(params: dict, model: Any = None, **_: Any) -> None:
        if model is not None and "ExpectedBucketOwner" in model.input_shape.members:
            params.setdefault("ExpectedBucketOwner", account_id)

    for name in model.operation_names:
        if "ExpectedBucketOwner" in (model.operation_model(name).input_shape or _NoShape).members:
            s3.meta.events.register(f"provide-client-params.s3.{name}", add_owner,
                                    unique_id=f"dsaas-expected-owner-{name}")
    return s3


class _NoShape:
    members: dict = {}


def foreign_owner(plain_s3: Any, bucket: str, account_id: str) -> str | None:
    """After a 403 with ExpectedBucketOwner: if the bucket answers without it (``plain_s3`` is a
    client without expect_owner), it belongs to another account; say which, as far as S3 tells
    (the owner of its ACL). None if it does not answer either."""
    try:
        plain_s3.head_bucket(Bucket=bucket)
    except AWS_ERRORS:
        return None
    owner = "another AWS account"
    try:
        acl_owner = plain_s3.get_bucket_acl(Bucket=bucket).get("Owner", {})
    except AWS_ERRORS:
        acl_owner = {}
    if acl_owner.get("ID") or acl_owner.get("DisplayName"):
        owner += f" (canonical owner {acl_owner.get('DisplayName') or acl_owner.get('ID')})"
    return f"{bucket} is owned by {owner}, not by {account_id} (the spec's account)"


def is_denied(e: ClientError) -> bool:
    return error_code(e) in ("403", "AccessDenied")
