"""Format stage: real terraform fmt, diff parsing, and a loud skip without a binary."""

from __future__ import annotations

from dsaas_infra.validate import fmt
from dsaas_infra.validate.pipeline import Context

CLEAN = 'resource "null_resource" "a" {\n  triggers = {\n    a         = "b"\n    long_name = "c"\n  }\n}\n'
MESSY = 'resource "null_resource" "a" {\n  triggers = {\n    a="b"\n    long_name = "c"\n  }\n}\n'


def test_args() -> None:
    assert fmt.fmt_args("/x/terraform") == ["/x/terraform", "fmt", "-check", "-diff", "-recursive", "-no-color", "."]


def test_parse_diff_gives_file_and_first_changed_line() -> None:
    out = ("main.tf\n--- old/main.tf\n+++ new/main.tf\n@@ -1,6 +1,6 @@\n resource \"x\" \"y\" {\n"
           "   triggers = {\n-    a=\"b\"\n+    a         = \"b\"\n@@ -20,3 +20,3 @@\n-x\n+y\n"
           "sub/b.tf\n--- old/sub/b.tf\n+++ new/sub/b.tf\n@@ -4,2 +4,2 @@\n-z\n+ z\n")
    assert fmt.parse_diff(out) == [("main.tf", 3, 'a="b"'), ("sub/b.tf", 4, "z")]


def test_real_terraform_reports_unformatted_files(make_blueprint, terraform_bin, offline_env) -> None:
    clean = make_blueprint({"main.tf": CLEAN}, "clean")
    messy = make_blueprint({"main.tf": CLEAN, "modules/m/x.tf": MESSY}, "messy")
    result = fmt.run([clean, messy], Context(terraform_bin=terraform_bin, env=offline_env))
    assert [(f.rule_id, f.file, f.line) for f in result.findings] == [("FMT001", "messy/modules/m/x.tf", 3)]


def test_fmt_failure_on_invalid_hcl_is_an_error(make_blueprint, terraform_bin, offline_env) -> None:
    bp = make_blueprint({"main.tf": 'resource "x" {\n'})
    result = fmt.run([bp], Context(terraform_bin=terraform_bin, env=offline_env))
    assert [(f.rule_id, f.severity) for f in result.findings] == [("FMT002", "error")]
    assert result.findings[0].message.startswith("terraform fmt failed: Error: ")


def test_without_terraform_the_stage_is_skipped_with_the_reason(make_blueprint, offline_env) -> None:
    offline_env["PATH"] = "/nonexistent"
    result = fmt.run([make_blueprint({"main.tf": CLEAN})], Context(env=offline_env))
    assert result.status == "skipped"
    assert result.skipped_reason.startswith("no terraform or tofu binary")


def test_a_relative_terraform_path_works(make_blueprint, terraform_bin, offline_env, tmp_path, monkeypatch) -> None:
    import os
    monkeypatch.chdir(tmp_path)
    bp = make_blueprint({"main.tf": MESSY})
    result = fmt.run([bp], Context(terraform_bin=os.path.relpath(terraform_bin), env=offline_env))
    assert [f.rule_id for f in result.findings] == ["FMT001"]
