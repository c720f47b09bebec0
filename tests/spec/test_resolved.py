"""The resolved spec load_spec returns: every maturity default filled in, frozen, one type per cloud."""

from __future__ import annotations

import dataclasses

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import AwsSpec, GcpSpec, load_spec, load_spec_text
from dsaas_infra.spec.maturity import CLOUD_DEFAULTS, DEFAULTS, default
from tests.conftest import example_specs
from tests.spec.conftest import GOOD_AWS

LEVELS = ("reactive", "proactive", "managed")
MINIMAL = {
    "aws": 'aws: {region: eu-west-1, account_id: "123456789012"}\n',
    "gcp": "gcp: {project_id: acme-dsaas-prod, region: us-central1, apigee: {organization: dedicated}}\n",
}


def _minimal(cloud: str, level: str) -> str:
    return (f"apiVersion: dsaas-infra/v1\nclient: {{name: acme, owner: ml@acme.example, maturity: {level}}}\n"
            f"cloud: {cloud}\n" + MINIMAL[cloud])


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pytest.mark.parametrize("level", LEVELS)
def test_every_unset_setting_is_its_levels_default(cloud, level):
    spec = load_spec_text(_minimal(cloud, level), "acme.yaml")
    for phase_name, settings in DEFAULTS.items():
        phase = getattr(spec.phases, phase_name)
        for setting in settings:
            value = getattr(phase, setting)
            expected = default(phase_name, setting, level, cloud)
            if setting == "variants":
                value = [v.model_dump() for v in value]
            assert value == expected, (phase_name, setting)
            # None only where the level's default is "none" (AWS: raw data never expires).
            if value is None:
                assert CLOUD_DEFAULTS[cloud][phase_name][setting][level] is None


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_example_specs_resolve_to_their_clouds_type(spec_path):
    spec = load_spec(spec_path)
    assert type(spec) is (AwsSpec if spec.cloud == "aws" else GcpSpec)
    # The other cloud's settings do not exist on the resolved spec (no `None` to check for).
    assert not hasattr(spec, "gcp" if spec.cloud == "aws" else "aws")
    assert spec.name_prefix == f"{spec.client.name}-{spec.client.environment}"
    assert spec.state.bucket and spec.state.prefix


def test_explicit_values_win_and_state_defaults_are_derived():
    spec = load_spec_text(GOOD_AWS, "acme.yaml")
    assert isinstance(spec, AwsSpec)
    assert spec.phases.deployment.max_instances == 3
    assert spec.state.bucket == "acme-prod-tfstate-123456789012"
    gcp = load_spec_text(_minimal("gcp", "managed"), "acme.yaml")
    assert gcp.state.bucket == "acme-dsaas-prod-dev-tfstate"
    assert gcp.state.prefix == "dsaas-infra/acme/dev"


def test_the_resolved_spec_is_frozen():
    spec = load_spec_text(GOOD_AWS, "acme.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.phases.deployment.enabled = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.state = spec.state  # type: ignore[misc]


def test_a_missing_cloud_block_is_reported_with_the_other_clouds_block():
    text = _minimal("gcp", "managed").replace("cloud: gcp", "cloud: aws")
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "acme.yaml")
    messages = [p.path + ": " + p.message for p in info.value.problems]
    assert messages == ["aws: required when cloud is aws [SPEC003]",
                        "gcp: only allowed when cloud is gcp (cloud is aws) [SPEC003]"]
