"""AwsContext is typed all the way down (issue 8): every nested value is a frozen dataclass or a
container of typed values; untyped JSON (`Any`, `dict[str, Any]`, `dict[str, object]`) only where an
opaque JSON document is laid out whole, each such field named in OPAQUE_JSON with the reason."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from dsaas_infra.render.aws import build as aws
from dsaas_infra.render.aws.context import AwsContext
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.context_types import frozen_slotted_kw_only, nested_dataclasses, nonconforming, untyped_fields

# owner class . field -> why it may stay untyped JSON. None on AWS: the templates read a field of every
# nested value (the IAM and key policies are laid out in HCL by the templates, not passed as documents).
OPAQUE_JSON: dict[str, str] = {}
AWS = "dsaas_infra.render.aws"


@dataclasses.dataclass(frozen=True)
class _Variant:
    name: str
    extra: dict[str, typing.Any]


@dataclasses.dataclass(frozen=True)
class _Context:
    variants: list[_Variant]
    approval: dict[str, object] | None


def test_the_walker_finds_untyped_fields_however_deep():
    assert sorted(untyped_fields(_Context)) == ["_Context.approval", "_Variant.extra"]


def test_no_aws_context_field_is_untyped_but_the_opaque_documents():
    assert sorted(untyped_fields(AwsContext)) == sorted(OPAQUE_JSON)


def test_nested_values_are_frozen_slotted_keyword_only_dataclasses():
    found = nested_dataclasses(AwsContext, AWS)
    # Bucket, RawTransition, Freshness, Budget, BudgetTag, BudgetNotification, KmsKey, ApprovalGate,
    # Variant, ConsumerLimits
    assert len(found) >= 10, sorted(c.__name__ for c in found)
    assert [c.__name__ for c in found if not frozen_slotted_kw_only(c)] == []


@pytest.mark.parametrize("spec_path", [p for p in example_specs() if p.stem.startswith("aws-")], ids=lambda p: p.stem)
def test_every_nested_value_has_its_declared_type(spec_path):
    ctx = aws.build_context(load_spec(spec_path))
    hints = typing.get_type_hints(AwsContext)
    wrong = [w for f in dataclasses.fields(ctx) if f.name not in ("spec", "phases", "aws", "client", "state")
             for w in nonconforming(getattr(ctx, f.name), hints[f.name], f.name, AWS)]
    assert wrong == []
