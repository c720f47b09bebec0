"""AWS cost budget: from budget.monthly_usd to the alerts topic; the README claims it only when it is rendered."""

from __future__ import annotations

import re

import boto3
import pytest
from cloud_fixtures import moto, moto_url  # noqa: F401

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec
from tests.render.aws.test_aws_kms import sids
from tests.render.aws.test_aws_serving import AWS_EXAMPLES, build, render, spec_text

BUDGET = "budget: {monthly_usd: 1234.5}\n"


def with_budget(maturity: str):
    return render(spec_text(maturity=maturity, retention=731 if maturity == "managed" else 90) + BUDGET)


@pytest.fixture(scope="module")
def proactive():
    return with_budget("proactive")


def topic_statement(bp, sid: str) -> dict:
    doc = bp.data[("aws_iam_policy_document", "alerts")]
    return {s["sid"]: s for s in doc["statement"]}[sid]


def test_the_budget_is_the_specs_monthly_amount_on_this_blueprints_tagged_costs(proactive):
    budget = proactive.resources[("aws_budgets_budget", "main")]
    assert proactive.locals["budget_name"] == "acme-prod-monthly"
    assert budget["name"] == "${local.budget_name}"
    assert (budget["budget_type"], budget["limit_amount"], budget["limit_unit"], budget["time_unit"]) == (
        "COST", "1234.50", "USD", "MONTHLY")
    # Costs carrying both of the provider's default tags client and environment, nothing else.
    default_tags = hcl_default_tags(proactive)
    tags = [e["tags"][0] for e in budget["filter_expression"][0]["and"]]
    assert tags == [{"key": k, "values": [default_tags[k]]} for k in ("client", "environment")]
    assert default_tags["client"] == "acme" and default_tags["environment"] == "prod"


def hcl_default_tags(bp) -> dict[str, str]:
    import hcl2

    from tests.render.parsed_blueprint import norm

    provider = norm(hcl2.loads(bp.text("providers.tf")))["provider"][0]["aws"]
    return provider["default_tags"][0]["tags"]


def test_the_budget_notifies_the_alerts_topic_at_actual_and_forecast_thresholds(proactive):
    budget = proactive.resources[("aws_budgets_budget", "main")]
    notes = {(n["notification_type"], n["threshold"]) for n in budget["notification"]}
    assert notes == {("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)}
    for n in budget["notification"]:
        assert n["comparison_operator"] == "GREATER_THAN" and n["threshold_type"] == "PERCENTAGE"
        assert n["subscriber_sns_topic_arns"] == ["${aws_sns_topic.alerts.arn}"]
    # Budgets checks its right to publish when the notification is created.
    assert budget["depends_on"] == ["${aws_sns_topic_policy.alerts}"]


def test_the_topic_policy_lets_only_this_accounts_budgets_publish(proactive):
    st = topic_statement(proactive, "BudgetsCostBudget")
    assert st["actions"] == ["sns:Publish"]
    assert st["principals"] == [{"type": "Service", "identifiers": ["budgets.amazonaws.com"]}]
    conditions = {(c["test"], c["variable"]): c["values"] for c in st["condition"]}
    assert conditions == {("StringEquals", "aws:SourceAccount"): ["${local.account_id}"],
                          ("ArnLike", "aws:SourceArn"): ["${local.budget_source_arn}"]}
    # The form AWS documents for Budgets' aws:SourceArn in an SNS topic policy (the exact per-budget
    # ARN it sends is not documented: an ArnEquals on a guessed ARN could drop every alert).
    assert proactive.locals["budget_source_arn"] == "arn:${local.partition}:budgets::${local.account_id}:*"


@pytest.mark.parametrize("maturity,key", [("proactive", "main"), ("managed", "pipeline")])
def test_the_topics_key_lets_only_this_budget_use_it(maturity, key):
    bp = with_budget(maturity)
    topic = bp.resources[("aws_sns_topic", "alerts")]
    assert topic["kms_master_key_id"] == f"${{aws_kms_key.{key}.arn}}"
    st = sids(bp.resources[("aws_kms_key", key)]["policy"])["CostBudgetPublishesToEncryptedTopic"]
    st = re.sub(r"\s+", "", st)
    assert 'Principal={Service="budgets.amazonaws.com"}' in st
    assert ('Condition={StringEquals={"aws:SourceAccount"=local.account_id},'
            'ArnLike={"aws:SourceArn"=local.budget_source_arn}}') in st
    assert 'Action=["kms:Decrypt","kms:GenerateDataKey*"]' in st


@pytest.mark.parametrize("maturity", ["reactive", "proactive", "managed"])
def test_without_a_budget_nothing_is_rendered_or_granted(maturity):
    # Every example asks for a budget: the same specs without one.
    example_bp = render(spec_text(maturity=maturity, retention=731 if maturity == "managed" else 90))
    assert example_bp.spec.budget is None
    assert ("aws_budgets_budget", "main") not in example_bp.resources
    assert "budget.tf" not in example_bp.files
    text = "".join(example_bp.text(f) for f in example_bp.files if f.endswith(".tf"))
    assert "budgets.amazonaws.com" not in text


@pytest.fixture(scope="module", params=[p.stem for p in AWS_EXAMPLES] + ["proactive+budget", "managed+budget"])
def example_bp(request):
    if request.param.endswith("+budget"):
        return with_budget(request.param.split("+")[0])
    return build(load_spec(AWS_EXAMPLES[0].parent / f"{request.param}.yaml"))


def test_the_readme_and_the_loop_table_claim_a_budget_exactly_when_one_is_rendered(example_bp):
    readme = example_bp.text("README.md")
    monitor = next(line for line in readme.splitlines() if line.startswith("| monitor |"))
    rendered = ("aws_budgets_budget", "main") in example_bp.resources
    assert ("**AWS Budgets**" in readme) is rendered
    assert ("AWS Budgets -\\> SNS" in monitor) is rendered
    assert ("no cost budget" in monitor) is not rendered
    if rendered:
        amount = f"{example_bp.spec.budget.monthly_usd:g} USD"
        assert amount in readme and f"`{example_bp.locals['budget_name']}`" in readme


def test_a_budget_without_the_deployment_phase_is_a_located_spec_error():
    """No alert topic, no budget: refused at load (exit 2) rather than rendered without the budget
    while validate's budget stage compares the estimate and passes."""
    text = spec_text().replace("  deployment:\n", "  deployment:\n    enabled: false\n")
    text = text.split("  access:")[0] + "  access: {enabled: false}\n" + BUDGET
    line = text.splitlines().index(BUDGET.strip()) + 1
    with pytest.raises(SpecError) as raised:
        render(text)
    (problem,) = [p for p in str(raised.value).splitlines() if "SPEC017" in p]
    assert problem.startswith(f"test.yaml:{line}:") and "budget.monthly_usd" in problem
    assert "phases.deployment" in problem


def test_moto_budgets_accepts_the_rendered_budget_and_notifications(moto, proactive):  # noqa: F811
    """The rendered values through the real Budgets API shapes (botocore) on the moto server."""
    budget = proactive.resources[("aws_budgets_budget", "main")]
    client = boto3.client("budgets", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="acme-prod-alerts")["TopicArn"]
    account = "123456789012"
    client.create_budget(
        AccountId=account,
        Budget={"BudgetName": proactive.locals["budget_name"], "BudgetType": budget["budget_type"],
                "TimeUnit": budget["time_unit"],
                "BudgetLimit": {"Amount": budget["limit_amount"], "Unit": budget["limit_unit"]}},
        NotificationsWithSubscribers=[
            {"Notification": {"NotificationType": n["notification_type"],
                              "ComparisonOperator": n["comparison_operator"],
                              "Threshold": float(n["threshold"]), "ThresholdType": n["threshold_type"]},
             "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}]}
            for n in budget["notification"]
        ],
    )
    got = client.describe_budget(AccountId=account, BudgetName="acme-prod-monthly")["Budget"]
    assert float(got["BudgetLimit"]["Amount"]) == 1234.5
    notes = client.describe_notifications_for_budget(AccountId=account, BudgetName="acme-prod-monthly")
    assert {(n["NotificationType"], n["Threshold"]) for n in notes["Notifications"]} == {
        ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)}
