"""Turn Python values into HCL expressions: the only way free text reaches generated code."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from dsaas_infra.render.escape import hcl_string, markdown_text

__all__ = ["hcl_key", "hcl_string", "hcl_value", "markdown_text"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl_key(key: str) -> str:
    """An object key: bare when it is a plain identifier, else a quoted string."""
    # `for` would start a for expression ({ for = ... } does not parse); the literals and
    # `in`/`if` are quoted for the same reason.
    bare = _IDENT.fullmatch(key) and key not in {"true", "false", "null", "for", "in", "if"}
    return key if bare else hcl_string(key)


def hcl_value(value: Any, indent: int = 0) -> str:
    """Any JSON-like Python value as an HCL expression (multi-line for non-empty maps).

    A dataclass instance (a typed render-context value) is the map of its fields, in field order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return json.dumps(value)
        return str(int(value))
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_value(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = "  " * (indent + 1)
        lines = [f"{pad}{hcl_key(str(k))} = {hcl_value(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + "\n".join(lines) + "\n" + "  " * indent + "}"
    raise TypeError(f"cannot express {type(value).__name__} in HCL")
