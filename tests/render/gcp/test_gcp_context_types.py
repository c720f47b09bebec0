"""GcpContext is typed all the way down (issue 8): every nested value is a frozen dataclass or a
container of typed values; untyped JSON (`Any`, `dict[str, Any]`, `dict[str, object]`) only where an
opaque JSON document is laid out whole, each such field named in OPAQUE_JSON with the reason."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from dsaas_infra.render.gcp import build as gcp
from dsaas_infra.render.gcp.context import GcpContext
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.context_types import nested_dataclasses, nonconforming, untyped_fields

# owner class . field -> why it may stay untyped JSON.
OPAQUE_JSON = {
    # Cloud Monitoring's Dashboard resource: monitoring.tf lays it out whole with jsonencode(); no
    # template reads a field of it.
    "Observability.dashboard": "dashboard JSON document",
}
GCP = "dsaas_infra.render.gcp"


@dataclasses.dataclass(frozen=True)
class _Inner:
    ok: dict[str, int]
    blob: dict[str, typing.Any]


@dataclasses.dataclass(frozen=True)
class _Outer:
    inners: list[_Inner | None]
    loose: typing.Any
    doc: dict[str, object]


def test_the_walker_finds_untyped_fields_however_deep():
    assert sorted(untyped_fields(_Outer)) == ["_Inner.blob", "_Outer.doc", "_Outer.loose"]


def test_no_gcp_context_field_is_untyped_but_the_opaque_documents():
    assert sorted(untyped_fields(GcpContext)) == sorted(OPAQUE_JSON)


def test_nested_values_are_frozen_slotted_keyword_only_dataclasses():
    found = nested_dataclasses(GcpContext, GCP)
    assert len(found) >= 20, sorted(c.__name__ for c in found)
    for cls in found:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen and "__slots__" in cls.__dict__ and cls.__dataclass_fields__, cls
        assert all(f.kw_only for f in dataclasses.fields(cls)), cls


@pytest.mark.parametrize("spec_path", [p for p in example_specs() if p.stem.startswith("gcp-")], ids=lambda p: p.stem)
def test_every_nested_value_has_its_declared_type(spec_path):
    ctx = gcp.build_context(load_spec(spec_path))
    hints = typing.get_type_hints(GcpContext)
    wrong = [w for f in dataclasses.fields(ctx) if f.name not in ("spec", "phases", "gcp", "client", "state")
             for w in nonconforming(getattr(ctx, f.name), hints[f.name], f.name, GCP)]
    assert wrong == []
