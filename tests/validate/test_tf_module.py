"""The HCL model: located blocks and attributes, references found in every kind of expression."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from dsaas_infra.validate import hclexpr
from dsaas_infra.validate import tf_module as hcl


def refs(expr: str) -> list[tuple[str, ...]]:
    return [r.parts for r in hcl.parse_expression(expr, 1)]


@pytest.mark.parametrize("expr, expected", [
    ("var.name", [("var", "name")]),
    ('"${local.a}-${var.b}"', [("local", "a"), ("var", "b")]),
    ("aws_s3_bucket.raw.arn", [("aws_s3_bucket", "raw", "arn")]),
    ("aws_s3_bucket.raw[0].arn", [("aws_s3_bucket", "raw")]),
    ("aws_s3_bucket.raw[*].arn", [("aws_s3_bucket", "raw")]),
    ("module.m.out", [("module", "m", "out")]),
    ("data.aws_caller_identity.me.account_id", [("data", "aws_caller_identity", "me", "account_id")]),
    ("jsonencode({ Resource = \"${aws_kms_key.k.arn}/*\" })", [("aws_kms_key", "k", "arn")]),
    ("[for b in var.bs : b.name if b.on]", [("var", "bs")]),
    ("{ for k, v in local.m : k => v.x }", [("local", "m")]),
    ("x[local.i]", [("x",), ("local", "i")]),
    ("{ a = 1, (local.k) = 2 }", [("local", "k")]),
    ('"%{ for u in var.users }${u}%{ endfor }"', [("var", "users")]),
    ("lookup(var.m, \"k\", null)", [("var", "m")]),
    ("var.on ? aws_kms_key.k[0].arn : null", [("var", "on"), ("aws_kms_key", "k")]),
])
def test_references_in_expressions(expr: str, expected: list) -> None:
    assert refs(expr) == expected


def test_heredoc_interpolations_are_references_with_their_own_lines() -> None:
    found = hcl.parse_expression("<<EOT\nline one\n${var.a} and %{ for z in local.zs }${z}%{ endfor }\nEOT\n", 10)
    assert [(r.parts, r.line) for r in found] == [(("var", "a"), 12), (("local", "zs"), 12)]


def test_escaped_templates_in_heredocs_are_not_references() -> None:
    found = hcl.parse_expression("<<EOT\n$${var.literal} %%{ for x in local.no } ${var.real}\nEOT\n", 1)
    assert [r.parts for r in found] == [("var", "real")]


def test_blocks_and_attributes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('locals {\n  a = 1\n}\n\nresource "aws_s3_bucket" "raw" {\n  bucket = local.a\n'
                    '  tags   = { Name = "x" }\n  versioning {\n    enabled = true\n  }\n}\n')
    blocks = hcl.parse_file(path)
    assert [(b.type, b.labels, b.line, b.end_line) for b in blocks] == [
        ("locals", [], 1, 3), ("resource", ["aws_s3_bucket", "raw"], 5, 11)]
    bucket = blocks[1]
    assert bucket.attributes["bucket"].line == 6
    assert bucket.attributes["tags"].is_object and not bucket.attributes["bucket"].is_object
    assert [(c.type, c.line) for c in bucket.blocks] == [("versioning", 8)]
    assert hcl.address(bucket) == "aws_s3_bucket.raw"


def test_literal_values() -> None:
    body = hclexpr.body_of(hcl2.parses_to_tree('a = { source = "hashicorp/aws", version = "~> 6.0" }\nb = "x${1}"\n'))
    attrs = [c for c in body.children if hclexpr.is_rule(c, "attribute")]
    assert hcl.literal(attrs[0].children[-1]) == {"source": "hashicorp/aws", "version": "~> 6.0"}
    assert hcl.literal(attrs[1].children[-1]) is None


def test_parse_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.tf"
    path.write_text('resource "a" "b" {\n  x = = 1\n}\n')
    err = hcl.parse_file(path)
    assert isinstance(err, hcl.ParseError)
    assert (err.line, err.column) == (2, 7)
