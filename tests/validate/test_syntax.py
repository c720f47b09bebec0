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


def test_an_unclosed_block_mid_file_is_located_where_it_opens(make_blueprint) -> None:
    """Without the closing brace the parser fails only at the end of the file; the finding points at
    the block that is not closed, as Terraform's "Unclosed configuration block" does."""
    text = ('locals {\n  a = 1\n}\n\nresource "null_resource" "open" {\n  triggers = { x = "}" }\n\n'
            + 'locals {\n  b = 2\n}\n' * 30)
    result = syntax.run([make_blueprint({"main.tf": text})])
    assert [(f.rule_id, f.line) for f in result.findings] == [("HCL001", 5)]
    assert result.findings[0].message == ("column 33: unclosed block or object starting here: no closing brace "
                                          "before the end of the file")


def test_a_bad_token_mid_file_is_located_at_the_token(make_blueprint) -> None:
    text = 'locals {\n  a = 1\n}\n' * 20 + 'locals {\n  b = = 2\n}\n' + 'locals {\n  c = 3\n}\n' * 20
    result = syntax.run([make_blueprint({"main.tf": text})])
    assert [(f.rule_id, f.line) for f in result.findings] == [("HCL001", 62)]
    assert len(result.findings[0].message) < 80  # not the rest of the file quoted in the message
