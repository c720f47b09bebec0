"""The AWS blueprint's cost budget (budget.tf): AWS Budgets on the client's tagged costs, alerting the SNS topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from dsaas_infra.spec.resolved import AwsSpec

# Notification thresholds, in percent of budget.monthly_usd: actual spend, and the month's forecast.
ACTUAL_PERCENT = (80, 100)
FORECAST_PERCENT = (100,)
# The cost allocation tags (provider default_tags) that single out this blueprint's costs: the
# budget counts costs tagged with both, so other clients and environments in the account do not.
COST_TAGS = ("client", "environment")


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetTag:
    """A cost allocation tag the budget filters on (budget.tf's filter_expression)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetNotification:
    type: str  # ACTUAL or FORECASTED spend
    percent: int  # of limit_amount


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """The aws_budgets_budget of budget.tf."""

    name: str
    limit_amount: str  # the provider's string, 2 decimals
    monthly_usd: float
    tags: list[BudgetTag]
    notifications: list[BudgetNotification]


class BudgetValues(TypedDict):
    """The AwsContext fields this module computes."""

    budget: Budget | None
    budget_readme: str


def build_context(spec: AwsSpec, *, deployment_enabled: bool, name_prefix: str, tags: dict[str, str]) -> BudgetValues:
    """``budget``: the aws_budgets_budget to render, or None; ``budget_readme``: what watches the spend."""
    budget = _budget(spec, deployment_enabled=deployment_enabled, name_prefix=name_prefix, tags=tags)
    return {"budget": budget, "budget_readme": _readme(spec, budget)}


def _budget(spec: AwsSpec, *, deployment_enabled: bool, name_prefix: str, tags: dict[str, str]) -> Budget | None:
    # Notifications go to the alerts topic, which the deployment phase creates (SPEC017 refuses a
    # budget without it).
    if spec.budget is None or not deployment_enabled:
        return None
    return Budget(
        name=f"{name_prefix}-monthly",
        limit_amount=f"{spec.budget.monthly_usd:.2f}",
        monthly_usd=spec.budget.monthly_usd,
        tags=[BudgetTag(key=k, value=tags[k]) for k in COST_TAGS],
        notifications=[BudgetNotification(type="ACTUAL", percent=p) for p in ACTUAL_PERCENT]
        + [BudgetNotification(type="FORECASTED", percent=p) for p in FORECAST_PERCENT],
    )


def _readme(spec: AwsSpec, budget: Budget | None) -> str:
    if budget is not None:
        tags = " and ".join(f"`{t.key}={t.value}`" for t in budget.tags)
        actual = ", ".join(f"{n.percent}%" for n in budget.notifications if n.type == "ACTUAL")
        return (
            f"**AWS Budgets**: the monthly cost budget `{budget.name}` of {budget.monthly_usd:g} USD"
            f" (`budget.monthly_usd`) on the costs tagged {tags} (this blueprint's provider default tags;"
            " the jobs, models and endpoints the pipeline creates carry them too) alerts the SNS topic at"
            f" {actual} of actual spend and when the month's forecast passes 100%. Budgets only sees tags"
            " activated as cost allocation tags: activate `client` and `environment` once in the"
            " Billing console of the paying account (Cost allocation tags), or the budget stays at 0;"
            " `dsaas-infra preflight` checks it (`aws-cost-allocation-tags`) and prints the command."
        )
    # A budget without the deployment phase (no alert topic) is a spec error (spec/aws_rules.py budget).
    return ("No cost budget: the spec sets no `budget.monthly_usd` (with it, an AWS Budgets budget on this"
            " blueprint's tagged costs alerts the SNS topic).")
