"""Resolve a validated spec (maturity defaults, the state location) and check the rules across keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dsaas_infra import clouds
from dsaas_infra.spec import rules
from dsaas_infra.spec.maturity import DEFAULTS, default
from dsaas_infra.spec.model import ClientSpec, Variant
from dsaas_infra.spec.resolved import (
    AccessPhase,
    DataPhase,
    DeploymentPhase,
    Phases,
    ResolvedSpec,
    StateSettings,
    TrainingPhase,
)

Problem = tuple[tuple[str | int, ...], str]


def _phase_values(spec: ClientSpec, phase_name: str) -> dict[str, Any]:
    """One phase's settings, each unset one replaced by the default of the client's maturity level."""
    phase: BaseModel = getattr(spec.phases, phase_name)
    values = {name: getattr(phase, name) for name in type(phase).model_fields}
    for setting in DEFAULTS[phase_name]:
        if values[setting] is None:
            value = default(phase_name, setting, spec.client.maturity, spec.cloud)
            if setting == "variants":
                value = [Variant(**v) for v in value]
            values[setting] = value
    return values


def resolve(spec: ClientSpec) -> ResolvedSpec | None:
    """The spec with every default filled in; None when the settings of its cloud are missing."""
    cloud = clouds.of(spec)
    if cloud.settings(spec) is None:
        return None
    c = spec.client
    data = _phase_values(spec, "data")
    training = _phase_values(spec, "training")
    training["dataset"] = training["dataset"] or data["datasets"][0]
    phases = Phases(
        data=DataPhase(**data),
        training=TrainingPhase(**training),
        deployment=DeploymentPhase(**_phase_values(spec, "deployment")),
        access=AccessPhase(**_phase_values(spec, "access")),
    )
    state = StateSettings(
        bucket=spec.state.bucket or cloud.default_state_bucket(spec),
        prefix=spec.state.prefix or f"dsaas-infra/{c.name}/{c.environment}",
        lock_table=spec.state.lock_table,
    )
    return cloud.resolved_spec(
        spec, api_version=spec.api_version, client=c, state=state, phases=phases, budget=spec.budget,
        assessment=spec.assessment, ci=spec.ci, name_prefix=f"{c.name}-{c.environment}",
    )


def deprecations(spec: ResolvedSpec) -> list[Problem]:
    """Keys that still work for this release but are on their way out (warnings, not errors)."""
    return clouds.of(spec).deprecations(spec)


def check_rules(user: ClientSpec | None, spec: ResolvedSpec | None) -> list[Problem]:
    """Rules between keys that single-field validation cannot see (spec/rules.py). Without a resolved
    spec (its cloud's settings are missing) only the rules of the spec as written run."""
    return rules.check(spec, user)
