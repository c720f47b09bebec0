"""Test-only templates (v1, v2) rendered like a blueprint, and the helpers the upgrade tests share."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_fixture(version: str, **values: str) -> dict[str, bytes]:
    """Every template of ``templates/<version>/`` rendered: output name -> bytes."""
    ctx = {"client": "acme", "environment": "prod", "retention": "30", **values}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / version)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return {name.removesuffix(".j2"): env.get_template(name).render(ctx).encode()
            for name in sorted(env.list_templates())}


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def v1() -> dict[str, bytes]:
    return render_fixture("v1")


@pytest.fixture
def v2() -> dict[str, bytes]:
    return render_fixture("v2")
