"""Security stage: checkov from its own venv, once over all blueprints, results as located findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.validate import security
from dsaas_infra.validate.pipeline import Context

PUBLIC = '''resource "aws_s3_bucket_public_access_block" "p" {
  bucket                  = "b"
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
'''
SKIPPED = '''resource "aws_s3_bucket_public_access_block" "q" {
  #checkov:skip=CKV_AWS_53:the bucket serves a public static site
  bucket                  = "b"
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
'''
NO_REASON = SKIPPED.replace(":the bucket serves a public static site", "")


def test_parse_reports_handles_one_value_a_list_and_values_back_to_back() -> None:
    one = {"check_type": "terraform", "results": {}}
    other = {"check_type": "secrets", "results": {}}
    assert security.parse_reports(json.dumps(one)) == [one]
    assert security.parse_reports(json.dumps([one, other])) == [one]
    assert security.parse_reports(json.dumps(one) + "\n" + json.dumps(one)) == [one, one]
    assert security.parse_reports("") == []


def test_without_checkov_the_stage_is_skipped_with_the_reason(make_blueprint, offline_env, tmp_path,
                                                              monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .tools/checkov here
    offline_env["PATH"] = "/nonexistent"
    result = security.run([make_blueprint({"main.tf": PUBLIC})], Context(env=offline_env))
    assert result.status == "skipped" and "checkov not found" in result.skipped_reason


@pytest.fixture(scope="module")
def one_run(tmp_path_factory, checkov_bin):
    """Three blueprints, one checkov process."""
    from dsaas_infra.validate.blueprint import load_blueprint
    root = tmp_path_factory.mktemp("sec")
    bps = []
    for name, text in (("public", PUBLIC), ("skipped", SKIPPED), ("noreason", NO_REASON)):
        (root / name).mkdir()
        (root / name / "main.tf").write_text(text)
        bps.append(load_blueprint(root / name, name))
    return security.run(bps, Context(checkov_bin=checkov_bin))


def _of(result, file: str) -> set[tuple]:
    return {(f.rule_id, f.severity, f.line, f.address) for f in result.findings if f.file == file}


def test_failed_checks_are_errors_located_in_the_right_blueprint(one_run) -> None:
    assert ("CKV_AWS_53", "error", 1, "aws_s3_bucket_public_access_block.p") in _of(one_run, "public/main.tf")
    assert all(f.file in ("public/main.tf", "skipped/main.tf", "noreason/main.tf") for f in one_run.findings)


def test_inline_skips_are_reported_with_their_reason(one_run) -> None:
    skipped = [f for f in one_run.findings if f.file == "skipped/main.tf"]
    assert [(f.rule_id, f.severity) for f in skipped] == [("CKV_AWS_53", "info")]
    assert skipped[0].message.endswith("(reason: the bucket serves a public static site)")


def test_a_skip_without_reason_is_an_error(one_run) -> None:
    assert ("SEC001", "error", 1, "aws_s3_bucket_public_access_block.q") in _of(one_run, "noreason/main.tf")


def test_checkov_is_run_once_for_all_blueprints(make_blueprint, tmp_path: Path, checkov_bin) -> None:
    """A wrapper counts its invocations: three blueprints, one process."""
    counter = tmp_path / "calls"
    wrapper = tmp_path / "checkov"
    wrapper.write_text(f'#!/bin/sh\necho x >> {counter}\nexec {checkov_bin} "$@"\n')
    wrapper.chmod(0o755)
    bps = [make_blueprint({"main.tf": PUBLIC}, f"b{i}") for i in range(3)]
    result = security.run(bps, Context(checkov_bin=str(wrapper)))
    assert counter.read_text().count("x") == 1
    assert {f.file for f in result.findings} == {f"b{i}/main.tf" for i in range(3)}
