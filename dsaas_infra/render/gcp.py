"""The GCP blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``gcp_serving`` adds the deployment and access phases.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra.render import gcp_serving
from dsaas_infra.render.context import common_context
from dsaas_infra.spec.model import ClientSpec


def build_context(spec: ClientSpec) -> dict[str, Any]:
    assert spec.gcp is not None
    ctx = common_context(spec)
    ctx.update(gcp=spec.gcp, state=spec.state)
    ctx.update(gcp_serving.build_context(spec, ctx))
    return ctx


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    out = [(".gitignore", "common/gitignore.j2")]
    out.extend(gcp_serving.files(ctx))
    return out
