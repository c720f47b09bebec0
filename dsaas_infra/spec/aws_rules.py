"""AWS-specific spec rules: names derived from the spec must satisfy AWS naming rules."""

from __future__ import annotations

from dsaas_infra.spec.model import ClientSpec

Problem = tuple[tuple[str | int, ...], str]


def check(spec: ClientSpec) -> list[Problem]:
    return []
