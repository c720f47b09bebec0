"""Stage 3: resource and data-source types, arguments and blocks exist in the pinned provider's schema."""

from __future__ import annotations

import difflib
import re

from dsaas_infra import schemas
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Rule, StageResult
from dsaas_infra.validate.tf_module import Block, Module, address

NAME = "schema"
RULES = {r.id: r for r in [
    Rule("SCH001", "unknown-resource-type", "The resource type does not exist in the provider."),
    Rule("SCH002", "unknown-argument", "The argument does not exist in the resource or block schema."),
    Rule("SCH003", "read-only-argument", "The attribute is computed by the provider and cannot be set."),
    Rule("SCH004", "missing-required-argument", "A required argument is not set."),
    Rule("SCH005", "unknown-block", "The nested block does not exist in the resource or block schema."),
    Rule("SCH006", "missing-required-block", "A required nested block is missing."),
    Rule("SCH007", "too-many-blocks", "A nested block appears more often than the schema allows."),
    Rule("SCH008", "unknown-data-source", "The data source type does not exist in the provider."),
    Rule("SCH009", "block-argument-mismatch", "A block is written as an argument, or an argument as a block."),
    Rule("SCH010", "no-schema-snapshot", "No schema snapshot ships for this provider; its blocks are not "
                                         "checked.", INFO),
    Rule("SCH011", "provider-major-mismatch", "The blueprint pins a provider major other than the snapshot's.",
         WARNING),
    Rule("SCH012", "unknown-attribute-reference", "A reference reads an attribute the resource type does not "
                                                  "export."),
    Rule("SCH013", "wrong-value-type", "A literal value has a type the attribute cannot take (Terraform's own "
                                       "conversions allowed: number or bool to string, numeric string to number)."),
]}
KINDS = {"resource": ("resources", "SCH001", "resource type"), "data": ("data_sources", "SCH008", "data source"),
         "ephemeral": ("ephemeral_resources", "SCH001", "ephemeral resource type")}
META_ATTRS = {"count", "for_each", "depends_on", "provider"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}


class _Checker:
    def __init__(self, bp: Blueprint, module: Module, findings: list[Finding]):
        self.bp, self.module, self.findings = bp, module, findings
        self.sources = _required_providers(bp.root) | _required_providers(module)
        self.reported: set[str] = set()

    def add(self, rule: str, msg: str, block: Block, line: int, addr: str, severity: str = ERROR) -> None:
        self.findings.append(Finding(NAME, rule, severity, msg, self.bp.display(block.file), line, addr))

    def snapshot(self, local_name: str, block: Block, addr: str) -> dict | None:
        provider = self.sources.get(local_name, {}).get("type", local_name)
        snap = schemas.load(provider)
        if snap is None and provider not in self.reported:
            self.reported.add(provider)
            self.add("SCH010", f"no schema snapshot for provider {provider!r}; its types are not checked",
                     block, block.line, addr, INFO)
        pinned = self.sources.get(local_name, {}).get("major")
        if snap and pinned is not None and pinned != int(snap["version"].split(".")[0]) \
                and f"major:{provider}" not in self.reported:
            self.reported.add(f"major:{provider}")
            self.add("SCH011", f"provider {provider} is pinned to major {pinned} but the snapshot holds "
                               f"{snap['version']}", block, block.line, addr, WARNING)
        return snap

    def check_top(self, block: Block) -> None:
        addr = address(block)
        if block.type == "provider" and block.labels:
            snap = self.snapshot(block.labels[0], block, addr)
            if snap:
                self.check_body(block, snap["provider_config"], addr, META_ATTRS | {"alias", "version"}, set())
            return
        if block.type not in KINDS or len(block.labels) != 2:
            return
        section, rule, noun = KINDS[block.type]
        type_name = block.labels[0]
        snap = self.snapshot(provider_of(block), block, addr)
        if snap is None:
            return
        schema = snap[section].get(type_name)
        if schema is None:
            self.add(rule, f"unknown {noun} {type_name!r} in provider {snap['provider']} {snap['version']}"
                           f"{_hint(type_name, snap[section])}", block, block.line, addr)
            return
        self.check_body(block, schema, addr, META_ATTRS, META_BLOCKS)

    def check_body(self, block: Block, schema: dict, addr: str, meta_attrs: set, meta_blocks: set) -> None:
        if schema.get("any"):
            return  # the snapshot does not know this block's contents
        attrs, blocks, types = schema["a"], schema["b"], schema.get("t", {})
        for name, attr in block.attributes.items():
            if name in meta_attrs:
                continue
            flags = attrs.get(name)
            if flags and flags != "c" and attr.value is not None and name in types:
                problem = type_mismatch(attr.value, types[name])
                if problem:
                    self.add("SCH013", f"{name!r}: {problem}", block, attr.line, addr)
            if flags == "c":
                self.add("SCH003", f"{name!r} is read-only (computed by the provider)", block, attr.line, addr)
            elif flags is None and name in blocks:
                self.add("SCH009", f"{name!r} is a block: write `{name} {{ ... }}`", block, attr.line, addr)
            elif flags is None:
                self.add("SCH002", f"unknown argument {name!r}{_hint(name, _settable(attrs))}",
                         block, attr.line, addr)
        counts: dict[str, int] = {}
        dynamic: set[str] = set()
        for child in block.blocks:
            if child.type in meta_blocks:
                continue
            name = child.labels[0] if child.type == "dynamic" and child.labels else child.type
            if name not in blocks:
                if name in attrs:
                    self.add("SCH009", f"{name!r} is an argument: write `{name} = ...`", child, child.line, addr)
                else:
                    self.add("SCH005", f"unknown block {name!r}{_hint(name, blocks)}", child, child.line, addr)
                continue
            sub = blocks[name][0]
            if child.type == "dynamic":
                dynamic.add(name)
                for content in child.children("content"):
                    self.check_body(content, sub, addr, set(), set())
            else:
                counts[name] = counts.get(name, 0) + 1
                self.check_body(child, sub, addr, set(), set())
        for name, flags in attrs.items():
            if "r" in flags and name not in block.attributes:
                self.add("SCH004", f"missing required argument {name!r}", block, block.line, addr)
        for name, (_, min_items, max_items, *_) in blocks.items():
            if min_items and not counts.get(name) and name not in dynamic:
                self.add("SCH006", f"missing required block {name!r}", block, block.line, addr)
            if max_items and counts.get(name, 0) > max_items:
                self.add("SCH007", f"block {name!r} appears {counts[name]} times (at most {max_items})",
                         block, block.line, addr)


def provider_of(block: Block) -> str:
    """Provider local name: the ``provider`` meta-argument if set, else the type's prefix."""
    attr = block.attributes.get("provider")
    if attr is not None and attr.refs:
        return attr.refs[0].parts[0]
    return block.labels[0].split("_", 1)[0]


def _required_providers(module: Module) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for tf in module.top("terraform"):
        for req in tf.children("required_providers"):
            for local, attr in req.attributes.items():
                value = attr.value if isinstance(attr.value, dict) else {}
                entry: dict = {"type": str(value.get("source", local)).rsplit("/", 1)[-1]}
                major = re.search(r"(\d+)", str(value.get("version", "")))
                if major:
                    entry["major"] = int(major.group(1))
                out[local] = entry
    return out


def _settable(attrs: dict) -> list[str]:
    return [n for n, f in attrs.items() if f != "c"]


def _hint(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_attribute_refs(bp: Blueprint, module: Module, checker: _Checker) -> None:
    """Warn on ``TYPE.NAME.ATTR`` and ``data.TYPE.NAME.ATTR`` whose ATTR is not in the schema."""
    types = {("resources", *b.labels): b for b in module.top("resource") if len(b.labels) == 2}
    types.update({("data_sources", *b.labels): b for b in module.top("data") if len(b.labels) == 2})
    for block in module.blocks:
        stack = [block]
        while stack:
            current = stack.pop()
            stack.extend(current.blocks)
            for attr in current.attributes.values():
                _attr_refs(attr.refs, current, types, checker, address(block))


def _attr_refs(refs, block: Block, types: dict, checker: _Checker, addr: str) -> None:
    for ref in refs:
        if ref.parts[0] == "data":
            key, rest = ("data_sources", *ref.parts[1:3]), ref.parts[3:]
        else:
            key, rest = ("resources", *ref.parts[:2]), ref.parts[2:]
        target = types.get(key)
        if target is None or not rest:
            continue
        local = provider_of(target)
        snap = schemas.load(checker.sources.get(local, {}).get("type", local))
        schema = snap and snap[key[0]].get(target.labels[0])
        if not schema or schema.get("any"):
            continue
        if rest[0] not in schema["a"] and rest[0] not in schema["b"]:
            checker.add("SCH012", f"{target.labels[0]} does not export an attribute {rest[0]!r}"
                                  f"{_hint(rest[0], [*schema['a'], *schema['b']])}", block, ref.line, addr)


_TYPE_NAMES = {"string": "a string", "number": "a number", "bool": "a bool", "list": "a list", "set": "a set",
               "map": "a map", "object": "an object", "tuple": "a tuple"}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _type_name(ty: object) -> str:
    if isinstance(ty, str):
        return _TYPE_NAMES.get(ty, ty)
    if not isinstance(ty, list):  # JSON type notation: a name, or [kind, element type]
        return str(ty)
    if ty[0] in ("list", "set", "map"):
        return f"{_TYPE_NAMES[ty[0]]} of {_type_name(ty[1]).split(' ', 1)[1]}"
    return _TYPE_NAMES.get(ty[0], str(ty[0]))


def type_mismatch(value: object, ty: object) -> str | None:
    """Why a literal ``value`` cannot convert to the Terraform type ``ty`` (JSON type notation), or None.

    Terraform's safe conversions are allowed: number and bool to string, a numeric string to number,
    "true"/"false" to bool, a tuple to a list or set, an object to a map or object."""
    if value is None or ty == "dynamic":
        return None
    want = f"expected {_type_name(ty)}, got {_describe(value)}"
    if ty == "string":
        return want if isinstance(value, (list, dict)) else None
    if ty == "number":
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            return want
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return f"expected a number, got the string {value!r}"
        return None
    if ty == "bool":
        if isinstance(value, bool) or value in ("true", "false"):
            return None
        return want
    if not isinstance(ty, list) or len(ty) != 2:
        return None
    kind, inner = ty
    if kind in ("list", "set"):
        if not isinstance(value, list):
            return want
        for i, item in enumerate(value):
            problem = type_mismatch(item, inner)
            if problem:
                return f"element {i}: {problem}"
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return want
        for key, item in value.items():
            problem = type_mismatch(item, inner)
            if problem:
                return f"key {key!r}: {problem}"
        return None
    if kind == "object":
        if not isinstance(value, dict):
            return want
        for key, item in value.items():
            if key in inner:
                problem = type_mismatch(item, inner[key])
                if problem:
                    return f"attribute {key!r}: {problem}"
        return None
    return None


def run(blueprints: list[Blueprint], context: object = None) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    for bp in blueprints:
        for module in bp.modules.values():
            if module.errors:
                continue
            checker = _Checker(bp, module, result.findings)
            for block in module.blocks:
                checker.check_top(block)
            check_attribute_refs(bp, module, checker)
    return result
