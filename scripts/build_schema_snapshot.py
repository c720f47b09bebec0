#!/usr/bin/env python3
"""Dev-only: build the compact provider schema snapshots shipped in dsaas_infra/schemas/.

Two input kinds are understood:

* a cdktn-provider-* wheel (``.whl``) or the ``.jsii`` / ``.jsii.tgz`` assembly inside it: every
  resource's config struct lists its arguments; the Terraform name is the docs-link anchor,
  a property without ``optional`` is required, and a struct-typed property documented as
  "... block." is a nested block;
* the JSON printed by ``terraform providers schema -json`` (one snapshot per provider in it).

Output: ``<out>/<provider>.json.gz`` holding ``{"format": 1, "provider", "source", "version",
"origin", "provider_config", "resources", "data_sources", "ephemeral_resources"}`` where each
schema is ``{"a": {attr: flags}, "b": {block: [schema, min_items, max_items]}}`` and flags is
a string of ``r`` (required), ``o`` (optional), ``c`` (computed); a block schema with ``"any": true``
has contents that are not checked (cdktn leaves very deep nesting untyped). See docs/schemas.md.
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

FORMAT = 1
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


# --------------------------------------------------------------------------- jsii


def read_assembly(path: Path) -> dict:
    """Return the parsed .jsii assembly from a wheel, a .jsii.tgz or a plain .jsii file."""
    data = path.read_bytes()
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
            data = zf.read(name)
            path = Path(name)
    if path.name.endswith(".tgz"):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
            member = tf.extractfile("package/.jsii")
            assert member is not None
            data = member.read()
    return json.loads(data)


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


def _jsii_struct(fqn: str, types: dict, seen: tuple[str, ...] = ()) -> dict:
    attrs: dict[str, str] = {}
    blocks: dict[str, list] = {}
    for prop in types[fqn].get("properties", []):
        text = _doc_text(prop)
        anchor = _LINK.search(text)
        name = anchor.group(5) if anchor and anchor.group(5) else _snake(prop["name"])
        required = not prop.get("optional", False)
        struct, is_list = _struct_of(prop["type"], types)
        is_block = bool(struct) and re.search(r"\b" + re.escape(name) + r" block\.", text)
        if is_block and struct not in seen:
            schema = _jsii_struct(struct, types, seen + (fqn,))
            blocks[name] = [schema, 1 if required else 0, None if is_list else 1]
        elif re.search(r"\b" + re.escape(name) + r" block\.", text) and prop["type"].get("primitive") == "any":
            # cdktn stops typing very deep nesting (wafv2 statements): a block whose contents go unchecked
            blocks[name] = [{"a": {}, "b": {}, "any": True}, 1 if required else 0, None]
        else:
            attrs[name] = "r" if required else "o"
    return {"a": attrs, "b": blocks}


def _computed_attrs(cls: dict, known: dict) -> dict[str, str]:
    """Getters with no matching ``<name>Input`` and not in the config are computed-only."""
    props = {p["name"] for p in cls.get("properties", []) if not p.get("static")}
    computed = {}
    for name in sorted(props):
        if name.endswith("Input") or f"{name}Input" in props:
            continue
        snake = _snake(name)
        if snake not in known["a"] and snake not in known["b"]:
            computed[snake] = "c"
    return computed


def from_jsii(assembly: dict, origin: str) -> dict:
    types = assembly["types"]
    out: dict = {"format": FORMAT, "origin": origin, "provider_config": {"a": {}, "b": {}},
                 "resources": {}, "data_sources": {}, "ephemeral_resources": {}}
    for cls in types.values():
        kind = _KINDS.get(cls.get("base", ""))
        if not kind or cls.get("kind") != "class":
            continue
        link = _LINK.search(cls.get("docs", {}).get("summary", ""))
        if not link:
            continue
        namespace, provider, version, _, _, type_name = link.groups()
        config = cls["initializer"]["parameters"][-1]["type"]["fqn"]
        schema = _jsii_struct(config, types)
        if kind == "provider_config":
            schema["a"].pop("alias", None)  # a meta-argument, allowed everywhere
            out.update(provider=provider, version=version,
                       source=f"registry.terraform.io/{namespace}/{provider}")
            out[kind] = schema
            continue
        schema["a"].update(_computed_attrs(cls, schema))
        out[kind][type_name] = schema
    return out


# --------------------------------------------------------------------- terraform json


def _tf_block(block: dict) -> dict:
    attrs = {}
    for name, attr in block.get("attributes", {}).items():
        flags = ("r" if attr.get("required") else "") + ("o" if attr.get("optional") else "")
        attrs[name] = flags + ("c" if attr.get("computed") else "")
    blocks = {}
    for name, bt in block.get("block_types", {}).items():
        max_items = bt.get("max_items") or (1 if bt.get("nesting_mode") == "single" else None)
        blocks[name] = [_tf_block(bt.get("block", {})), bt.get("min_items", 0), max_items]
    return {"a": attrs, "b": blocks}


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
            assembly = read_assembly(path)
            snapshots = [from_jsii(assembly, f"{assembly['name']}@{assembly['version']} (jsii)")]
        for snap in snapshots:
            target = write_snapshot(snap, args.out)
            print(f"{target}: {snap['provider']} {snap['version']}: {len(snap['resources'])} resources, "
                  f"{len(snap['data_sources'])} data sources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
