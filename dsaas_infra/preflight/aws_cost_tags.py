"""AWS preflight: the cost allocation tags the budget filters on are active in Billing.

The blueprint's AWS budget (budget.tf) counts the costs tagged with its ``client`` and ``environment``
tags. AWS Budgets and Cost Explorer see a tag only once it is activated as a cost allocation tag in
the paying account (the organisation's management account); until then the budget stays at 0 and
never alerts. A tag key appears in Billing up to 24 hours after the first resource carries it, and
can be activated only then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsaas_infra.preflight.aws_session import AWS_ERRORS, describe
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.render.aws.budget import COST_TAGS

if TYPE_CHECKING:
    from dsaas_infra.preflight.aws import Context


def activate_command(keys: list[str] | tuple[str, ...]) -> str:
    """The CLI call that activates the keys (in the paying account)."""
    pairs = " ".join(f"TagKey={k},Status=Active" for k in keys)
    return f"aws ce update-cost-allocation-tags-status --cost-allocation-tags-status {pairs}"


def check_cost_allocation_tags(ctx: Context) -> Outcome:
    """budget.monthly_usd: the budget's tag keys are active cost allocation tags (never "passed" unread)."""
    spec = ctx.spec
    if spec.budget is None or not spec.phases.deployment.enabled:
        return ("pass", "no budget in this blueprint")
    keys = list(COST_TAGS)
    try:
        found: dict[str, str] = {}
        request = {"TagKeys": keys, "Type": "UserDefined"}
        while True:
            page = ctx.client("ce").list_cost_allocation_tags(**request)
            for tag in page.get("CostAllocationTags", []):
                found[tag["TagKey"]] = tag.get("Status", "?")
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except AWS_ERRORS as e:
        return ("warn", f"cannot read the cost allocation tags ({describe(e)}): the budget counts only costs "
                f"tagged with {' and '.join(keys)} once both are active in the paying account (in an "
                f"organisation, its management account): there, {activate_command(keys)}")
    inactive = [k for k in keys if found.get(k) == "Inactive"]
    missing = [k for k in keys if k not in found]
    if inactive:
        return ("fail", f"cost allocation tag(s) {', '.join(inactive)} are inactive: the budget sees no cost and "
                f"never alerts. In the paying account: {activate_command(inactive)}")
    if missing:
        return ("warn", f"Billing has not seen the tag key(s) {', '.join(missing)} yet (they appear up to 24 h after "
                f"the first tagged resource): after the apply, activate them in the paying account, or the "
                f"budget stays at 0: {activate_command(missing)}")
    return ("pass", f"{' and '.join(keys)} are active cost allocation tags")
