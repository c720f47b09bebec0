"""AWS preflight: account limits AWS does not let anyone raise, which a blueprint in a shared account can hit.

A DSaaS provider runs many clients in one account and region. CloudTrail allows 5 trails per region,
a fixed limit (a trail that applies to all regions counts in each of them), so the audit trail of a
managed client (phases.data.audit_trail) fails its apply once the region has 5. This check says so
before Terraform runs, with the choice the spec leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsaas_infra.preflight.aws_session import AWS_ERRORS, describe
from dsaas_infra.preflight.results import Outcome

if TYPE_CHECKING:
    from dsaas_infra.preflight.aws import Context

# CloudTrail quotas: "Trails per region: 5" (not adjustable).
TRAILS_PER_REGION = 5


def check_cloudtrail_trails(ctx: Context) -> Outcome:
    """phases.data.audit_trail: the region has room for the blueprint's trail (or already holds it)."""
    spec = ctx.spec
    if not (spec.phases.data.enabled and spec.phases.data.audit_trail):
        return ("pass", "no audit trail in this blueprint")
    ours = f"{spec.name_prefix}-audit"
    try:
        # Shadow trails are the multi-region trails of other home regions: they count here too.
        trails = ctx.client("cloudtrail").describe_trails(includeShadowTrails=True).get("trailList", [])
    except AWS_ERRORS as e:
        return ("warn", f"cannot list the region's trails ({describe(e)}); CloudTrail allows "
                f"{TRAILS_PER_REGION} per region")
    names = sorted({t.get("Name", "?") for t in trails})
    if ours in names:
        return ("pass", f"trail {ours} exists ({len(names)} of {TRAILS_PER_REGION} in the region)")
    if len(names) >= TRAILS_PER_REGION:
        return ("fail", f"the region already has {len(names)} trails ({', '.join(names)}) and CloudTrail allows "
                f"{TRAILS_PER_REGION} per region (not adjustable): the apply of audit.tf would fail. Delete an unused "
                f"trail, or set phases.data.audit_trail: false and log the data buckets' S3 data events from "
                f"the account's or organisation's trail")
    return ("pass", f"{len(names)} of {TRAILS_PER_REGION} trails in the region; the blueprint adds {ours}")
