"""Drift findings from resource_drift documents: attribute paths, redaction, JSON noise."""

from __future__ import annotations

import json

from dsaas_infra.terraform.drift import REDACTED, attribute_changes, canonical_json, parse_drift

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b/*"},
    {"Sid": "Tls", "Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::b"]},
]}
REORDERED = {"Statement": [
    {"Resource": "arn:aws:s3:::b", "Action": ["s3:*"], "Effect": "Deny", "Sid": "Tls"},
    {"Effect": "Allow", "Sid": "Read", "Resource": "arn:aws:s3:::b/*", "Action": ["s3:ListBucket", "s3:GetObject"]},
], "Version": "2012-10-17"}


def drift_item(address, before, after, actions=("update",), before_sensitive=None, after_sensitive=None):
    rtype, name = address.split(".")[:2]
    return {"address": address, "mode": "managed", "type": rtype, "name": name.split("[")[0],
            "change": {"actions": list(actions), "before": before, "after": after,
                       "before_sensitive": before_sensitive or {}, "after_sensitive": after_sensitive or {}}}


DECLS = {"aws_s3_bucket_policy.raw": "data.tf", "aws_sagemaker_domain.studio": "training.tf",
         "aws_kms_key.main": "main.tf"}


def test_changed_leaf_paths_are_listed_with_their_values():
    before = {"tags": {"team": "a", "cost-center": "1"}, "rules": [{"days": 30}, {"days": 90}], "name": "x"}
    after = {"tags": {"team": "b", "cost-center": "1"}, "rules": [{"days": 30}, {"days": 60}], "name": "x"}
    changes = attribute_changes(before, after)
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("rules[1].days", 90, 60), ("tags.team", "a", "b")]


def test_keys_that_are_not_identifiers_are_quoted_and_added_keys_show_null():
    changes = attribute_changes({"tags": {}}, {"tags": {"cost-center": "9"}})
    assert [(c.path, c.before, c.after) for c in changes] == [('tags["cost-center"]', None, "9")]


def test_sensitive_values_never_appear():
    before = {"password": "hunter2", "config": {"token": "old", "size": 1}}
    after = {"password": "s3cret", "config": {"token": "new", "size": 2}}
    changes = attribute_changes(before, after, {"password": True, "config": {"token": True}},
                                {"password": True, "config": {"token": True}})
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("config.size", 1, 2), ("config.token", REDACTED, REDACTED), ("password", REDACTED, REDACTED)]
    text = json.dumps([c.to_json() for c in changes])
    assert "hunter2" not in text and "s3cret" not in text and "old" not in text


def test_a_sensitive_list_redacts_every_element():
    changes = attribute_changes({"keys": ["a", "b"]}, {"keys": ["a", "c", "d"]}, {"keys": True}, {"keys": True})
    assert [(c.path, c.before, c.after) for c in changes] == [("keys", REDACTED, REDACTED)]


def test_reordered_policy_json_is_not_drift_but_a_real_policy_change_is():
    assert canonical_json(POLICY) == canonical_json(REORDERED)
    doc = {"resource_drift": [
        drift_item("aws_s3_bucket_policy.raw", {"policy": json.dumps(POLICY)}, {"policy": json.dumps(REORDERED)}),
        drift_item("aws_kms_key.main", {"policy": json.dumps(POLICY)},
                   {"policy": json.dumps(POLICY).replace("s3:ListBucket", "s3:DeleteObject")}),
    ]}
    report = parse_drift(doc, DECLS)
    assert [r.address for r in report.resources] == ["aws_kms_key.main"]
    assert report.resources[0].changes[0].path == "policy"
    assert report.ignored == ["aws_s3_bucket_policy.raw"]


def test_resources_are_grouped_by_phase_with_deleted_ones_and_data_sources_ignored():
    doc = {"resource_drift": [
        drift_item("aws_sagemaker_domain.studio", {"a": 1}, {"a": 2}),
        drift_item("aws_kms_key.main", {"a": 1}, None, actions=("delete",)),
        drift_item("aws_s3_bucket_policy.raw", {"policy": "{}"}, {"policy": '{"Statement": []}'}),
        {**drift_item("aws_iam_policy_document.x", {}, {"a": 1}), "mode": "data"},
    ]}
    report = parse_drift(doc, DECLS)
    assert [(r.phase, r.address, r.action) for r in report.resources] == [
        ("data", "aws_s3_bucket_policy.raw", "update"), ("training", "aws_sagemaker_domain.studio", "update"),
        ("shared", "aws_kms_key.main", "delete")]
    assert list(report.to_json()["phases"]) == ["data", "training", "shared"]
    assert report.to_json()["phases"]["training"][0]["attributes"] == ["a"]


def test_no_resource_drift_key_is_no_drift():
    report = parse_drift({"format_version": "1.2"}, {})
    assert not report.drifted and report.to_json() == {"drift": False, "count": 0, "phases": {}, "ignored_noise": []}


def test_refresh_only_plan_args_change_nothing_and_take_no_lock():
    from dsaas_infra.terraform import args

    assert args.refresh_only_plan_args("/b/.dsaas/drift.tfplan") == [
        "plan", "-refresh-only", "-input=false", "-lock=false", "-out=/b/.dsaas/drift.tfplan", "-no-color"]
    assert "-no-color" not in args.refresh_only_plan_args("p", color=True)
