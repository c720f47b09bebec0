"""Syntax stage: unparsable files and empty blueprints are errors located at the problem."""

from __future__ import annotations

from dsaas_infra.validate import syntax


def test_valid_files_pass(make_blueprint) -> None:
    result = syntax.run([make_blueprint({"main.tf": 'variable "a" {}\n'})])
    assert result.findings == [] and result.status == "passed"


def test_parse_errors_in_root_and_local_modules(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": 'module "m" {\n  source = "./modules/m"\n}\n',
                              "broken.tf": 'locals {\n  a = = 1\n}\n',
                              "modules/m/main.tf": 'output "o" {\n  value = [1,\n}\n'})
    result = syntax.run([bp])
    assert [(f.rule_id, f.file, f.line) for f in result.findings] == [
        ("HCL001", "bp/broken.tf", 2), ("HCL001", "bp/modules/m/main.tf", 3)]
    assert result.status == "failed"


def test_a_directory_without_tf_files(make_blueprint) -> None:
    result = syntax.run([make_blueprint({"README.md": "x"})])
    assert [(f.rule_id, f.file) for f in result.findings] == [("HCL002", "bp")]
