"""Turn Python values into HCL expressions: the only way free text reaches generated code."""

from __future__ import annotations

import json
import re
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(value: str) -> str:
    """A double-quoted HCL string literal whose content is exactly ``value``.

    Quotes, backslashes and line breaks are escaped, and the ``$`` or ``%`` of the template
    sequences ``${`` and ``%{`` is written as a unicode escape, so Terraform reads them as
    literal text, never as code. (HCL's own doubling, ``$${``, is equivalent for Terraform
    but python-hcl2, which the validator uses, rejects an unclosed ``$${``.)
    """
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        nxt = value[i + 1] if i + 1 < len(value) else ""
        if ch in "$%" and nxt == "{":
            out.append(f"\\u{ord(ch):04x}{{")
            i += 2
            continue
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
        i += 1
    return '"' + "".join(out) + '"'


def hcl_key(key: str) -> str:
    """An object key: bare when it is a plain identifier, else a quoted string."""
    return key if _IDENT.fullmatch(key) and key not in {"true", "false", "null"} else hcl_string(key)


def hcl_value(value: Any, indent: int = 0) -> str:
    """Any JSON-like Python value as an HCL expression (multi-line for non-empty maps)."""
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


def markdown_text(value: str) -> str:
    """Free text for the generated README: no HTML, no Markdown or Mermaid control characters."""
    value = re.sub(r"[\x00-\x1f\x7f]", " ", value)
    return re.sub(r"([\\`*_{}\[\]()#+!|<>\"])", r"\\\1", value)
