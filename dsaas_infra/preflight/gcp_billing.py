"""GCP preflight: the billing budget the blueprint creates (budget.monthly_usd) needs rights on the billing account."""

from __future__ import annotations

from dsaas_infra.preflight.gcp_limits import ApiError, _call
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

CLOUD_BILLING = "https://cloudbilling.googleapis.com"
# What google_billing_budget needs on the billing account (Billing Account Costs Manager has them).
BUDGET_PERMISSIONS = ("billing.budgets.create", "billing.budgets.get", "billing.budgets.update")


def check_budget(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    account = spec.gcp.billing_account
    # A budget without a billing account is a spec error (SPEC017), so a spec that loads has both or no budget.
    if spec.budget is None or account is None:
        return ("pass", "no budget.monthly_usd: the blueprint creates no billing budget")
    try:
        answer = _call(connection, "POST", CLOUD_BILLING, f"/v1/billingAccounts/{account}:testIamPermissions",
                       {"permissions": list(BUDGET_PERMISSIONS)})
    except ApiError as e:
        return ("fail", f"cannot test permissions on billing account {account}: {e}")
    missing = [p for p in BUDGET_PERMISSIONS if p not in answer.get("permissions", [])]
    if missing:
        return ("fail", f"billing account {account}: missing {', '.join(missing)} (grant Billing Account "
                        "Costs Manager, roles/billing.costsManager, on the billing account)")
    return ("pass", f"may create the budget on billing account {account}")
