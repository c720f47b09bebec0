"""GCP-specific spec rules: labels derived from tags, names derived from the spec."""

from __future__ import annotations

from dsaas_infra.spec.model import ClientSpec

Problem = tuple[tuple[str | int, ...], str]


def check(spec: ClientSpec) -> list[Problem]:
    return []
