"""Shipped schema snapshots load via importlib.resources; the generator reads jsii and terraform JSON."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import tarfile
from pathlib import Path

from dsaas_infra import schemas
from dsaas_infra.render.gcp.build import GOOGLE_PROVIDER_VERSION

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("build_schema_snapshot", REPO / "scripts/build_schema_snapshot.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_shipped_snapshots_and_pinned_majors() -> None:
    assert {"aws", "google", "google-beta", "archive", "null", "random", "time", "tls"} <= set(schemas.available())
    aws, google = schemas.load("aws"), schemas.load("google")
    assert aws["format"] == google["format"] == 2
    assert aws["version"].startswith("6.") and google["version"].startswith("8.")
    # The snapshots hold the major the GCP templates pin, for both google and google-beta.
    pinned_major = GOOGLE_PROVIDER_VERSION.removeprefix("~> ").split(".")[0]
    assert pinned_major == "8"
    for name in ("google", "google-beta"):
        assert schemas.load(name)["version"].split(".")[0] == pinned_major, name
    assert google["source"] == "registry.terraform.io/hashicorp/google"
    bucket = aws["resources"]["aws_s3_bucket"]
    assert bucket["a"]["bucket"] == "oc" and bucket["a"]["arn"] == "c" and bucket["t"]["force_destroy"] == "bool"
    assert bucket["t"]["tags"] == ["map", "string"]
    sse = aws["resources"]["aws_s3_bucket_server_side_encryption_configuration"]
    assert sse["a"]["bucket"] == "r" and sse["b"]["rule"][1:] == [1, None, "set"]
    zones = aws["data_sources"]["aws_availability_zones"]
    assert (zones["a"]["names"], zones["t"]["names"]) == ("c", ["list", "string"])
    assert zones["t"]["exclude_names"] == ["set", "string"]
    assert aws["resources"]["aws_eks_cluster"]["t"]["identity"] == [
        "list", ["object", {"oidc": ["list", ["object", {"issuer": "string"}]]}]]
    assert aws["resources"]["aws_lambda_function"]["b"]["timeouts"][3] == "single"
    # the jsii "any" statement of a web ACL rule is the spelled-out block of aws_wafv2_web_acl_rule
    statement = aws["resources"]["aws_wafv2_web_acl"]["b"]["rule"][0]["b"]["statement"][0]
    assert "byte_match_statement" in statement["b"] and not statement.get("any")
    assert "aws_iam_policy_document" in aws["data_sources"]
    assert "default_tags" in aws["provider_config"]["b"]
    assert schemas.load("nope") is None


LINK = "{@link https://registry.terraform.io/providers/hashicorp/demo/1.2.3/docs"
# what cdktn generates for a resource demo_thing: flags comments, getters, synthesizeHclAttributes
THING_JS = '''function thingRuleToHclTerraform(struct) {
    const attrs = {
        ipv6_cidr_block: {
            value: cdktn.stringToHclTerraform(struct.ipv6CidrBlock),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
}
class ThingRuleOutputReference extends cdktn.ComplexObject {
    // ipv6_cidr_block - computed: false, optional: true, required: false
    _ipv6CidrBlock;
    get ipv6CidrBlock() {
        return this.getStringAttribute('ipv6_cidr_block');
    }
    // state - computed: true, optional: false, required: false
    get state() {
        return this.getStringAttribute('state');
    }
}
exports.ThingRuleOutputReference = ThingRuleOutputReference;
class Thing extends cdktn.TerraformResource {
    // arn - computed: true, optional: false, required: false
    get arn() {
        return this.getStringAttribute('arn');
    }
    // zones - computed: true, optional: false, required: false
    get zones() {
        return cdktn.Fn.tolist(this.getListAttribute('zones'));
    }
    // name - computed: false, optional: false, required: true
    _name;
    get name() {
        return this.getStringAttribute('name');
    }
    // settings - computed: true, optional: true, required: false
    _settings = new ThingSettingsList(this, "settings", false);
    // rule - computed: false, optional: false, required: true
    _rule = new ThingRuleList(this, "rule", true);
    synthesizeHclAttributes() {
        const attrs = {
            name: {
                value: cdktn.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            settings: {
                value: cdktn.listMapperHcl(thingSettingsToHclTerraform, false)(this._settings.internalValue),
                isBlock: false,
                type: "list",
                storageClassType: "ThingSettingsList",
            },
            rule: {
                value: cdktn.listMapperHcl(thingRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "set",
                storageClassType: "ThingRuleList",
            },
        };
    }
}
exports.Thing = Thing;
'''


def _assembly() -> dict:
    prop = lambda name, anchor, ty, optional=True, extra="": {  # noqa: E731
        "name": name, "type": ty, **({"optional": True} if optional else {}),
        "docs": {"summary": f"{extra}Docs at Terraform Registry: {LINK}/resources/thing#{anchor} Thing#{anchor}}}."}}
    where = {"locationInModule": {"filename": "src/thing/index.ts"}}
    return {"name": "@cdktn/provider-demo", "version": "9.0.0", "types": {
        "demo.provider.DemoProvider": {
            "kind": "class", "name": "DemoProvider", "base": "cdktn.TerraformProvider",
            "docs": {"summary": f"Represents a {LINK} demo}}."},
            "initializer": {"parameters": [{"name": "config", "type": {"fqn": "demo.provider.DemoProviderConfig"}}]}},
        "demo.provider.DemoProviderConfig": {"kind": "interface", "datatype": True, "properties": [
            prop("region", "region", {"primitive": "string"}), prop("alias", "alias", {"primitive": "string"})]},
        "demo.thing.Thing": {
            "kind": "class", "name": "Thing", "base": "cdktn.TerraformResource", **where,
            "docs": {"summary": f"Represents a {LINK}/resources/thing demo_thing}}."},
            "initializer": {"parameters": [{"name": "config", "type": {"fqn": "demo.thing.ThingConfig"}}]}},
        "demo.thing.ThingConfig": {"kind": "interface", "datatype": True, **where, "properties": [
            prop("name", "name", {"primitive": "string"}, optional=False),
            prop("rule", "rule", {"union": {"types": [{"fqn": "cdktn.IResolvable"}, {"collection": {
                "elementtype": {"fqn": "demo.thing.ThingRule"}, "kind": "array"}}]}}, optional=False,
                extra="rule block. "),
            prop("settings", "settings", {"collection": {"elementtype": {"fqn": "demo.thing.ThingRule"},
                                                          "kind": "array"}}),
            prop("deep", "deep", {"primitive": "any"}, extra="deep block. ")]},
        "demo.thing.ThingRule": {"kind": "interface", "datatype": True, **where, "properties": [
            prop("ipv6CidrBlock", "ipv6_cidr_block", {"primitive": "string"})]},
    }}


def test_from_jsii_with_the_javascript(tmp_path: Path) -> None:
    snap = build.from_jsii(_assembly(), "demo (jsii)", {"lib/thing/index.js": THING_JS})
    assert (snap["provider"], snap["version"], snap["source"]) == (
        "demo", "1.2.3", "registry.terraform.io/hashicorp/demo")
    assert snap["format"] == 2
    assert snap["provider_config"] == {"a": {"region": "o"}, "t": {"region": "dynamic"}, "b": {}}
    thing = snap["resources"]["demo_thing"]
    # settings is a nested object attribute, not a block: its shape is not known (dynamic)
    assert thing["a"] == {"name": "r", "settings": "oc", "arn": "c", "zones": "c"}
    assert thing["t"] == {"name": "string", "settings": "dynamic", "arn": "string", "zones": ["set", "string"]}
    assert thing["b"]["rule"] == [{"a": {"ipv6_cidr_block": "o", "state": "c"}, "b": {},
                                   "t": {"ipv6_cidr_block": "string", "state": "string"}}, 1, None, "set"]
    assert thing["b"]["deep"] == [{"a": {}, "t": {}, "b": {}, "any": True}, 0, None, "list"]


def test_read_package_from_a_jsii_tgz_and_write_is_deterministic(tmp_path: Path) -> None:
    tgz = tmp_path / "provider-demo@9.0.0.jsii.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for name, text in (("package/.jsii", json.dumps(_assembly())), ("package/lib/thing/index.js", THING_JS)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert build.main([str(tgz), "--out", str(tmp_path / "a")]) == 0
    assert build.main([str(tgz), "--out", str(tmp_path / "b")]) == 0
    first, second = (tmp_path / "a/demo.json.gz").read_bytes(), (tmp_path / "b/demo.json.gz").read_bytes()
    assert first == second
    assert json.loads(gzip.decompress(first))["resources"]["demo_thing"]["t"]["zones"] == ["set", "string"]


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
        "a": {"id": "c", "triggers": "o"}, "t": {"id": "string", "triggers": ["map", "string"]},
        "b": {"timeouts": [{"a": {"create": "r"}, "t": {"create": "string"}, "b": {}}, 0, 1, "single"]}}
