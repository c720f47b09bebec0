"""explain_prevent_destroy names what Terraform refused to destroy: data buckets, KMS keys, the log bucket.

The diagnostics are Terraform's own text for a plan that would destroy a protected resource (the
end-to-end run on the null provider is tests/commands/test_plan_apply_destroy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaas_infra.terraform.runner import TerraformError
from dsaas_infra.terraform.workflow import PreventDestroyError, explain_prevent_destroy, protected_kind

HINT = "render and apply, then destroy"


def diagnostic(address: str, file: str = "kms.tf") -> str:
    rtype, name = address.split("[")[0].split(".")[-2:]
    return (f"\nError: Instance cannot be destroyed\n\n  on {file} line 16:\n"
            f'  16: resource "{rtype}" "{name}" {{\n\n'
            f"Resource {address} has lifecycle.prevent_destroy set, but the plan calls for this resource to be "
            "destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy "
            "or reduce the scope of the plan using the -target option.\n")


def explain(*addresses: str) -> PreventDestroyError:
    error = TerraformError(["terraform", "plan"], 1, "".join(diagnostic(a) for a in addresses), Path("."))
    explained = explain_prevent_destroy(error, HINT)
    assert isinstance(explained, PreventDestroyError)
    return explained


@pytest.mark.parametrize("address, kind", [
    ('google_kms_crypto_key.keys["vertex"]', "KMS keys"),
    ("google_kms_crypto_key.logging", "KMS keys"),
    ("aws_kms_key.main", "KMS keys"),
    ('aws_kms_key.family["data.v2"]', "KMS keys"),
    ("google_storage_bucket.raw", "data buckets"),
    ('module.client.aws_s3_bucket.data["raw"]', "data buckets"),
    ("google_logging_project_bucket_config.blueprint", "log bucket"),
    ("null_resource.raw", "resources"),
])
def test_each_protected_type_is_named(address, kind):
    assert protected_kind(address) == kind


def test_keys_alone_are_named_as_keys_and_why_destroying_them_matters():
    e = explain('google_kms_crypto_key.keys["vertex"]', "google_kms_crypto_key.logging")
    assert e.lines() == [
        'Terraform refused to destroy the KMS keys (google_kms_crypto_key.keys["vertex"], '
        "google_kms_crypto_key.logging): they carry lifecycle.prevent_destroy so that the client's data cannot be "
        "deleted by accident, nor made unreadable by destroying the keys that encrypt it",
        f"to delete them too, set `phases.data.prevent_destroy: false` in the spec and {HINT}",
    ]


def test_buckets_keys_and_the_log_bucket_together():
    e = explain("google_storage_bucket.raw", "google_storage_bucket.curated", 'google_kms_crypto_key.keys["storage"]',
                "google_logging_project_bucket_config.blueprint", "google_storage_bucket.raw")
    assert str(e) == (
        "Terraform refused to destroy the data buckets (google_storage_bucket.raw, google_storage_bucket.curated), "
        'the KMS keys (google_kms_crypto_key.keys["storage"]) and the log bucket '
        "(google_logging_project_bucket_config.blueprint): they carry lifecycle.prevent_destroy so that the "
        "client's data cannot be deleted by accident, nor made unreadable by destroying the keys that encrypt it")


def test_buckets_alone_say_nothing_of_keys():
    assert str(explain("aws_s3_bucket.raw")) == (
        "Terraform refused to destroy the data buckets (aws_s3_bucket.raw): they carry lifecycle.prevent_destroy "
        "so that the client's data cannot be deleted by accident")


def test_another_failure_is_not_explained():
    error = TerraformError(["terraform", "plan"], 1, "\nError: Reference to undeclared resource\n", Path("."))
    assert explain_prevent_destroy(error, HINT) is None
