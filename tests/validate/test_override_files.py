"""Terraform override files (the client's slot): merged into the blocks they change, as Terraform does."""

from __future__ import annotations

from dsaas_infra.validate import references, syntax
from dsaas_infra.validate.tf_module import parse_module

MAIN = ('locals {\n  a = 1\n}\n\nresource "null_resource" "x" {\n  triggers = {\n    v = local.a\n  }\n'
        '  lifecycle {\n    create_before_destroy = true\n  }\n}\n')


def test_an_override_replaces_attributes_and_nested_blocks_of_its_block(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": MAIN, "main_override.tf": (
        'resource "null_resource" "x" {\n  triggers = {\n    v = local.b\n  }\n  lifecycle {\n'
        '    prevent_destroy = true\n  }\n}\n\nlocals {\n  a = 2\n}\n'),
        "custom.tf": 'locals {\n  b = 3\n}\n'})
    module = parse_module(bp.path)
    [x] = [b for b in module.blocks if b.type == "resource"]
    assert [r.parts for r in x.attributes["triggers"].refs] == [("local", "b")]
    [lifecycle] = x.children("lifecycle")
    assert set(lifecycle.attributes) == {"prevent_destroy"}
    assert [b.attributes["a"].value for b in module.blocks if b.type == "locals" and "a" in b.attributes] == [2]
    assert syntax.run([bp]).findings == []
    assert references.run([bp]).findings == []  # one resource, not a duplicate declaration


def test_an_override_of_nothing_is_located(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": MAIN, "data_override.tf": 'resource "null_resource" "y" {\n}\n'})
    findings = syntax.run([bp]).findings
    assert [(f.rule_id, f.file, f.line) for f in findings] == [("HCL005", "bp/data_override.tf", 1)]
    assert 'resource "null_resource" "y"' in findings[0].message
