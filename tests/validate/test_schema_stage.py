"""Schema stage: types, arguments and blocks against the shipped snapshots, with exact findings."""

from __future__ import annotations

from dsaas_infra.validate import schema

VERSIONS = '''terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
'''


def findings(make_blueprint, main: str, versions: str = VERSIONS) -> list[tuple[str, str, int, str]]:
    result = schema.run([make_blueprint({"main.tf": main, "versions.tf": versions})])
    return [(f.rule_id, f.severity, f.line, f.address) for f in sorted(result.findings, key=lambda f: f.sort_key())]


def test_a_correct_configuration_has_no_findings(make_blueprint) -> None:
    main = '''provider "aws" {
  region = "us-east-1"
  alias  = "east"
  default_tags {
    tags = { a = "b" }
  }
}
resource "aws_s3_bucket_server_side_encryption_configuration" "raw" {
  count    = 1
  provider = aws.east
  bucket   = "b"
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "k"
    }
    bucket_key_enabled = true
  }
  lifecycle {
    prevent_destroy = true
  }
}
resource "aws_s3_bucket" "b" {
  bucket = "b"
  dynamic "cors_rule" {
    for_each = []
    content {
      allowed_methods = ["GET"]
      allowed_origins = ["*"]
    }
  }
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.b.arn}/*"]
  }
}
resource "google_storage_bucket" "g" {
  provider = google-beta
  name     = "g"
  location = "US"
}
data "archive_file" "zip" {
  type        = "zip"
  source_dir  = "src"
  output_path = "out.zip"
}
'''
    assert findings(make_blueprint, main) == []


def test_each_rule(make_blueprint) -> None:
    main = '''resource "aws_s3_buckt" "a" {}
resource "aws_s3_bucket" "b" {
  buckt = "x"
  arn   = "y"
  versioning = { enabled = true }
  tags {
    a = "b"
  }
  nonsense {
  }
}
resource "aws_s3_bucket_server_side_encryption_configuration" "c" {
}
resource "aws_s3_bucket_versioning" "d" {
  bucket = "b"
  versioning_configuration {
    status = "Enabled"
  }
  versioning_configuration {
    status = "Enabled"
  }
}
data "aws_no_such_thing" "e" {}
resource "random_id" "f" {
  byte_length = 4
}
resource "weird_thing" "g" {}
output "h" { value = aws_s3_bucket.b.arnn }
data "aws_iam_policy_document" "p" {}
output "i" { value = data.aws_iam_policy_document.p.jsn }
output "j" { value = "${data.aws_iam_policy_document.p.json}${aws_s3_bucket.b.arn}" }
'''
    assert findings(make_blueprint, main) == [
        ("SCH001", "error", 1, "aws_s3_buckt.a"),
        ("SCH002", "error", 3, "aws_s3_bucket.b"),
        ("SCH003", "error", 4, "aws_s3_bucket.b"),
        ("SCH009", "error", 5, "aws_s3_bucket.b"),
        ("SCH009", "error", 6, "aws_s3_bucket.b"),
        ("SCH005", "error", 9, "aws_s3_bucket.b"),
        ("SCH004", "error", 12, "aws_s3_bucket_server_side_encryption_configuration.c"),
        ("SCH006", "error", 12, "aws_s3_bucket_server_side_encryption_configuration.c"),
        ("SCH007", "error", 14, "aws_s3_bucket_versioning.d"),
        ("SCH008", "error", 23, "data.aws_no_such_thing.e"),
        ("SCH010", "info", 27, "weird_thing.g"),
        ("SCH012", "error", 28, "output.h"),
        ("SCH012", "error", 30, "output.i"),
    ]


def test_messages_name_the_snapshot_and_suggest(make_blueprint) -> None:
    result = schema.run([make_blueprint({"main.tf": 'resource "aws_s3_buckt" "a" {}\n'})])
    assert result.findings[0].message == "unknown resource type 'aws_s3_buckt' in provider aws 6.69.1 " \
                                         "(did you mean 'aws_s3_bucket'?)"


def test_nested_blocks_are_checked_with_their_own_schema(make_blueprint) -> None:
    main = '''resource "aws_s3_bucket_server_side_encryption_configuration" "c" {
  bucket = "b"
  rule {
    apply_server_side_encryption_by_default {
      kms_master_key_id = "k"
      sse_algoritm      = "aws:kms"
    }
  }
}
'''
    address = "aws_s3_bucket_server_side_encryption_configuration.c"
    assert findings(make_blueprint, main) == [("SCH004", "error", 4, address), ("SCH002", "error", 6, address)]


def test_pinning_another_major_is_a_warning(make_blueprint) -> None:
    versions = VERSIONS.replace("~> 6.0", "~> 5.0")
    assert findings(make_blueprint, 'resource "aws_s3_bucket" "b" {}\n', versions) == [
        ("SCH011", "warning", 1, "aws_s3_bucket.b")]


def test_provider_local_names_follow_required_providers(make_blueprint) -> None:
    versions = ('terraform {\n  required_providers {\n    gb = {\n      source = "hashicorp/google-beta"\n'
                '    }\n  }\n}\n')
    main = 'resource "google_storage_bucket" "g" {\n  provider = gb\n  name = "g"\n  location = "US"\n  nope = 1\n}\n'
    assert findings(make_blueprint, main, versions) == [("SCH002", "error", 5, "google_storage_bucket.g")]


def test_literal_values_are_checked_against_the_attribute_types(make_blueprint) -> None:
    main = '''resource "aws_cloudwatch_log_group" "a" {
  name              = "a"
  retention_in_days = { a = 1 }
  skip_destroy      = "yes"
  tags              = ["x"]
}
resource "aws_s3_bucket_public_access_block" "b" {
  bucket            = "b"
  block_public_acls = [1, 2]
  ignore_public_acls = "true"
}
resource "aws_security_group" "c" {
  name = 42
  tags = { owner = 1, ok = true }
  ingress {
    from_port   = "443"
    to_port     = "https"
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", { a = 1 }]
  }
}
'''
    result = schema.run([make_blueprint({"main.tf": main, "versions.tf": VERSIONS})])
    got = sorted((f.line, f.rule_id, f.message) for f in result.findings)
    assert got == [
        (3, "SCH013", "'retention_in_days': expected a number, got an object"),
        (4, "SCH013", "'skip_destroy': expected a bool, got a string"),
        (5, "SCH013", "'tags': expected a map of string, got a list"),
        (9, "SCH013", "'block_public_acls': expected a bool, got a list"),
        (17, "SCH013", "'to_port': expected a number, got the string 'https'"),
        (19, "SCH013", "'cidr_blocks': element 1: expected a string, got an object"),
    ]


def test_type_mismatch_follows_terraform_conversions() -> None:
    assert schema.type_mismatch(1, "string") is None and schema.type_mismatch(True, "string") is None
    assert schema.type_mismatch("1.5", "number") is None and schema.type_mismatch("false", "bool") is None
    assert schema.type_mismatch([1], ["set", "string"]) is None
    assert schema.type_mismatch({"a": [1]}, ["map", ["list", "number"]]) is None
    assert schema.type_mismatch({"a": "x"}, ["map", ["list", "number"]]) == "key 'a': expected a list of number, " \
                                                                            "got a string"
    assert schema.type_mismatch({"a": "x"}, ["object", {"a": "bool"}]) == "attribute 'a': expected a bool, got a string"
    assert schema.type_mismatch([{"x": 1}], "dynamic") is None
