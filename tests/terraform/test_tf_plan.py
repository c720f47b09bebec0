"""Plan JSON views and the per-phase summary, on a real plan of a blueprint-shaped fixture."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from dsaas_infra.terraform import args
from dsaas_infra.terraform.addresses import declarations
from dsaas_infra.terraform.plan import Plan, action_of, summarize
from dsaas_infra.terraform.runner import run_terraform


@pytest.mark.parametrize("actions, expected", [
    (("no-op",), "no-op"),
    (("create",), "create"),
    (("read",), "read"),
    (("update",), "update"),
    (("delete",), "destroy"),
    (("delete", "create"), "replace"),
    (("create", "delete"), "replace"),
    (("forget",), "forget"),
])
def test_action_of(actions, expected):
    assert action_of(actions) == expected


@pytest.fixture(scope="module")
def real_plan(terraform_bin, tf_env, null_fixtures, tmp_path_factory):
    work = tmp_path_factory.mktemp("plan") / "phases"
    shutil.copytree(null_fixtures / "phases", work)
    quiet = io.StringIO()
    run_terraform(terraform_bin, args.init_args(), cwd=work, env=tf_env, echo=quiet)
    run_terraform(terraform_bin, args.plan_args("p.tfplan"), cwd=work, env=tf_env, echo=quiet)
    shown = run_terraform(terraform_bin, args.show_json_args("p.tfplan"), cwd=work, env=tf_env, capture=True)
    return work, Plan.from_json(json.loads(shown.stdout))


def test_summary_by_phase_follows_the_declaring_file(real_plan):
    work, plan = real_plan
    summary = summarize(plan, declarations(work))
    assert list(summary.by_phase) == ["data", "training", "deployment", "access", "shared"]
    assert {p: {t: dict(c) for t, c in types.items()} for p, types in summary.by_phase.items()} == {
        "data": {"null_resource": {"create": 2}},
        "training": {"null_resource": {"create": 2}},
        "deployment": {"null_resource": {"create": 1}},
        "access": {"null_resource": {"create": 2}},
        "shared": {"null_resource": {"create": 1}},
    }
    assert dict(summary.totals) == {"create": 8}
    assert summary.destructive == []
    assert summary.has_changes and summary.outputs_change
    rows = {r["address"]: (r["phase"], r["file"]) for r in summary.resources}
    assert rows['null_resource.api["partner-b"]'] == ("access", "access.tf")
    assert rows["null_resource.notebook[1]"] == ("training", "training.tf")


def test_summary_json_shape(real_plan):
    work, plan = real_plan
    doc = summarize(plan, declarations(work)).to_json()
    assert doc["changes"] is True
    assert doc["totals"] == {"create": 8, "update": 0, "replace": 0, "destroy": 0}
    assert doc["phases"]["training"] == {"totals": {"create": 2, "update": 0, "replace": 0, "destroy": 0},
                                         "types": {"null_resource": {"create": 2}}}
    json.dumps(doc)  # serialisable as it is


def change(address, rtype, *actions):
    return {"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[1],
            "change": {"actions": list(actions)}}


def test_destructive_changes_are_listed_with_their_phase():
    plan = Plan.from_json({"resource_changes": [
        change("aws_s3_bucket.raw", "aws_s3_bucket", "delete"),
        change("aws_lambda_function.deploy", "aws_lambda_function", "create", "delete"),
        change("aws_sns_topic.alerts", "aws_sns_topic", "update"),
        change("aws_kms_key.main", "aws_kms_key", "no-op"),
    ]})
    decls = {"aws_s3_bucket.raw": "data.tf", "aws_lambda_function.deploy": "deployment.tf",
             "aws_sns_topic.alerts": "monitoring.tf", "aws_kms_key.main": "kms.tf"}
    summary = summarize(plan, decls)
    assert [(r["address"], r["action"], r["phase"]) for r in summary.destructive] == [
        ("aws_s3_bucket.raw", "destroy", "data"),
        ("aws_lambda_function.deploy", "replace", "deployment"),
    ]
    assert dict(summary.totals) == {"destroy": 1, "replace": 1, "update": 1}
    assert "shared" not in summary.by_phase  # a no-op is not a change


def test_no_changes():
    plan = Plan.from_json({"resource_changes": [change("null_resource.a", "null_resource", "no-op")],
                           "output_changes": {"x": {"actions": ["no-op"]}}})
    assert not plan.has_changes
    assert not summarize(plan, {}).has_changes


def test_output_only_change_counts_as_a_change():
    plan = Plan.from_json({"output_changes": {"endpoint": {"actions": ["update"]}}})
    assert plan.has_changes and summarize(plan, {}).has_changes


@pytest.mark.parametrize("where", ["build/o[red]x", "build/b[/]"])
def test_report_shows_user_paths_literally(where):
    from rich.console import Console

    from dsaas_infra.terraform.report import print_summary

    changed = summarize(Plan.from_json({"resource_changes": [change("aws_s3_bucket.raw", "aws_s3_bucket",
                                                                    "delete")]}), {})
    unchanged = summarize(Plan.from_json({}), {})
    for summary in (changed, unchanged):
        out = io.StringIO()
        print_summary(Console(file=out, width=200), summary, f"plan for acme ({where})")
        assert f"plan for acme ({where})" in out.getvalue()
