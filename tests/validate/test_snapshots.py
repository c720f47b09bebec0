"""Shipped schema snapshots load via importlib.resources; the generator reads jsii and terraform JSON."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import tarfile
from pathlib import Path

from dsaas_infra import schemas

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("build_schema_snapshot", REPO / "scripts/build_schema_snapshot.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_shipped_snapshots_and_pinned_majors() -> None:
    assert {"aws", "google", "google-beta", "archive", "null", "random", "time", "tls"} <= set(schemas.available())
    aws, google = schemas.load("aws"), schemas.load("google")
    assert aws["version"].startswith("6.") and google["version"].startswith("7.")
    assert google["source"] == "registry.terraform.io/hashicorp/google"
    bucket = aws["resources"]["aws_s3_bucket"]
    assert bucket["a"]["bucket"] == "o" and bucket["a"]["arn"] == "c"
    sse = aws["resources"]["aws_s3_bucket_server_side_encryption_configuration"]
    assert sse["a"]["bucket"] == "r" and sse["b"]["rule"][1:] == [1, None]
    assert "aws_iam_policy_document" in aws["data_sources"]
    assert "default_tags" in aws["provider_config"]["b"]
    assert schemas.load("nope") is None


def _assembly() -> dict:
    link = "{@link https://registry.terraform.io/providers/hashicorp/demo/1.2.3/docs"
    prop = lambda name, anchor, ty, optional=True, extra="": {  # noqa: E731
        "name": name, "type": ty, **({"optional": True} if optional else {}),
        "docs": {"summary": f"{extra}Docs at Terraform Registry: {link}/resources/thing#{anchor} Thing#{anchor}}}."}}
    return {"name": "@cdktn/provider-demo", "version": "9.0.0", "types": {
        "demo.provider.DemoProvider": {
            "kind": "class", "base": "cdktn.TerraformProvider", "docs": {"summary": f"Represents a {link} demo}}."},
            "initializer": {"parameters": [{"name": "config", "type": {"fqn": "demo.provider.DemoProviderConfig"}}]}},
        "demo.provider.DemoProviderConfig": {"kind": "interface", "datatype": True, "properties": [
            prop("region", "region", {"primitive": "string"}), prop("alias", "alias", {"primitive": "string"})]},
        "demo.thing.Thing": {
            "kind": "class", "base": "cdktn.TerraformResource",
            "docs": {"summary": f"Represents a {link}/resources/thing demo_thing}}."},
            "initializer": {"parameters": [{"name": "config", "type": {"fqn": "demo.thing.ThingConfig"}}]},
            "properties": [{"name": "arn"}, {"name": "nameInput"}, {"name": "name"}, {"name": "tfResourceType",
                                                                                     "static": True}]},
        "demo.thing.ThingConfig": {"kind": "interface", "datatype": True, "properties": [
            prop("name", "name", {"primitive": "string"}, optional=False),
            prop("rule", "rule", {"union": {"types": [{"fqn": "cdktn.IResolvable"}, {"collection": {
                "elementtype": {"fqn": "demo.thing.ThingRule"}, "kind": "array"}}]}}, optional=False,
                extra="rule block. "),
            prop("settings", "settings", {"fqn": "demo.thing.ThingRule"}),
            prop("deep", "deep", {"primitive": "any"}, extra="deep block. ")]},
        "demo.thing.ThingRule": {"kind": "interface", "datatype": True, "properties": [
            prop("ipv6CidrBlock", "ipv6_cidr_block", {"primitive": "string"})]},
    }}


def test_from_jsii(tmp_path: Path) -> None:
    snap = build.from_jsii(_assembly(), "demo (jsii)")
    assert (snap["provider"], snap["version"], snap["source"]) == ("demo", "1.2.3", "registry.terraform.io/hashicorp/demo")
    assert snap["provider_config"] == {"a": {"region": "o"}, "b": {}}
    thing = snap["resources"]["demo_thing"]
    assert thing["a"] == {"name": "r", "settings": "o", "arn": "c"}  # settings is an object attribute, not a block
    assert thing["b"]["rule"] == [{"a": {"ipv6_cidr_block": "o"}, "b": {}}, 1, None]
    assert thing["b"]["deep"] == [{"a": {}, "b": {}, "any": True}, 0, None]


def test_read_assembly_from_a_jsii_tgz_and_write_is_deterministic(tmp_path: Path) -> None:
    data = json.dumps(_assembly()).encode()
    tgz = tmp_path / "provider-demo@9.0.0.jsii.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        info = tarfile.TarInfo("package/.jsii")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    assert build.main([str(tgz), "--out", str(tmp_path / "a")]) == 0
    assert build.main([str(tgz), "--out", str(tmp_path / "b")]) == 0
    first, second = (tmp_path / "a/demo.json.gz").read_bytes(), (tmp_path / "b/demo.json.gz").read_bytes()
    assert first == second
    assert json.loads(gzip.decompress(first))["resources"]["demo_thing"]["a"]["name"] == "r"


def test_from_terraform_providers_schema_json(tmp_path: Path) -> None:
    doc = {"format_version": "1.0", "provider_schemas": {"registry.terraform.io/hashicorp/null": {
        "provider": {"version": 0, "block": {}},
        "resource_schemas": {"null_resource": {"version": 0, "block": {
            "attributes": {"id": {"type": "string", "computed": True},
                           "triggers": {"type": ["map", "string"], "optional": True}},
            "block_types": {"timeouts": {"nesting_mode": "single", "block": {
                "attributes": {"create": {"type": "string", "required": True}}}}}}}},
        "data_source_schemas": {}}}}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(doc))
    assert build.main([str(path), "--out", str(tmp_path), "--tf-version", "2.1.2"]) == 0
    snap = json.loads(gzip.decompress((tmp_path / "null.json.gz").read_bytes()))
    assert snap["version"] == "2.1.2"
    assert snap["resources"]["null_resource"] == {
        "a": {"id": "c", "triggers": "o"}, "b": {"timeouts": [{"a": {"create": "r"}, "b": {}}, 0, 1]}}
