"""Snapshot schemas (format 2) as tfplugin6 GetProviderSchema messages, cached next to the stub mirror."""

from __future__ import annotations

import json
import re

from tfplugin_proto import tfplugin6_5_pb2 as pb

_NAME = re.compile(r"^[a-z0-9_]+$")
_MODES = {"list": pb.Schema.NestedBlock.LIST, "set": pb.Schema.NestedBlock.SET,
          "single": pb.Schema.NestedBlock.SINGLE}


def block(schema: dict, in_set: bool = False) -> pb.Schema.Block:
    """One schema block; invalid names and attribute/block collisions (jsii oddities) are dropped, and a
    dynamic type inside a set block (which Terraform forbids) becomes a string, so that Terraform's own
    schema validation accepts every block."""
    out = pb.Schema.Block(version=0)
    types = schema.get("t", {})
    blocks = {n: b for n, b in schema.get("b", {}).items() if _NAME.match(n)}
    for name, flags in sorted(schema.get("a", {}).items()):
        if not _NAME.match(name) or name in blocks:
            continue
        required = flags == "r"
        ty = types.get(name, "dynamic")
        if in_set and "dynamic" in json.dumps(ty):
            ty = "string"
        out.attributes.append(pb.Schema.Attribute(
            name=name, type=json.dumps(ty).encode(), required=required,
            optional=not required and "o" in flags, computed=not required and "c" in flags))
    for name, (sub, min_items, max_items, nesting) in sorted(blocks.items()):
        if nesting == "single":
            min_items, max_items = 0, 0
        out.block_types.append(pb.Schema.NestedBlock(
            type_name=name, block=block(sub, in_set or nesting == "set"), nesting=_MODES[nesting],
            min_items=min_items or 0, max_items=max_items or 0))
    return out


def provider_schema(snapshot: dict) -> pb.GetProviderSchema.Response:
    resp = pb.GetProviderSchema.Response(provider=pb.Schema(version=0, block=block(snapshot["provider_config"])))
    for name, schema in snapshot["resources"].items():
        resp.resource_schemas[name].CopyFrom(pb.Schema(version=0, block=block(schema)))
    for name, schema in snapshot["data_sources"].items():
        resp.data_source_schemas[name].CopyFrom(pb.Schema(version=0, block=block(schema)))
    resp.server_capabilities.plan_destroy = True
    return resp
