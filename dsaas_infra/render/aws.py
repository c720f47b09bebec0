"""The AWS blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``aws_pipeline`` adds the deployment and access phases.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra.render import aws_pipeline
from dsaas_infra.render.context import common_context
from dsaas_infra.spec.model import ClientSpec

AWS_PROVIDER_VERSION = "~> 6.0"


def build_context(spec: ClientSpec) -> dict[str, Any]:
    assert spec.aws is not None
    ctx = common_context(spec)
    ctx.update(
        aws=spec.aws,
        provider_version=AWS_PROVIDER_VERSION,
        state=spec.state,
        state_key=f"{spec.state.prefix}/terraform.tfstate",
    )
    ctx.update(aws_pipeline.build_context(spec, ctx))
    return ctx


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    out = [
        ("versions.tf", "aws/versions.tf.j2"),
        ("providers.tf", "aws/providers.tf.j2"),
        ("backend.tf", "aws/backend.tf.j2"),
        (".gitignore", "common/gitignore.j2"),
    ]
    out.extend(aws_pipeline.files(ctx))
    return out
