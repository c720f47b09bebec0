"""Spec keys of the AWS pipeline's deploy step: versions kept and the data capture share."""

from __future__ import annotations

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec_text
from tests.spec.conftest import GOOD_AWS


def load(extra: str = ""):
    text = GOOD_AWS.replace("drift_detection: true", "drift_detection: true" + extra, 1)
    return load_spec_text(text, "acme.yaml")


def test_defaults_capture_a_fifth_of_the_traffic_and_keep_a_few_versions():
    d = load().phases.deployment
    assert d.data_capture_percent == 20 and d.retained_versions == 5
    assert d.approval is None  # evaluated models wait for a human


@pytest.mark.parametrize("extra, path, fragment", [
    ("\n    data_capture_percent: 0", "phases.deployment.data_capture_percent", "greater than or equal to 1"),
    ("\n    data_capture_percent: 101", "phases.deployment.data_capture_percent", "less than or equal to 100"),
    ("\n    retained_versions: 1", "phases.deployment.retained_versions", "greater than or equal to 2"),
])
def test_bad_settings_are_one_located_line_each(extra, path, fragment):
    with pytest.raises(SpecError) as info:
        load(extra)
    found = [ln for ln in info.value.lines() if f" {path}: " in ln]
    assert found and fragment in found[0], info.value.lines()
    assert found[0].startswith("acme.yaml:")
