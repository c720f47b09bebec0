"""Terraform stage: real init + validate with the null provider from a filesystem mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaas_infra.validate import terraform_stage
from dsaas_infra.validate.pipeline import Context

VERSIONS = ('terraform {\n  required_providers {\n    null = {\n      source  = "hashicorp/null"\n'
            '      version = "~> 2.1"\n    }\n  }\n}\n')
GOOD = 'variable "name" {\n  type    = string\n  default = "x"\n}\n\nresource "null_resource" "a" {\n  triggers = {\n' \
       '    name = var.name\n  }\n}\n'
BAD = GOOD.replace("name = var.name", "name = var.name.first")


@pytest.fixture()
def mirrored(offline_env: dict[str, str], plugin_mirror: Path, terraform_bin: str) -> Context:
    return Context(terraform_bin=terraform_bin, env={**offline_env, "DSAAS_TF_PLUGIN_MIRROR": str(plugin_mirror)})


def test_a_valid_blueprint_passes_and_the_blueprint_dir_stays_clean(make_blueprint, mirrored) -> None:
    bp = make_blueprint({"versions.tf": VERSIONS, "main.tf": GOOD})
    result = terraform_stage.run([bp], mirrored)
    assert (result.status, result.findings) == ("passed", [])
    assert sorted(p.name for p in bp.path.iterdir()) == ["main.tf", "versions.tf"]


def test_diagnostics_become_located_findings(make_blueprint, mirrored) -> None:
    good = make_blueprint({"versions.tf": VERSIONS, "main.tf": GOOD}, "good")
    bad = make_blueprint({"versions.tf": VERSIONS, "main.tf": BAD}, "bad")
    result = terraform_stage.run([good, bad], mirrored)
    assert [(f.rule_id, f.severity, f.file, f.line, f.address) for f in result.findings] == [
        ("TF001", "error", "bad/main.tf", 8, "null_resource.a")]
    assert result.findings[0].message.startswith("Unsupported attribute")


def test_missing_providers_skip_quickly_with_the_reason(make_blueprint, offline_env, terraform_bin) -> None:
    bp = make_blueprint({"main.tf": 'resource "aws_s3_bucket" "a" {}\n'})
    result = terraform_stage.run([bp], Context(terraform_bin=terraform_bin, env=offline_env))
    assert result.status == "skipped"
    assert "providers not available offline: hashicorp/aws" in result.skipped_reason


def test_blueprints_with_providers_run_and_the_others_make_the_stage_skipped(make_blueprint, mirrored) -> None:
    bad = make_blueprint({"versions.tf": VERSIONS, "main.tf": BAD}, "bad")
    aws = make_blueprint({"main.tf": 'resource "aws_s3_bucket" "a" {}\n'}, "aws")
    result = terraform_stage.run([bad, aws], mirrored)
    assert result.status == "skipped"
    assert result.skipped_reason.startswith("not run on aws (providers not available offline: hashicorp/aws)")
    assert [(f.rule_id, f.file) for f in result.findings] == [("TF001", "bad/main.tf")]


def test_without_terraform_the_stage_is_skipped(make_blueprint, offline_env) -> None:
    offline_env["PATH"] = "/nonexistent"
    result = terraform_stage.run([make_blueprint({"main.tf": GOOD})], Context(env=offline_env))
    assert result.status == "skipped" and "no terraform" in result.skipped_reason


@pytest.mark.parametrize("context, address", [
    ('resource "aws_s3_bucket" "raw"', "aws_s3_bucket.raw"),
    ('data "aws_iam_policy_document" "p"', "data.aws_iam_policy_document.p"),
    ('variable "name"', "var.name"),
    ('module "net"', "module.net"),
    ("", None),
])
def test_address_from_snippet_context(context: str, address: str | None) -> None:
    assert terraform_stage._address(context) == address
