"""Fill maturity defaults into a validated spec and check the rules that span several keys."""

from __future__ import annotations

from dsaas_infra import clouds
from dsaas_infra.spec import rules
from dsaas_infra.spec.maturity import DEFAULTS, default
from dsaas_infra.spec.model import ClientSpec, Variant

Problem = tuple[tuple[str | int, ...], str]


def apply_maturity(spec: ClientSpec) -> None:
    """Replace every unset phase setting with the default of the client's maturity level."""
    maturity = spec.client.maturity
    for phase_name, settings in DEFAULTS.items():
        phase = getattr(spec.phases, phase_name)
        for setting in settings:
            if getattr(phase, setting) is None:
                value = default(phase_name, setting, maturity, spec.cloud)
                if setting == "variants":
                    value = [Variant(**v) for v in value]
                setattr(phase, setting, value)


def default_state(spec: ClientSpec) -> None:
    """Derive the remote state location from client, environment and account/project."""
    c = spec.client
    cloud = clouds.of(spec)
    if spec.state.bucket is None and cloud.settings(spec) is not None:
        spec.state.bucket = cloud.default_state_bucket(spec)
    if spec.state.prefix is None:
        spec.state.prefix = f"dsaas-infra/{c.name}/{c.environment}"


def deprecations(spec: ClientSpec) -> list[Problem]:
    """Keys that still work for this release but are on their way out (warnings, not errors)."""
    return clouds.of(spec).deprecations(spec)


def check_rules(spec: ClientSpec) -> list[Problem]:
    """Rules between keys that single-field validation cannot see (spec/rules.py). Run after apply_maturity."""
    return rules.check(spec)
