"""The state bucket is used only as the spec's account's own (issue 12): ExpectedBucketOwner on every
S3 call of bootstrap and preflight (seen on the wire, against moto), and a bucket of another
account is a failure naming its owner (botocore Stubber: moto does not enforce ownership)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dsaas_infra.bootstrap.aws import bootstrap, ensure_bucket
from dsaas_infra.errors import OperationError
from dsaas_infra.preflight import aws as preflight

ACCOUNT = "123456789012"
BUCKET = f"acme-prod-tfstate-{ACCOUNT}"
# Operations that take no ExpectedBucketOwner (the bucket does not exist yet / is not named).
NO_OWNER_PARAM = {"CreateBucket", "ListBuckets"}


def _recording_session(seen: list[tuple[str, str | None]]) -> boto3.session.Session:
    sess = boto3.session.Session()

    def record(request, event_name, **_):
        owner = request.headers.get("x-amz-expected-bucket-owner")
        seen.append((event_name.rsplit(".", 1)[-1], owner.decode() if isinstance(owner, bytes) else owner))

    sess.events.register("before-send.s3", record)
    return sess


def _owner_headers(seen):
    s3_calls = [(op, owner) for op, owner in seen]
    assert s3_calls, "no S3 call was seen: the test observes nothing"
    return {op: owner for op, owner in s3_calls if op not in NO_OWNER_PARAM}


def test_every_s3_call_of_bootstrap_names_the_owner(moto, aws_spec):
    seen: list = []
    bootstrap(aws_spec(), _recording_session(seen))  # creates the bucket
    bootstrap(aws_spec(), _recording_session(seen))  # inspects the existing bucket
    ops = _owner_headers(seen)
    assert {"HeadBucket", "PutBucketVersioning", "PutBucketPolicy", "GetBucketVersioning",
            "GetBucketEncryption", "GetPublicAccessBlock", "GetBucketPolicy"} <= set(ops)
    assert set(ops.values()) == {ACCOUNT}, ops
    assert ("CreateBucket", None) in seen


def test_every_s3_call_of_preflight_names_the_owner(moto, aws_spec):
    bootstrap(aws_spec())
    seen: list = []
    ctx = preflight.Context(aws_spec(), _recording_session(seen))
    assert preflight.check_state_bucket(ctx) == ("pass", BUCKET)
    ops = _owner_headers(seen)
    assert {"HeadBucket", "GetBucketVersioning", "GetBucketEncryption"} <= set(ops)
    assert set(ops.values()) == {ACCOUNT}, ops


class _Clients:
    """A session handing out the given (Stubber-backed) botocore clients in order."""

    def __init__(self, *clients):
        self._clients = list(clients)

    def client(self, service, region_name=None, config=None):
        return self._clients.pop(0)


def _foreign_bucket_clients():
    """S3 as it answers for a bucket of another account that grants these credentials access:
    403 with ExpectedBucketOwner, answers without it."""
    owned = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    plain = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    owned_stub, plain_stub = Stubber(owned), Stubber(plain)
    owned_stub.add_client_error("head_bucket", service_error_code="403", service_message="Forbidden",
                                http_status_code=403,
                                expected_params={"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
    plain_stub.add_response("head_bucket", {}, {"Bucket": BUCKET})
    plain_stub.add_response("get_bucket_acl", {"Owner": {"ID": "79a59df900b949e55d96a1e698fbaced"}, "Grants": []},
                            {"Bucket": BUCKET})
    owned_stub.activate()
    plain_stub.activate()
    return owned, plain, (owned_stub, plain_stub)


def test_bootstrap_fails_on_another_accounts_bucket_naming_its_owner(aws_spec):
    from dsaas_infra.preflight.s3_owner import expect_owner

    owned, plain, stubs = _foreign_bucket_clients()
    with pytest.raises(OperationError) as e:
        ensure_bucket(expect_owner(owned, ACCOUNT), aws_spec(), plain)
    assert str(e.value) == (f"{BUCKET} is owned by another AWS account (canonical owner "
                            f"79a59df900b949e55d96a1e698fbaced), not by {ACCOUNT} (the spec's account): "
                            "choose another state.bucket")
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_preflight_fails_on_another_accounts_bucket_naming_its_owner(aws_spec):
    owned, plain, stubs = _foreign_bucket_clients()
    ctx = preflight.Context(aws_spec(), _Clients(owned, plain))
    status, detail = preflight.check_state_bucket(ctx)
    assert status == "fail"
    assert detail.startswith(f"{BUCKET} is owned by another AWS account (canonical owner 79a59df9")
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_a_bucket_these_credentials_cannot_read_at_all_is_still_a_failure(aws_spec):
    owned = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    plain = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(owned) as a, Stubber(plain) as b:
        a.add_client_error("head_bucket", "403", "Forbidden", 403,
                           expected_params={"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
        b.add_client_error("head_bucket", "403", "Forbidden", 403, expected_params={"Bucket": BUCKET})
        status, detail = preflight.check_state_bucket(preflight.Context(aws_spec(), _Clients(owned, plain)))
    assert status == "fail" and "cannot use it" in detail
