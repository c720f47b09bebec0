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
        ("SCH012", "warning", 28, "output.h"),
        ("SCH012", "warning", 30, "output.i"),
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
    versions = 'terraform {\n  required_providers {\n    gb = {\n      source = "hashicorp/google-beta"\n    }\n  }\n}\n'
    main = 'resource "google_storage_bucket" "g" {\n  provider = gb\n  name = "g"\n  location = "US"\n  nope = 1\n}\n'
    assert findings(make_blueprint, main, versions) == [("SCH002", "error", 5, "google_storage_bucket.g")]
