"""Maturity levels choose the phase defaults; every explicit key overrides them."""

import pytest

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
    assert spec.phases.access.waf is False


def test_managed_adds_drift_ab_waf_dashboards_ha_and_longer_retention():
    spec = load("managed")
    d = spec.phases.deployment
    assert d.drift_detection and d.dashboard and d.multi_az
    assert [(v.name, v.weight) for v in d.variants] == [("champion", 90), ("challenger", 10)]
    assert spec.phases.access.waf is True
    assert spec.phases.data.raw_retention_days > load("proactive").phases.data.raw_retention_days
    assert spec.phases.data.log_retention_days > load("proactive").phases.data.log_retention_days


def test_explicit_keys_override_maturity():
    spec = load("managed", "phases:\n  access: {waf: false}\n  deployment: {dashboard: false, min_instances: 1}\n")
    assert spec.phases.access.waf is False
    assert spec.phases.deployment.dashboard is False
    assert spec.phases.deployment.min_instances == 1
    assert spec.phases.deployment.drift_detection is True


@pytest.mark.parametrize("maturity", ["reactive", "proactive", "managed"])
def test_every_default_setting_is_filled(maturity):
    spec = load(maturity)
    for phase, settings in DEFAULTS.items():
        for setting in settings:
            assert getattr(getattr(spec.phases, phase), setting) is not None, (phase, setting)


def test_defaults_are_not_shared_between_specs():
    a = load("managed")
    a.phases.deployment.variants[0].weight = 1
    assert load("managed").phases.deployment.variants[0].weight == 90
