"""GcpContext is typed all the way down (issue 8): every nested value is a frozen dataclass or a
container of typed values; untyped JSON (`Any`, `dict[str, Any]`, `dict[str, object]`) only where an
opaque JSON document is laid out whole, each such field named in OPAQUE_JSON with the reason."""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing

import pytest

from dsaas_infra.render.gcp import build as gcp
from dsaas_infra.render.gcp.context import GcpContext
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.test_contexts import conforms

# owner class . field -> why it may stay untyped JSON.
OPAQUE_JSON = {
    # Cloud Monitoring's Dashboard resource: monitoring.tf lays it out whole with jsonencode(); no
    # template reads a field of it.
    "Observability.dashboard": "dashboard JSON document",
}
# Typed models from outside the render layer (pydantic: typed and validated there), not walked.
NOT_WALKED = ("dsaas_infra.spec.",)


def _untyped(hint: object) -> bool:
    """Whether the hint is (or directly holds) Any / object as a value type."""
    if hint is typing.Any or hint is object:
        return True
    return any(a is typing.Any or a is object for a in typing.get_args(hint))


def untyped_fields(cls: type, seen: set[type] | None = None) -> list[str]:
    """Owner.field of every field of cls and its nested dataclasses typed Any or a JSON mapping of Any/object."""
    seen = set() if seen is None else seen
    if cls in seen:
        return []
    seen.add(cls)
    out: list[str] = []
    for name, hint in typing.get_type_hints(cls).items():
        where = f"{cls.__name__}.{name}"
        stack = [hint]
        while stack:
            h = stack.pop()
            if _untyped(h):
                out.append(where)
                break
            stack.extend(typing.get_args(h))
            if dataclasses.is_dataclass(h) and isinstance(h, type) and not h.__module__.startswith(NOT_WALKED):
                out.extend(untyped_fields(h, seen))
    return out


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
    def nested(cls: type, seen: set[type]) -> None:
        for hint in typing.get_type_hints(cls).values():
            stack = [hint]
            while stack:
                h = stack.pop()
                stack.extend(typing.get_args(h))
                if (dataclasses.is_dataclass(h) and isinstance(h, type) and h not in seen
                        and h.__module__.startswith("dsaas_infra.render.gcp")):
                    seen.add(h)
                    nested(h, seen)

    found: set[type] = set()
    nested(GcpContext, found)
    assert len(found) >= 20, sorted(c.__name__ for c in found)
    for cls in found:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen and "__slots__" in cls.__dict__ and cls.__dataclass_fields__, cls
        assert all(f.kw_only for f in dataclasses.fields(cls)), cls


def _nonconforming(value: object, hint: object, where: str) -> list[str]:
    """Where a value (recursively, into dataclasses and containers) is not of its declared type."""
    if not conforms(value, hint):
        return [f"{where}: {value!r:.80} is not {hint}"]
    out: list[str] = []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next((a for a in args if conforms(value, a)), hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith("dsaas_infra.render.gcp"):
        hints = typing.get_type_hints(type(value))
        for f in dataclasses.fields(value):
            out += _nonconforming(getattr(value, f.name), hints[f.name], f"{where}.{f.name}")
    elif origin in (list, tuple, collections.abc.Sequence) and args:
        for i, v in enumerate(value):  # type: ignore[attr-defined]
            out += _nonconforming(v, args[0], f"{where}[{i}]")
    elif origin is dict:
        for k, v in value.items():  # type: ignore[attr-defined]
            out += _nonconforming(v, args[1], f"{where}[{k!r}]")
    return out


@pytest.mark.parametrize("spec_path", [p for p in example_specs() if p.stem.startswith("gcp-")], ids=lambda p: p.stem)
def test_every_nested_value_has_its_declared_type(spec_path):
    ctx = gcp.build_context(load_spec(spec_path))
    hints = typing.get_type_hints(GcpContext)
    wrong = [w for f in dataclasses.fields(ctx) if f.name not in ("spec", "phases", "gcp", "client", "state")
             for w in _nonconforming(getattr(ctx, f.name), hints[f.name], f.name)]
    assert wrong == []
