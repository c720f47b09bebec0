"""A complete, valid spec text to derive bad variants from."""

import pytest

GOOD_AWS = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  display_name: ACME Analytics
  environment: prod
  maturity: proactive
  owner: ml-platform@acme.example
  tags: {cost-center: cc-1234}
cloud: aws
aws:
  region: us-east-1
  account_id: "123456789012"
phases:
  data: {enabled: true, schedule: "0 3 * * *", raw_retention_days: 365}
  training: {enabled: true, size: medium, gpu: none, users: [alice, bob]}
  deployment:
    enabled: true
    size: small
    min_instances: 1
    max_instances: 3
    variants: [{name: champion, weight: 90}, {name: challenger, weight: 10}]
    drift_detection: true
    alert_emails: [oncall@acme.example]
  access:
    enabled: true
    consumers: [{name: partner-a, rate_limit: 50, burst_limit: 100, quota_per_day: 100000,
                 aws_principals: ["arn:aws:iam::210987654321:role/partner-a-app"]}]
"""


@pytest.fixture
def good_aws() -> str:
    return GOOD_AWS
