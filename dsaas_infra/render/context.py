"""The typed render context: the part both clouds share, and how a context reaches the templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, TypedDict

from dsaas_infra import __version__
from dsaas_infra.loop import LoopStep
from dsaas_infra.phases import PHASES, PURPOSE, SERVICES, output_templates
from dsaas_infra.spec.model import Client
from dsaas_infra.spec.resolved import Phases, ResolvedSpec, StateSettings

# Context fields Python reads and templates never see: the resolved spec and its phases.
NOT_TEMPLATE_VARS = frozenset({"spec", "phases"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CommonContext:
    """What every blueprint's templates read, computed once per render (aws_context, gcp_context add the rest)."""

    # The resolved spec, for the Python that builds the files (files(), derived_files()): never a
    # template variable (templates read only the fields below; tests/render/test_template_reads.py).
    spec: ResolvedSpec
    phases: Phases
    client: Client
    display_name: str
    name_prefix: str
    tags: dict[str, str]
    version: str
    enabled_phases: list[str]
    phase_names: tuple[str, ...]
    phase_purpose: dict[str, str]
    services: dict[str, dict[str, list[str]]]
    state: StateSettings
    provider_version: str
    time_provider_version: str
    loop_steps: Sequence[LoopStep]
    # outputs.tf: the phase templates whose outputs it includes (phases.py, in phase order).
    phase_outputs: list[str]
    # Phases on or off. realtime: a deployment that serves a real-time endpoint; access: an API
    # in front of it (the spec rules refuse an API without one).
    data_enabled: bool
    training_enabled: bool
    deployment_enabled: bool
    realtime: bool
    access_enabled: bool
    # The data phase's settings the templates of both clouds lay out.
    data_schedule: str
    prevent_destroy: bool
    raw_retention_days: int | None  # None: raw objects never expire (the default on both clouds)
    log_retention_days: int
    # The raw datasets (phases.data.datasets), each its own raw prefix and curated table, and the
    # one the training set is built from (phases.training.dataset).
    datasets: list[str]
    training_dataset: str

    def template_vars(self) -> dict[str, Any]:
        """The context as Jinja variables: one per field, values as they are (no copies), except the
        raw spec (NOT_TEMPLATE_VARS): what templates lay out is computed here, not read from it."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NOT_TEMPLATE_VARS}


class CommonValues(TypedDict):
    """CommonContext's fields but the ones each cloud sets itself (provider pins, loop_steps):
    common_context's result, splatted into the cloud's context class (mypy checks each key)."""

    spec: ResolvedSpec
    client: Client
    phases: Phases
    name_prefix: str
    tags: dict[str, str]
    version: str
    enabled_phases: list[str]
    phase_outputs: list[str]
    phase_names: tuple[str, ...]
    phase_purpose: dict[str, str]
    services: dict[str, dict[str, list[str]]]
    display_name: str
    state: StateSettings
    data_enabled: bool
    training_enabled: bool
    deployment_enabled: bool
    realtime: bool
    access_enabled: bool
    data_schedule: str
    prevent_destroy: bool
    raw_retention_days: int | None
    log_retention_days: int
    datasets: list[str]
    training_dataset: str


def common_context(spec: ResolvedSpec) -> CommonValues:
    """The shared fields of the context, as keyword arguments of the cloud's context class."""
    c = spec.client
    tags = {
        "client": c.name,
        "environment": c.environment,
        "owner": c.owner,
        "maturity": c.maturity,
        "managed-by": "dsaas-infra",
    }
    # User tags come first so that the identifying tags above always win.
    merged = {**c.tags, **tags}
    enabled = [p for p in PHASES if getattr(spec.phases, p).enabled]
    phases = spec.phases
    realtime = phases.deployment.enabled and phases.deployment.realtime
    return {
        "spec": spec,
        "client": c,
        "phases": spec.phases,
        "name_prefix": spec.name_prefix,
        "tags": dict(sorted(merged.items())),
        "version": __version__,
        "enabled_phases": enabled,
        # <cloud>/outputs.tf.j2 includes these (the phase table's outputs of the enabled phases).
        "phase_outputs": output_templates(spec.cloud, enabled),
        "phase_names": PHASES,
        "phase_purpose": PURPOSE,
        "services": SERVICES,
        "display_name": c.display_name or c.name,
        "state": spec.state,
        "data_enabled": phases.data.enabled,
        "training_enabled": phases.training.enabled,
        "deployment_enabled": phases.deployment.enabled,
        "realtime": realtime,
        "access_enabled": phases.access.enabled and realtime,
        "data_schedule": phases.data.schedule,
        "prevent_destroy": phases.data.prevent_destroy,
        "raw_retention_days": phases.data.raw_retention_days,
        "log_retention_days": phases.data.log_retention_days,
        "datasets": list(phases.data.datasets),
        "training_dataset": phases.training.dataset,
    }
