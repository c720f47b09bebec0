"""The AWS deployment and access phases: their render context and files."""

from __future__ import annotations

from typing import Any

from dsaas_infra.spec.model import ClientSpec


def build_context(spec: ClientSpec, ctx: dict[str, Any]) -> dict[str, Any]:
    """Values the deployment/access templates need, computed here rather than in Jinja."""
    return {}


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    return []
