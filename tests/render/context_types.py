"""Walkers for the typed render contexts (issue 8), shared by tests/render/aws and tests/render/gcp:
untyped fields (`Any`, mappings of `Any`/`object`) however deep, the nested dataclasses of a context,
and values that are not of their declared type."""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing

from tests.render.test_contexts import conforms

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


def nested_dataclasses(cls: type, module_prefix: str, seen: set[type] | None = None) -> set[type]:
    """The dataclasses of modules under module_prefix that cls's fields hold, however deep."""
    seen = set() if seen is None else seen
    for hint in typing.get_type_hints(cls).values():
        stack = [hint]
        while stack:
            h = stack.pop()
            stack.extend(typing.get_args(h))
            if (dataclasses.is_dataclass(h) and isinstance(h, type) and h not in seen
                    and h.__module__.startswith(module_prefix)):
                seen.add(h)
                nested_dataclasses(h, module_prefix, seen)
    return seen


def frozen_slotted_kw_only(cls: type) -> bool:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    return bool(params.frozen and "__slots__" in cls.__dict__ and cls.__dataclass_fields__
                and all(f.kw_only for f in dataclasses.fields(cls)))


def nonconforming(value: object, hint: object, where: str, module_prefix: str) -> list[str]:
    """Where a value (recursively, into dataclasses of module_prefix and containers) is not of its declared type."""
    if not conforms(value, hint):
        return [f"{where}: {value!r:.80} is not {hint}"]
    out: list[str] = []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next((a for a in args if conforms(value, a)), hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith(module_prefix):
        hints = typing.get_type_hints(type(value))
        for f in dataclasses.fields(value):
            out += nonconforming(getattr(value, f.name), hints[f.name], f"{where}.{f.name}", module_prefix)
    elif origin in (list, tuple, collections.abc.Sequence) and args:
        for i, v in enumerate(value):  # type: ignore[attr-defined]
            out += nonconforming(v, args[0], f"{where}[{i}]", module_prefix)
    elif origin is dict:
        for k, v in value.items():  # type: ignore[attr-defined]
            out += nonconforming(v, args[1], f"{where}[{k!r}]", module_prefix)
    return out
