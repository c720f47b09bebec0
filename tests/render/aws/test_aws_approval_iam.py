"""Only a human approves a model package: no role the blueprint creates can approve one, and at manual
approval nothing it runs can register one already Approved (which would deploy it unreviewed)."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from tests.render.aws.test_aws_serving import example, render, spec_text  # noqa: F401  (fixture)

APPROVE = "sagemaker:UpdateModelPackage"
REGISTER = "sagemaker:CreateModelPackage"
PENDING_ONLY = {"test": "StringEquals", "variable": "sagemaker:ModelApprovalStatus",
                "values": ["PendingManualApproval"]}


def grants(statement: dict, action: str) -> bool:
    return statement.get("effect", "Allow") == "Allow" and any(
        fnmatchcase(action.lower(), a.lower()) for a in statement.get("actions", []))


def documents(bp) -> dict[str, list[dict]]:
    return {name: body.get("statement", []) for name, body in bp.data_of_type("aws_iam_policy_document").items()}


def test_no_role_of_the_blueprint_can_approve_a_model_package(example):  # noqa: F811
    for name, statements in documents(example).items():
        assert not [s for s in statements if grants(s, APPROVE)], name


def test_notebooks_and_jobs_register_for_review_only(example):  # noqa: F811
    registering = [s for s in documents(example)["sagemaker_execution"] if grants(s, REGISTER)]
    assert registering
    for statement in registering:
        assert PENDING_ONLY in statement.get("condition", []), statement


def pipeline_registering(bp) -> list[dict]:
    return [s for s in documents(bp)["pipeline"] if grants(s, REGISTER)]


def test_at_manual_approval_the_pipeline_registers_for_review_only():
    bp = render(spec_text())  # proactive, realtime, no phases.deployment.approval
    assert bp.spec.phases.deployment.approval is None
    assert pipeline_registering(bp)
    for statement in pipeline_registering(bp):
        assert PENDING_ONLY in statement.get("condition", []), statement


@pytest.mark.parametrize("deployment", ["    approval: {metric: rmse, threshold: 3.5}\n"])
def test_with_a_metric_gate_the_pipeline_may_register_approved(deployment):
    bp = render(spec_text(deployment=deployment))
    assert pipeline_registering(bp)
    for statement in pipeline_registering(bp):
        assert PENDING_ONLY not in statement.get("condition", []), statement
