"""The render module of the fake cloud of test_registry.py: one shared template, one static file."""

from __future__ import annotations

from typing import Any

from dsaas_infra.render.context import common_context


class _Context(dict):
    """A context without a class of its own: the renderer only asks it for its template variables."""

    def template_vars(self) -> dict[str, Any]:
        return dict(self)


def build_context(spec) -> _Context:
    return _Context({**common_context(spec), "fake_region": "moon-1"})


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".gitignore", "common/gitignore.j2")]
