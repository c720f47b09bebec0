"""Preflight aws-alert-subscriptions: every alert e-mail address has confirmed its SNS subscription.

On moto's real HTTP server: the topic Terraform creates (name_prefix-alerts) and its e-mail
subscriptions. moto confirms e-mail subscriptions at once; the PendingConfirmation that AWS answers
until the address clicks the link (ListSubscriptionsByTopic: SubscriptionArn "PendingConfirmation")
is held in a botocore Stubber with the documented shape.
"""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dsaas_infra.preflight.aws import CHECKS, Context, run_checks
from dsaas_infra.preflight.aws_alerts import check_alert_subscriptions
from dsaas_infra.preflight.aws_session import session

ALERTS = "phases: {deployment: {alert_emails: [oncall@acme.example, cto@acme.example]}}"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:acme-prod-alerts"


def applied_topic(emails=("oncall@acme.example", "cto@acme.example")) -> str:
    sns = boto3.client("sns", region_name="eu-west-1")
    arn = sns.create_topic(Name="acme-prod-alerts")["TopicArn"]
    for address in emails:
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=address)
    return arn


def test_confirmed_subscriptions_pass_on_moto(moto, aws_spec):
    assert applied_topic() == TOPIC
    result = {r.id: r for r in run_checks(aws_spec(extra=ALERTS))}["aws-alert-subscriptions"]
    assert result.status == "pass"
    assert result.detail == "2 e-mail subscription(s) confirmed: cto@acme.example, oncall@acme.example"


def test_before_the_apply_the_missing_topic_is_a_warning_not_a_pass(moto, aws_spec):
    status, detail = check_alert_subscriptions(Context(aws_spec(extra=ALERTS), session()))
    assert status == "warn" and "does not exist yet" in detail and TOPIC in detail


def test_an_address_of_the_spec_without_subscription_is_named(moto, aws_spec):
    applied_topic(emails=("oncall@acme.example",))
    status, detail = check_alert_subscriptions(Context(aws_spec(extra=ALERTS), session()))
    assert status == "warn" and "cto@acme.example" in detail and "no subscription" in detail


def test_a_topic_without_e_mail_subscriptions_warns_that_alarms_reach_nobody(moto, aws_spec):
    applied_topic(emails=())
    status, detail = check_alert_subscriptions(Context(aws_spec(), session()))
    assert status == "warn" and "reach nobody" in detail


def test_pending_confirmations_are_listed_with_their_address_and_how_to_resend():
    from cloud_fixtures import make_aws_spec

    sns = boto3.client("sns", region_name="eu-west-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")
    subscriptions = [
        {"SubscriptionArn": "PendingConfirmation", "Owner": "123456789012", "Protocol": "email",
         "Endpoint": "oncall@acme.example", "TopicArn": TOPIC},
        {"SubscriptionArn": f"{TOPIC}:0b7f3c1e-5a1d-4c8e-9d61-1b2f3a4c5d6e", "Owner": "123456789012",
         "Protocol": "email", "Endpoint": "cto@acme.example", "TopicArn": TOPIC},
    ]
    with Stubber(sns) as stub:
        # Two pages, as the API answers past 100 subscriptions.
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": subscriptions[:1], "NextToken": "n"},
                          {"TopicArn": TOPIC})
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": subscriptions[1:]},
                          {"TopicArn": TOPIC, "NextToken": "n"})
        status, detail = check_alert_subscriptions(Context(make_aws_spec(extra=ALERTS), None, clients={"sns": sns}))
        stub.assert_no_pending_responses()
    assert status == "warn"
    assert "not confirmed, so no alarm reaches them: oncall@acme.example" in detail
    assert "cto@acme.example" not in detail
    assert (f"aws sns subscribe --topic-arn {TOPIC} --protocol email "
            "--notification-endpoint oncall@acme.example") in detail


def test_unreadable_subscriptions_warn():
    from cloud_fixtures import make_aws_spec

    sns = boto3.client("sns", region_name="eu-west-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")
    with Stubber(sns) as stub:
        stub.add_client_error("list_subscriptions_by_topic", "AuthorizationError", "not allowed")
        status, detail = check_alert_subscriptions(Context(make_aws_spec(extra=ALERTS), None, clients={"sns": sns}))
    assert status == "warn" and "cannot list" in detail


def test_without_the_deployment_phase_there_is_no_topic(aws_spec):
    spec = aws_spec(extra="phases: {deployment: {enabled: false}, access: {enabled: false}}")
    assert check_alert_subscriptions(Context(spec, None)) == ("pass", "no alerts topic in this blueprint")
    assert "aws-alert-subscriptions" in [c.id for c in CHECKS]


def test_the_client_readme_tells_each_address_to_confirm_and_names_this_check():
    from pathlib import Path

    from dsaas_infra.render.renderer import render_blueprint
    from dsaas_infra.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "blueprints" / "aws-proactive.yaml")
    readme = render_blueprint(spec)["README.md"].decode()
    assert "**Confirm the subscriptions**" in readme and "`aws-alert-subscriptions`" in readme
    assert "aws-alert-subscriptions" in [c.id for c in CHECKS]
