"""Maturity levels choose the phase defaults; every explicit key overrides them."""

import re

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec_text
from dsaas_infra.spec.maturity import DEFAULTS

MINIMAL = """\
apiVersion: dsaas-infra/v1
client: {{name: acme, owner: a@acme.example, maturity: {maturity}}}
cloud: aws
aws: {{region: eu-west-1, account_id: "123456789012"}}
{extra}"""


def load(maturity: str, extra: str = ""):
    return load_spec_text(MINIMAL.format(maturity=maturity, extra=extra), "m.yaml")


def test_reactive_has_no_api_and_batch_only():
    spec = load("reactive")
    assert spec.phases.access.enabled is False
    assert spec.phases.deployment.realtime is False
    assert spec.phases.training.workspace == "notebooks"
    assert spec.phases.deployment.drift_detection is False


def test_proactive_adds_realtime_serving_and_api():
    spec = load("proactive")
    assert spec.phases.access.enabled is True
    assert spec.phases.deployment.realtime is True
    assert spec.phases.training.workspace == "studio"
    # AWS: the public API always has a WAF and IAM authentication next to the keys.
    assert spec.phases.access.waf is True
    assert spec.phases.access.auth == "iam"


def test_managed_adds_drift_ab_waf_dashboards_ha_and_longer_retention():
    spec = load("managed")
    d = spec.phases.deployment
    assert d.drift_detection and d.dashboard and d.multi_az
    assert [(v.name, v.weight) for v in d.variants] == [("champion", 90), ("challenger", 10)]
    assert spec.phases.access.waf is True
    assert spec.phases.data.perimeter is True and spec.phases.data.audit_trail is True
    assert load("proactive").phases.data.perimeter is False
    # AWS: raw data never expires unless the spec asks; it ages into cheaper classes instead.
    assert spec.phases.data.raw_retention_days is None
    assert spec.phases.data.raw_archive_days > load("proactive").phases.data.raw_archive_days
    assert spec.phases.data.log_retention_days > load("proactive").phases.data.log_retention_days


def test_explicit_keys_override_maturity():
    spec = load("managed", "phases:\n  access: {auth: api_key}\n  deployment: {dashboard: false, min_instances: 1}\n")
    assert spec.phases.access.auth == "api_key"
    assert spec.phases.deployment.dashboard is False
    assert spec.phases.deployment.min_instances == 1
    assert spec.phases.deployment.drift_detection is True


@pytest.mark.parametrize("maturity", ["reactive", "proactive", "managed"])
def test_every_default_setting_is_filled(maturity):
    spec = load(maturity)
    for phase, settings in DEFAULTS.items():
        for setting in settings:
            if (phase, setting) == ("data", "raw_retention_days"):
                continue  # AWS: None is the default, "never expire"
            assert getattr(getattr(spec.phases, phase), setting) is not None, (phase, setting)


def test_defaults_are_not_shared_between_specs():
    a = load("managed")
    a.phases.deployment.variants[0].weight = 1
    assert load("managed").phases.deployment.variants[0].weight == 90


def test_cloud_defaults_differ_only_where_documented():
    gcp = load_spec_text("""\
apiVersion: dsaas-infra/v1
client: {name: acme, owner: a@acme.example, maturity: proactive}
cloud: gcp
gcp: {project_id: acme-dsaas-prod, region: europe-west1}
phases: {access: {enabled: false}}
""", "g.yaml")
    assert gcp.phases.access.auth == "api_key" and gcp.phases.access.waf is False
    # As on AWS: raw data never expires unless the spec asks (it ages into cheaper classes instead).
    assert gcp.phases.data.raw_retention_days is None


def test_iam_authentication_is_aws_only():
    with pytest.raises(SpecError, match="phases.access.auth: iam"):
        load_spec_text("""\
apiVersion: dsaas-infra/v1
client: {name: acme, owner: a@acme.example}
cloud: gcp
gcp: {project_id: acme-dsaas-prod, region: europe-west1, apigee: {organization: dedicated}}
phases: {access: {auth: iam}}
""", "g.yaml")


@pytest.mark.parametrize("extra, message", [
    ("phases: {data: {raw_archive_days: 30}}", "phases.data.raw_archive_days"),
    ("aws: {region: eu-west-1, account_id: '123456789012', network: {vpc_id: vpc-0123456789abcdef0, "
     "subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210], existing_endpoints: [sqs]}}",
     "aws.network.existing_endpoints[0]: 'sqs' is not an endpoint"),
    ("phases: {access: {consumers: [{name: shop, aws_principals: [not-an-arn]}]}}",
     "phases.access.consumers[0].aws_principals[0]"),
])
def test_new_aws_keys_are_validated(extra, message):
    text = MINIMAL.format(maturity="proactive", extra=extra)
    if extra.startswith("aws:"):
        text = text.replace('aws: {region: eu-west-1, account_id: "123456789012"}\n', "")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec_text(text, "m.yaml")
