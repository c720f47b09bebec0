"""AWS preflight: the alert e-mail subscriptions are confirmed (run it again after the apply).

Every alarm, the budget and the drift reports notify the blueprint's SNS topic; its e-mail
subscriptions (phases.deployment.alert_emails) stay PendingConfirmation until the address clicks
the link of AWS's confirmation e-mail (valid 3 days). Until then SNS delivers nothing to it: the
alarms fire and reach nobody. This check lists the unconfirmed addresses and those of the spec the
topic has no subscription for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from dsaas_infra.preflight.aws_session import AWS_ERRORS, describe, error_code
from dsaas_infra.preflight.results import Outcome

if TYPE_CHECKING:
    from dsaas_infra.preflight.aws import Context

# SubscriptionArn of a subscription that is not confirmed yet (ListSubscriptionsByTopic).
PENDING = "PendingConfirmation"


def alerts_topic_arn(ctx: Context) -> str:
    from dsaas_infra.bootstrap.partition import partition_of

    spec = ctx.spec
    return f"arn:{partition_of(spec.aws.region)}:sns:{spec.aws.region}:{spec.aws.account_id}:{spec.name_prefix}-alerts"


def resubscribe(topic: str, address: str) -> str:
    return f"aws sns subscribe --topic-arn {topic} --protocol email --notification-endpoint {address}"


def check_alert_subscriptions(ctx: Context) -> Outcome:
    """phases.deployment.alert_emails: each address has a confirmed subscription to the alerts topic."""
    spec = ctx.spec
    if not spec.phases.deployment.enabled:
        return ("pass", "no alerts topic in this blueprint")
    topic = alerts_topic_arn(ctx)
    subscriptions: list[dict[str, str]] = []
    try:
        request = {"TopicArn": topic}
        while True:
            page = ctx.client("sns").list_subscriptions_by_topic(**request)
            subscriptions += page.get("Subscriptions", [])
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except AWS_ERRORS as e:
        if isinstance(e, ClientError) and error_code(e) in ("NotFound", "NotFoundException"):
            return ("warn", f"the alerts topic {topic} does not exist yet: after the apply, run the preflight "
                    "again to see that every alert e-mail subscription is confirmed")
        return ("warn", f"cannot list the subscriptions of {topic} ({describe(e)}): unconfirmed e-mail "
                "subscriptions receive no alarm")
    emails = [s for s in subscriptions if s.get("Protocol") == "email"]
    pending = sorted(s.get("Endpoint", "?") for s in emails if s.get("SubscriptionArn") == PENDING)
    subscribed = {s.get("Endpoint", "").lower() for s in emails}
    absent = sorted(a for a in spec.phases.deployment.alert_emails if a.lower() not in subscribed)
    problems = []
    if pending:
        problems.append(f"not confirmed, so no alarm reaches them: {', '.join(pending)} (each must click the link "
                        "in the 'AWS Notification - Subscription Confirmation' e-mail; past 3 days, resend it: "
                        f"{resubscribe(topic, pending[0])})")
    if absent:
        problems.append(f"phases.deployment.alert_emails has {', '.join(absent)} but the topic has no subscription "
                        "for it: run the apply again")
    if problems:
        return ("warn", "; ".join(problems))
    if not emails:
        return ("warn", f"{topic} has no e-mail subscription: alarms reach nobody (set phases.deployment.alert_emails)")
    return ("pass", f"{len(emails)} e-mail subscription(s) confirmed: "
            + ", ".join(sorted(s.get("Endpoint", "?") for s in emails)))
