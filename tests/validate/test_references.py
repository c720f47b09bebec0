"""References stage: each rule on a tiny module, with the exact finding."""

from __future__ import annotations

from dsaas_infra.validate import references


def findings(make_blueprint, files: dict[str, str]) -> list[tuple[str, str, int, str]]:
    result = references.run([make_blueprint(files)])
    return [(f.rule_id, f.file, f.line, f.address) for f in sorted(result.findings, key=lambda f: f.sort_key())]


GOOD = '''
variable "name" {
  type = string
}
variable "grants" {
  type    = list(object({ id = string }))
  default = []
}
locals {
  prefix = "x-${var.name}"
}
data "aws_caller_identity" "me" {}
resource "aws_s3_bucket" "raw" {
  count  = 1
  bucket = "${local.prefix}-${data.aws_caller_identity.me.account_id}-${count.index}"
  dynamic "grant" {
    for_each = var.grants
    content {
      id = grant.value.id
    }
  }
  dynamic "cors_rule" {
    for_each = var.grants
    iterator = g
    content {
      allowed_methods = [g.value.id]
      allowed_origins = [for o in var.grants : o.id]
    }
  }
  lifecycle {
    ignore_changes = [tags]
  }
}
resource "aws_s3_bucket_versioning" "v" {
  for_each = toset(["a"])
  bucket   = "${aws_s3_bucket.raw[0].id}-${each.key}"
  provider = aws.east
  depends_on = [aws_s3_bucket.raw]
}
module "child" {
  source = "./modules/child"
  needed = path.module
}
output "o" {
  value = module.child.out
}
'''
CHILD = '''
variable "needed" {}
variable "optional" {
  default = 1
}
output "out" {
  value = "${var.needed}-${var.optional}"
}
'''


def test_a_correct_module_has_no_findings(make_blueprint) -> None:
    assert findings(make_blueprint, {"main.tf": GOOD, "modules/child/main.tf": CHILD}) == []


def test_undeclared_names_each_get_their_rule(make_blueprint) -> None:
    main = '''resource "aws_s3_bucket" "raw" {
  bucket = var.nmae
  tags   = { a = local.nope, b = data.aws_caller_identity.me.id }
  policy = aws_iam_policy_document.p.json
}
output "o" { value = module.nope.x }
output "c" { value = count.index }
output "u" { value = foo.bar }
variable "name" {}
'''
    assert findings(make_blueprint, {"main.tf": main}) == [
        ("REF001", "bp/main.tf", 2, "aws_s3_bucket.raw"),
        ("REF002", "bp/main.tf", 3, "aws_s3_bucket.raw"),
        ("REF004", "bp/main.tf", 3, "aws_s3_bucket.raw"),
        ("REF003", "bp/main.tf", 4, "aws_s3_bucket.raw"),
        ("REF005", "bp/main.tf", 6, "output.o"),
        ("REF011", "bp/main.tf", 7, "output.c"),
        ("REF011", "bp/main.tf", 8, "output.u"),
    ]


def test_did_you_mean(make_blueprint) -> None:
    result = references.run([make_blueprint({"main.tf": 'variable "name" {}\noutput "o" { value = var.nmae }\n'})])
    assert result.findings[0].message == "undeclared variable var.nmae (did you mean 'name'?)"


def test_module_calls_are_checked_against_the_child(make_blueprint) -> None:
    main = '''module "child" {
  source  = "./modules/child"
  unknown = 1
}
output "o" { value = module.child.missing }
module "gone" {
  source = "./modules/gone"
}
module "registry" {
  source  = "terraform-aws-modules/vpc/aws"
  anything = true
}
'''
    assert findings(make_blueprint, {"main.tf": main, "modules/child/main.tf": CHILD}) == [
        ("REF008", "bp/main.tf", 1, "module.child"),
        ("REF007", "bp/main.tf", 3, "module.child"),
        ("REF006", "bp/main.tf", 5, "output.o"),
        ("REF010", "bp/main.tf", 6, "module.gone"),
    ]


def test_references_inside_a_child_module_are_checked_there(make_blueprint) -> None:
    main = 'module "child" {\n  source = "./modules/child"\n}\n'
    child = 'output "out" {\n  value = var.absent\n}\n'
    assert findings(make_blueprint, {"main.tf": main, "modules/child/main.tf": child}) == [
        ("REF001", "bp/modules/child/main.tf", 2, "output.out")]


def test_duplicates(make_blueprint) -> None:
    main = 'variable "a" {}\nvariable "a" {}\nlocals {\n  x = 1\n}\nlocals {\n  x = 2\n}\n'
    assert findings(make_blueprint, {"main.tf": main}) == [("REF009", "bp/main.tf", 2, "var.a"),
                                                     ("REF009", "bp/main.tf", 7, "local.x")]


def test_findings_in_locals_are_addressed_by_local_name(make_blueprint) -> None:
    main = 'locals {\n  a = 1\n  b = local.c\n}\n'
    assert findings(make_blueprint, {"main.tf": main}) == [("REF002", "bp/main.tf", 3, "local.b")]


def test_a_module_that_does_not_parse_is_left_to_the_syntax_stage(make_blueprint) -> None:
    assert findings(make_blueprint, {"main.tf": 'output "o" { value = var.x }\n', "bad.tf": "resource {\n"}) == []


def test_check_blocks_and_ephemeral_resources(make_blueprint) -> None:
    main = '''check "health" {
  data "http" "site" {
    url = "https://example.com"
  }
  assert {
    condition     = data.http.site.status_code == 200
    error_message = "down"
  }
}
ephemeral "random_password" "db" {
  length = 16
}
output "p" {
  value     = "${ephemeral.random_password.db.result}${ephemeral.random_password.nope.result}"
  ephemeral = true
}
'''
    assert findings(make_blueprint, {"main.tf": main}) == [("REF003", "bp/main.tf", 14, "output.p")]


def test_moved_and_removed_name_old_addresses(make_blueprint) -> None:
    main = '''resource "aws_s3_bucket" "new" {}
moved {
  from = aws_s3_bucket.old
  to   = aws_s3_bucket.new
}
moved {
  from = aws_s3_bucket.older
  to   = aws_s3_bucket.newer
}
removed {
  from = aws_s3_bucket.gone
}
'''
    assert findings(make_blueprint, {"main.tf": main}) == [("REF003", "bp/main.tf", 8, "moved")]
