"""Command-line values converted without pydantic for the plain types the CLI uses (str, int, bool, Path, enums, lists).

typer 0.29 converts every parameter with a pydantic ``TypeAdapter``: importing pydantic and building
the adapters is about 0.15 s of CPU, more than the rest of ``dsaas-infra phases``. For the types
cli.py declares, the conversion is done here the way typer's adapters do it (typer's own choice and
path functions, ``int`` of plain digits within min/max); any value this does not convert cleanly (a
bad choice, a number out of range, an unexpected type) goes to typer's pydantic conversion, so
errors and their messages stay typer's. tests/test_cli_coercion.py compares both on each type.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

_DIGITS = re.compile(r"[0-9]+")


class _Unconverted(Exception):
    """Left to typer's pydantic conversion."""


def _leaf(annotation: Any, info: Any):
    """A converter for one value of ``annotation``, or None when typer's conversion is needed."""
    from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path

    if info.parser is not None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = list(annotation)

        def choice(value, param, ctx):
            try:
                return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
            except ValueError as e:
                raise _Unconverted from e
        return choice
    if annotation is str:
        def text(value, param, ctx):
            if not isinstance(value, str):
                raise _Unconverted
            return value
        return text
    if annotation is bool:
        def flag(value, param, ctx):
            if not isinstance(value, bool):
                raise _Unconverted
            return value
        return flag
    if annotation is int and not info.clamp:
        def number(value, param, ctx):
            if isinstance(value, str) and _DIGITS.fullmatch(value):
                value = int(value)
            if type(value) is not int or (info.min is not None and value < info.min) or (
                    info.max is not None and value > info.max):
                raise _Unconverted
            return value
        return number
    if annotation is Path and info.path_type is None and routes_to_path(annotation, info):
        def path(value, param, ctx):
            if not isinstance(value, str):
                raise _Unconverted
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        return path
    return None


@functools.cache
def _light_param_class():
    from typer._coercion import RuntimeParam, build_runtime_param

    @dataclass(frozen=True)
    class LightParam(RuntimeParam):
        convert: Any = None
        many: bool = False
        descriptor: Any = None
        _full: list = field(default_factory=list)

        def _coerce_value(self, value, param, ctx):
            try:
                if self.many:
                    items = value if isinstance(value, (list, tuple)) else [value]
                    return [self.convert(item, param, ctx) for item in items]
                return self.convert(value, param, ctx)
            except _Unconverted:
                if not self._full:
                    self._full.append(build_runtime_param(self.descriptor))
                return self._full[0]._coerce_value(value, param, ctx)

    return LightParam


def __getattr__(name: str):
    if name == "LightParam":  # typer's RuntimeParam is imported with the first use, not with this module
        return _light_param_class()
    raise AttributeError(name)


def light_runtime_param(descriptor):
    """typer's RuntimeParam for a parameter: converted here when its type allows, else typer's own."""
    from typer._coercion import build_runtime_param

    annotation, info = descriptor.annotation, descriptor.parameter_info
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation)
    convert = None if descriptor.file_annotation is not None else _leaf(annotation, info)
    if convert is None:
        return build_runtime_param(descriptor)
    return _light_param_class()(parameter_info=info, annotation=descriptor.annotation, convert=convert, many=many,
                                descriptor=descriptor)


def install() -> None:
    """Have typer use these conversions for the parameters they cover (patching typer.core's
    lookup on purpose: typer offers no hook for it)."""
    from typer import core

    core.build_runtime_param = light_runtime_param
