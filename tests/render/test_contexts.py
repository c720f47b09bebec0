"""The typed render contexts: built by one function per cloud, every field's value of its declared type."""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing

import pytest

from dsaas_infra.render.aws import build as aws
from dsaas_infra.render.aws.context import AwsContext
from dsaas_infra.render.context import CommonContext
from dsaas_infra.render.gcp import build as gcp
from dsaas_infra.render.gcp.context import GcpContext
from dsaas_infra.spec import load_spec, load_spec_text
from tests.conftest import example_specs


def conforms(value: object, hint: object) -> bool:
    """Whether ``value`` is of the type ``hint`` (the subset of typing the contexts use)."""
    if hint is typing.Any:
        return True
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if origin in (list, collections.abc.Sequence):
        return isinstance(value, origin) and all(conforms(v, args[0]) for v in value)  # type: ignore[arg-type]
    if origin is tuple:
        return isinstance(value, tuple) and all(conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(conforms(k, args[0]) and conforms(v, args[1])
                                               for k, v in value.items())
    if hint is type(None):
        return value is None
    assert origin is None, f"conforms() does not know {hint}"
    return isinstance(value, hint)  # type: ignore[arg-type]


def _fields_conform(ctx: CommonContext) -> list[str]:
    hints = typing.get_type_hints(type(ctx))
    return [f"{f.name}: {getattr(ctx, f.name)!r:.80} is not {hints[f.name]}"
            for f in dataclasses.fields(ctx) if not conforms(getattr(ctx, f.name), hints[f.name])]


def test_the_checker_can_fail():
    assert not conforms(["a", 1], list[str]) and not conforms({"a": None}, dict[str, int])
    assert not conforms(None, str) and conforms(None, str | None) and not conforms(True, float)


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_every_field_has_its_declared_type(spec_path):
    spec = load_spec(spec_path)
    ctx = aws.build_context(spec) if spec.cloud == "aws" else gcp.build_context(spec)
    assert type(ctx) is (AwsContext if spec.cloud == "aws" else GcpContext)
    assert _fields_conform(ctx) == []
    # The templates get exactly the fields but the raw spec, nothing more (render/renderer.py adds only `ci`).
    assert set(ctx.template_vars()) == {f.name for f in dataclasses.fields(ctx)} - {"spec", "phases"}


def test_a_context_is_frozen():
    ctx = aws.build_context(load_spec(example_specs()[0]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.name_prefix = "other"  # type: ignore[misc]


def test_derived_values_are_computed_once_from_the_resolved_spec():
    spec = load_spec_text("""\
apiVersion: dsaas-infra/v1
client: {name: acme, owner: ml@acme.example, environment: staging, maturity: managed}
cloud: aws
aws: {region: eu-west-1, account_id: "123456789012"}
phases:
  access: {enabled: true}
""", "acme.yaml")
    ctx = aws.build_context(spec)
    assert ctx.name_prefix == spec.name_prefix == "acme-staging"
    # The endpoint's name is the derived, checked one (spec/aws_rules.py), not a second formula.
    assert ctx.endpoint_name == ctx.names["endpoint"] == "acme-staging-endpoint"
    assert ctx.access_enabled is True and ctx.realtime is True
