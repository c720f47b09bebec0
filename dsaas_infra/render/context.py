"""The render context shared by both clouds: names, tags and the resolved phases."""

from __future__ import annotations

from typing import Any

from dsaas_infra import __version__
from dsaas_infra.phases import PHASES, PURPOSE, SERVICES, output_templates
from dsaas_infra.spec.model import ClientSpec


def common_context(spec: ClientSpec) -> dict[str, Any]:
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
    return {
        "spec": spec,
        "client": c,
        "phases": spec.phases,
        "name_prefix": f"{c.name}-{c.environment}",
        "tags": dict(sorted(merged.items())),
        "version": __version__,
        "enabled_phases": enabled,
        # <cloud>/outputs.tf.j2 includes these (the phase table's outputs of the enabled phases).
        "phase_outputs": output_templates(spec.cloud, enabled),
        "phase_names": PHASES,
        "phase_purpose": PURPOSE,
        "services": SERVICES,
        "display_name": c.display_name or c.name,
    }
