"""Load a client spec file into a validated, defaults-filled model, or raise located SpecErrors."""

from __future__ import annotations

import difflib
import sys
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dsaas_infra.errors import SpecError, SpecProblem
from dsaas_infra.spec import naming
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.resolve import check_rules, deprecations, resolve
from dsaas_infra.spec.resolved import ResolvedSpec
from dsaas_infra.spec.yaml_positions import LoadedYaml, YamlProblem, load_yaml

MAX_SPEC_BYTES = 1_000_000


def load_spec(path: str | Path) -> ResolvedSpec:
    """Read, validate and resolve the spec at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SpecError([SpecProblem(str(path), None, None, "", f"cannot read: {e.strerror}")]) from e
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError([SpecProblem(str(path), None, None, "", "file is larger than 1 MB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError([SpecProblem(str(path), None, None, "", "file is not UTF-8 text")]) from e
    return load_spec_text(text, str(path))


def load_spec_text(text: str, filename: str = "<spec>") -> ResolvedSpec:
    """Validate and resolve a spec given as YAML text; ``filename`` is used in messages."""
    try:
        loaded = load_yaml(text)
    except YamlProblem as e:
        raise SpecError(
            [SpecProblem(filename, e.line, e.column, _dotted(e.path), e.message)]
        ) from e
    if not isinstance(loaded.data, dict):
        raise SpecError(
            [SpecProblem(filename, 1, 1, "", "a spec is a YAML mapping (apiVersion, client, cloud, ...)")]
        )
    try:
        user = ClientSpec.model_validate(loaded.data)
    except ValidationError as e:
        raise SpecError(_problems_from_pydantic(e, loaded, filename)) from e
    spec = resolve(user)
    problems = check_rules(user, spec)
    if problems or spec is None:
        raise SpecError([_locate(loaded, filename, path, msg) for path, msg in problems])
    for path, msg in deprecations(spec):
        # A warning, not an error: the spec still works for this release.
        sys.stderr.write(f"warning: {_locate(loaded, filename, path, msg)}\n")
    return spec


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(loaded: LoadedYaml, filename: str, path: tuple, message: str) -> SpecProblem:
    line, col = loaded.locate(path)
    return SpecProblem(filename, line, col, _dotted(path), message)


def _problems_from_pydantic(
    error: ValidationError, loaded: LoadedYaml, filename: str
) -> list[SpecProblem]:
    problems = []
    seen = set()
    for item in error.errors(include_url=False):
        path = _clean_loc(item["loc"])
        message = _message(dict(item), path)
        key = (path, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(_locate(loaded, filename, path, message))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.path))
    return problems


def _clean_loc(loc: tuple) -> tuple:
    # pydantic puts union members and constrained types in the location: drop them.
    return tuple(
        part for part in loc
        if isinstance(part, int) or not (
            part.startswith(("function-", "constrained-")) or part in {"str", "int", "bool", "float"}
            or part.endswith("]") or part[:1].isupper() or part.startswith("literal[")
        )
    )


def _message(item: dict, path: tuple) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _allowed_keys(path[:-1])
        hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        text = f"unknown key {key!r}"
        if hint:
            text += f" (did you mean {hint[0]!r}?)"
        if allowed:
            text += f"; allowed: {', '.join(allowed)}"
        return text
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"{item['input']!r} is not allowed; expected {expected}"
    if kind == "string_pattern_mismatch":
        if item["ctx"]["pattern"] == naming.EMAIL.pattern:
            return f"{item['input']!r} is not an e-mail address"
        return f"{item['input']!r} does not match {item['ctx']['pattern']}"
    if kind == "string_type" and isinstance(item.get("input"), (int, float)):
        return f"{item['input']!r} must be a string: quote it"
    if kind.endswith("_type") and isinstance(item.get("input"), (list, dict)):
        got = "a list" if isinstance(item["input"], list) else "a mapping"
        wanted = {"string_type": "a string", "int_type": "a whole number", "bool_type": "true or false",
                  "float_type": "a number", "list_type": "a list", "dict_type": "a mapping",
                  "model_type": "a mapping", "model_attributes_type": "a mapping"}.get(kind, "something else")
        return f"must be {wanted}, got {got}"
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if "input" in item and kind not in {"model_type", "dict_type", "list_type", "model_attributes_type"}:
        if isinstance(item["input"], (str, int, float, bool)):
            return f"{item['input']!r}: {message}"
    return message


def _allowed_keys(path: tuple) -> list[str]:
    """The keys the model accepts at ``path`` (used for 'did you mean' hints)."""
    model: typing.Any = ClientSpec
    for part in path:
        if isinstance(part, int):
            continue
        model = _model_of(model, part)
        if model is None:
            return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_of(model: typing.Any, key: str) -> typing.Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return _unwrap(field.annotation)
    return None


def _unwrap(annotation: typing.Any) -> typing.Any:
    for arg in (typing.get_args(annotation) or ()):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation
