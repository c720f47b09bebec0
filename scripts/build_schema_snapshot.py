#!/usr/bin/env python3
"""Dev-only: build the provider schema snapshots shipped in dsaas_infra/schemas/ (format 2, see docs/schemas.md).

Two input kinds are understood:

* a cdktn-provider-* wheel (``.whl``) or the ``.jsii.tgz`` assembly inside it. The jsii assembly says which
  classes are resources, data sources and ephemeral resources, their config structs and which properties are
  nested blocks (and whether a block is a single struct, so at most one); the JavaScript shipped in the same
  tarball says, for every attribute and block, its exact Terraform name, ``computed/optional/required`` flags
  (a comment above each getter), its value type (``storageClassType``) and whether a collection is a list or
  a set (``synthesizeHclAttributes`` / ``*ToHclTerraform``), and the types of computed-only attributes (the
  getter: ``getStringAttribute``, ``Fn.tolist(getListAttribute)`` = a set, ``new XList(this, n, wrapsSet)``);
* the JSON printed by ``terraform providers schema -json`` (exact by construction).

Output: ``<out>/<provider>.json.gz`` holding ``{"format": 2, "provider", "source", "version", "origin",
"provider_config", "resources", "data_sources", "ephemeral_resources"}`` where each schema is::

    {"a": {attr: flags}, "t": {attr: cty type}, "b": {block: [schema, min_items, max_items, nesting]}}

flags: ``r`` required, ``o`` optional, ``oc`` optional+computed, ``c`` computed only; the type is Terraform's
JSON type notation (``"string"``, ``["list", "string"]``, ``["object", {...}]``, ``"dynamic"`` when the
source does not say); nesting is ``list``, ``set`` or ``single``. A block schema with ``"any": true`` has
contents that are not known (checked by nobody).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

FORMAT = 2
_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/([\w-]+)/([\w-]+)/([^/]+)/docs"
    r"(?:/(resources|data-sources|ephemeral-resources)/\w+)?(?:#(\w+))?\s+([\w#-]+)\}"
)
_KINDS = {
    "cdktn.TerraformResource": "resources",
    "cdktn.TerraformDataSource": "data_sources",
    "cdktn.TerraformEphemeralResource": "ephemeral_resources",
    "cdktn.TerraformProvider": "provider_config",
}
# Blocks that cdktn types as "any" (recursion it does not unroll), and where the same block is spelled out
_ANY_BLOCKS = {("aws_wafv2_web_acl", "statement"): ("aws_wafv2_web_acl_rule", "statement"),
               ("aws_wafv2_rule_group", "statement"): ("aws_wafv2_web_acl_rule", "statement")}

# ------------------------------------------------------------------------------- JavaScript


_CLASS = re.compile(r"^class (\w+) extends [\w.]+ \{\n(.*?)^exports\.\1 = \1;", re.M | re.S)
_FUNC = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}", re.M | re.S)
_HCL_ATTR = re.compile(r"^\s+(\w+): \{\n\s+value: [^\n]*\n\s+isBlock: (true|false),\n\s+type: \"(\w+)\",\n"
                       r"\s+storageClassType: \"(\w+)\",", re.M)
_FLAGS = re.compile(r"^\s+// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$", re.M)
_GETTERS = [
    (re.compile(r"cdktn\.Fn\.tolist\(this\.getListAttribute\("), ["set", "string"]),
    (re.compile(r"cdktn\.Fn\.tolist\(this\.getNumberListAttribute\("), ["set", "number"]),
    (re.compile(r"this\.getStringAttribute\("), "string"),
    (re.compile(r"this\.getNumberAttribute\("), "number"),
    (re.compile(r"this\.getBooleanAttribute\("), "bool"),
    (re.compile(r"this\.getListAttribute\("), ["list", "string"]),
    (re.compile(r"this\.getNumberListAttribute\("), ["list", "number"]),
    (re.compile(r"this\.getStringMapAttribute\(|new cdktn\.StringMap\(this"), ["map", "string"]),
    (re.compile(r"this\.getNumberMapAttribute\(|new cdktn\.NumberMap\(this"), ["map", "number"]),
    (re.compile(r"this\.getBooleanMapAttribute\(|new cdktn\.BooleanMap\(this"), ["map", "bool"]),
]
_NEW_COMPLEX = re.compile(r"new (?:\w+\.)?(\w+?)(List|OutputReference|Map)\(this, \"\w+\"(?:, (true|false))?\)")
_PRIM = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}


class JsIndex:
    """What the JavaScript of one cdktn module directory says: per struct, HCL attrs; per class, flags+getters."""

    def __init__(self) -> None:
        self.hcl: dict[str, dict[str, tuple[bool, str, str]]] = {}  # struct -> name -> (is_block, kind, sct)
        self.flags: dict[str, dict[str, str]] = {}  # class -> name -> flags
        self.getters: dict[str, dict[str, object]] = {}  # class -> name -> type or ("struct", S, kind)
        self.main_hcl: dict[str, dict[str, tuple[bool, str, str]]] = {}  # main class -> attrs

    def add(self, text: str) -> None:
        for m in _FUNC.finditer(text):
            name = m.group(1)[0].upper() + m.group(1)[1:]
            self.hcl[name] = {a: (b == "true", k, s) for a, b, k, s in _HCL_ATTR.findall(m.group(2))}
        for m in _CLASS.finditer(text):
            cls, body = m.group(1), m.group(2)
            synth = body.find("synthesizeHclAttributes()")
            if synth >= 0:
                self.main_hcl[cls] = {a: (b == "true", k, s) for a, b, k, s in _HCL_ATTR.findall(body[synth:])}
            marks = list(_FLAGS.finditer(body))
            flags, getters = {}, {}
            for i, mark in enumerate(marks):
                name, c, o, r = mark.groups()
                flags[name] = ("r" if r == "true" else "") + ("o" if o == "true" else "") + \
                              ("c" if c == "true" else "")
                end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
                getters[name] = _getter_type(body[mark.end():end])
            if flags:
                self.flags[cls], self.getters[cls] = flags, getters


def _getter_type(section: str) -> object:
    found = []
    for pattern, ty in _GETTERS:
        hit = pattern.search(section)
        if hit:
            found.append((hit.start(), ty))
    hit = _NEW_COMPLEX.search(section)
    if hit:
        struct, kind, wraps_set = hit.groups()
        complex_ty = ("struct", struct, {"List": "set" if wraps_set == "true" else "list",
                                         "OutputReference": "single", "Map": "map"}[kind])
        found.append((hit.start(), complex_ty))
    if not found:
        return "dynamic"
    return min(found, key=lambda x: x[0])[1]


def _hcl_type(kind: str, sct: str) -> object:
    """Type from synthesizeHclAttributes' (type, storageClassType) of a non-block attribute."""
    m = re.fullmatch(r"(string|number|boolean|any)((?:List|Map)*)", sct)
    if not m:
        return "dynamic"  # a nested object attribute: its shape is not checked
    ty: object = _PRIM[m.group(1)]
    wrappers = re.findall(r"List|Map", m.group(2))
    for i, w in enumerate(wrappers):
        outer = i == len(wrappers) - 1
        if outer and kind in ("list", "set", "map"):
            ty = [kind, ty]
        else:
            ty = ["list" if w == "List" else "map", ty]
    return ty


# ------------------------------------------------------------------------------------ jsii


def read_package(path: Path) -> tuple[dict, dict[str, str]]:
    """(assembly, {lib path: JavaScript text}) from a wheel, a .jsii.tgz or a plain .jsii file."""
    data = path.read_bytes()
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
            data = zf.read(name)
            path = Path(name)
    if not path.name.endswith(".tgz"):
        return json.loads(data), {}
    js: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        assembly = None
        for member in tf:
            if member.name == "package/.jsii":
                assembly = json.loads(tf.extractfile(member).read())
            elif member.name.startswith("package/lib/") and member.name.endswith(".js"):
                js[member.name.removeprefix("package/")] = tf.extractfile(member).read().decode()
    assert assembly is not None
    return assembly, js


def read_assembly(path: Path) -> dict:
    return read_package(path)[0]


def _doc_text(prop: dict) -> str:
    docs = prop.get("docs", {})
    return f"{docs.get('summary', '')} {docs.get('remarks', '')}"


def _struct_of(ty: dict, types: dict) -> tuple[str | None, bool]:
    """(struct fqn, is_collection) when the type is a struct or a collection of structs."""
    if "fqn" in ty:
        target = types.get(ty["fqn"])
        return (ty["fqn"], False) if target and target.get("datatype") else (None, False)
    if "collection" in ty:
        fqn, _ = _struct_of(ty["collection"]["elementtype"], types)
        return fqn, True
    if "union" in ty:
        for member in ty["union"]["types"]:
            fqn, coll = _struct_of(member, types)
            if fqn:
                return fqn, coll
    return None, False


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


class Builder:
    def __init__(self, assembly: dict, js: dict[str, str]):
        self.types = assembly["types"]
        self.js = js
        self.indexes: dict[str, JsIndex] = {}

    def index_for(self, fqn: str) -> JsIndex:
        src = self.types[fqn].get("locationInModule", {}).get("filename", "")
        directory = "lib/" + src.removeprefix("src/").rsplit("/", 1)[0] + "/" if "/" in src.removeprefix(
            "src/") else "lib/"
        if directory not in self.indexes:
            index = JsIndex()
            for name, text in self.js.items():
                if name.startswith(directory) and (directory != "lib/" or name.count("/") == 1):
                    index.add(text)
            self.indexes[directory] = index
        return self.indexes[directory]

    def struct(self, fqn: str, index: JsIndex, hcl: dict | None, cls: str, seen: tuple[str, ...] = ()) -> dict:
        """Schema of a config struct; ``hcl``/``cls`` name where the JavaScript describes it."""
        attrs: dict[str, str] = {}
        types: dict[str, object] = {}
        blocks: dict[str, list] = {}
        short = fqn.rsplit(".", 1)[-1]
        hcl = hcl if hcl is not None else index.hcl.get(short, {})
        flags = index.flags.get(cls, {})
        getters = index.getters.get(cls, {})
        for prop in self.types[fqn].get("properties", []):
            text = _doc_text(prop)
            anchor = _LINK.search(text)
            name = anchor.group(5) if anchor and anchor.group(5) else _snake(prop["name"])
            if name not in hcl and name.replace("_", "") in {n.replace("_", "") for n in hcl}:
                name = next(n for n in hcl if n.replace("_", "") == name.replace("_", ""))
            required = not prop.get("optional", False)
            struct, is_list = _struct_of(prop["type"], self.types)
            is_block, kind, sct = hcl.get(name, (None, "simple", "any"))
            documented_block = bool(re.search(r"\b" + re.escape(name) + r" block\.", text))
            if is_block is None:
                is_block = bool(struct) and documented_block
            if is_block and struct and struct not in seen:
                sub_short = struct.rsplit(".", 1)[-1]
                schema = self.struct(struct, index, None, sub_short + "OutputReference", seen + (fqn,))
                nesting = {"set": "set", "struct": "single"}.get(kind, "list")
                max_items = 1 if nesting == "single" or not is_list else None
                blocks[name] = [schema, 1 if required and nesting != "single" else 0, max_items, nesting]
            elif documented_block and prop["type"].get("primitive") == "any":
                blocks[name] = [{"a": {}, "t": {}, "b": {}, "any": True}, 1 if required else 0, None, "list"]
            else:
                attrs[name] = flags.get(name) or ("r" if required else "o")
                types[name] = _hcl_type(kind, sct) if name in hcl else "dynamic"
        for name, flag in flags.items():  # computed-only attributes: getters without a config property
            if flag == "c" and name not in attrs and name not in blocks:
                attrs[name] = "c"
                types[name] = self.getter_type(index, getters.get(name, "dynamic"), seen)
        return {"a": attrs, "t": types, "b": blocks}

    def getter_type(self, index: JsIndex, ty: object, seen: tuple[str, ...]) -> object:
        if not (isinstance(ty, tuple) and ty[0] == "struct"):
            return ty
        _, struct, kind = ty
        cls = struct + "OutputReference"
        if cls not in index.getters or struct in seen or len(seen) > 8:
            return "dynamic"
        fields = {n: self.getter_type(index, g, seen + (struct,)) for n, g in index.getters[cls].items()}
        obj = ["object", dict(sorted(fields.items()))]
        return obj if kind == "single" else [kind, obj]

    def build(self, origin: str) -> dict:
        out: dict = {"format": FORMAT, "origin": origin, "provider_config": {"a": {}, "t": {}, "b": {}},
                     "resources": {}, "data_sources": {}, "ephemeral_resources": {}}
        for fqn, cls in self.types.items():
            kind = _KINDS.get(cls.get("base", ""))
            if not kind or cls.get("kind") != "class":
                continue
            link = _LINK.search(cls.get("docs", {}).get("summary", ""))
            if not link:
                continue
            namespace, provider, version, _, _, type_name = link.groups()
            config = cls["initializer"]["parameters"][-1]["type"]["fqn"]
            index = self.index_for(fqn)
            schema = self.struct(config, index, index.main_hcl.get(cls["name"], {}), cls["name"])
            if kind == "provider_config":
                for meta in ("alias",):
                    schema["a"].pop(meta, None)  # a meta-argument, allowed everywhere
                    schema["t"].pop(meta, None)
                out.update(provider=provider, version=version,
                           source=f"registry.terraform.io/{namespace}/{provider}")
                out[kind] = schema
                continue
            out[kind][type_name] = schema
        for (type_name, block), (donor, donor_block) in _ANY_BLOCKS.items():
            _replace_any(out["resources"].get(type_name), block, out["resources"].get(donor, {}).get("b", {})
                         .get(donor_block))
        return out


def _unroll_statement(donor: list) -> list:
    """The donor's ``statement`` block with the statements nested in and/or/not spelled out one level down
    (cdktn types those as "any"; the provider allows a few levels, the blueprints use none)."""
    inner = json.loads(json.dumps(donor))
    for combinator in ("and_statement", "or_statement", "not_statement"):
        inner[0]["b"].pop(combinator, None)
    outer = json.loads(json.dumps(donor))
    for combinator in ("and_statement", "or_statement", "not_statement"):
        entry = outer[0]["b"].get(combinator)
        if entry and entry[0]["t"].get("statement") == "dynamic":
            del entry[0]["a"]["statement"], entry[0]["t"]["statement"]
            entry[0]["b"]["statement"] = [inner[0], 1, None, "list"]
    return outer


def _replace_any(schema: dict | None, block: str, donor: list | None) -> None:
    """Swap every ``"any"`` block named ``block`` inside ``schema`` for the donor's spelled-out block."""
    if not schema or not donor:
        return
    donor = _unroll_statement(donor) if block == "statement" else donor
    for name, entry in schema["b"].items():
        if name == block and entry[0].get("any"):
            entry[0] = donor[0]
            entry[3] = donor[3]
        else:
            _replace_any(entry[0], block, donor)


def from_jsii(assembly: dict, origin: str, js: dict[str, str] | None = None) -> dict:
    return Builder(assembly, js or {}).build(origin)


# --------------------------------------------------------------------- terraform json


def _tf_block(block: dict) -> dict:
    attrs, types = {}, {}
    for name, attr in block.get("attributes", {}).items():
        flags = ("r" if attr.get("required") else "") + ("o" if attr.get("optional") else "")
        attrs[name] = flags + ("c" if attr.get("computed") else "")
        types[name] = attr.get("type", "dynamic")
    blocks = {}
    for name, bt in block.get("block_types", {}).items():
        mode = bt.get("nesting_mode", "list")
        max_items = bt.get("max_items") or (1 if mode == "single" else None)
        blocks[name] = [_tf_block(bt.get("block", {})), bt.get("min_items", 0), max_items,
                        mode if mode in ("list", "set", "single") else "list"]
    return {"a": attrs, "t": types, "b": blocks}


def from_terraform_json(doc: dict, origin: str, version: str) -> list[dict]:
    snapshots = []
    for source, schemas in doc.get("provider_schemas", {}).items():
        snapshots.append({
            "format": FORMAT, "origin": origin, "provider": source.rsplit("/", 1)[-1],
            "source": source, "version": version,
            "provider_config": _tf_block(schemas.get("provider", {}).get("block", {})),
            "resources": {k: _tf_block(v["block"]) for k, v in schemas.get("resource_schemas", {}).items()},
            "data_sources": {k: _tf_block(v["block"]) for k, v in schemas.get("data_source_schemas", {}).items()},
            "ephemeral_resources": {k: _tf_block(v["block"])
                                    for k, v in schemas.get("ephemeral_resource_schemas", {}).items()},
        })
    return snapshots


# ----------------------------------------------------------------------------- main


def write_snapshot(snapshot: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{snapshot['provider']}.json.gz"
    payload = json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()
    # mtime=0 keeps the file byte-identical across regenerations of the same input
    with gzip.GzipFile(filename="", mode="wb", fileobj=target.open("wb"), mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path,
                        help="cdktn-provider-*.whl, .jsii(.tgz), or `terraform providers schema -json` output")
    parser.add_argument("--out", type=Path, default=Path("dsaas_infra/schemas"))
    parser.add_argument("--tf-version", default="unknown",
                        help="provider version recorded for terraform-json input (it does not say)")
    args = parser.parse_args(argv)
    for path in args.inputs:
        if path.suffix == ".json" and not path.name.endswith(".jsii"):
            snapshots = from_terraform_json(json.loads(path.read_text()), path.name, args.tf_version)
        else:
            assembly, js = read_package(path)
            snapshots = [from_jsii(assembly, f"{assembly['name']}@{assembly['version']} (jsii)", js)]
        for snap in snapshots:
            target = write_snapshot(snap, args.out)
            print(f"{target}: {snap['provider']} {snap['version']}: {len(snap['resources'])} resources, "
                  f"{len(snap['data_sources'])} data sources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
