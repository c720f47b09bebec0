"""Preflight aws-cost-allocation-tags: the budget's client/environment tags are active in Billing.

moto does not model Cost Explorer's ListCostAllocationTags, so it is a botocore Stubber holding the
documented response shapes (CostAllocationTags: TagKey, Type, Status); the check runs unchanged.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dsaas_infra.preflight.aws import CHECKS, Context
from dsaas_infra.preflight.aws_cost_tags import check_cost_allocation_tags

REQUEST = {"TagKeys": ["client", "environment"], "Type": "UserDefined"}
FIX = ("aws ce update-cost-allocation-tags-status --cost-allocation-tags-status "
       "TagKey=client,Status=Active TagKey=environment,Status=Active")


def ce_client():
    return boto3.client("ce", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")


def tag(key: str, status: str) -> dict:
    return {"TagKey": key, "Type": "UserDefined", "Status": status}


def run(spec, *pages, error: str | None = None):
    ce = ce_client()
    with Stubber(ce) as stub:
        for i, tags in enumerate(pages):
            request = dict(REQUEST, **({"NextToken": f"t{i}"} if i else {}))
            response = {"CostAllocationTags": tags, **({"NextToken": f"t{i + 1}"} if i + 1 < len(pages) else {})}
            stub.add_response("list_cost_allocation_tags", response, request)
        if error:
            stub.add_client_error("list_cost_allocation_tags", error, "not allowed", expected_params=REQUEST)
        result = check_cost_allocation_tags(Context(spec, None, clients={"ce": ce}))
        stub.assert_no_pending_responses()
    return result


@pytest.fixture
def budget_spec(aws_spec):
    return aws_spec(extra="budget: {monthly_usd: 500}\nphases: {deployment: {alert_emails: [ops@acme.example]}}")


def test_both_tags_active_pass(budget_spec):
    # Over two pages, as the API may answer.
    status, detail = run(budget_spec, [tag("client", "Active")], [tag("environment", "Active")])
    assert status == "pass" and "client and environment" in detail


def test_an_inactive_tag_fails_with_the_command_that_activates_it(budget_spec):
    status, detail = run(budget_spec, [tag("client", "Active"), tag("environment", "Inactive")])
    assert status == "fail"
    assert "environment" in detail and "never alerts" in detail
    assert detail.endswith("aws ce update-cost-allocation-tags-status --cost-allocation-tags-status "
                           "TagKey=environment,Status=Active")


def test_tags_billing_has_not_seen_yet_warn_with_the_fix_for_after_the_apply(budget_spec):
    status, detail = run(budget_spec, [])
    assert status == "warn" and "24 h" in detail and detail.endswith(FIX)


@pytest.mark.parametrize("code", ["AccessDeniedException", "DataUnavailableException"])
def test_unreadable_is_a_warning_never_a_pass(budget_spec, code):
    status, detail = run(budget_spec, error=code)
    assert status == "warn" and "cannot read" in detail and "management account" in detail and FIX in detail


def test_without_a_budget_nothing_is_asked(aws_spec):
    assert check_cost_allocation_tags(Context(aws_spec(), None, clients={"ce": ce_client()})) == \
        ("pass", "no budget in this blueprint")


def test_the_check_is_registered():
    assert "aws-cost-allocation-tags" in [c.id for c in CHECKS]
