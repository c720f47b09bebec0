"""HCL004: merge conflict markers left in a .tf file (by `upgrade` or git) are one located error."""

from __future__ import annotations

from dsaas_infra.validate import syntax

CONFLICTED = ('locals {\n'
              '<<<<<<< ours\n  retention = 365\n||||||| base\n  retention = 30\n=======\n  retention = 90\n'
              '>>>>>>> dsaas-infra\n}\n')


def test_markers_are_one_finding_per_conflict_with_its_range(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": CONFLICTED + "\n" + CONFLICTED.replace("locals", "terraform"),
                         "ok.tf": 'variable "a" {}\n'})
    result = syntax.run([bp])
    assert [(f.rule_id, f.file, f.line, f.end_line) for f in result.findings] == [
        ("HCL004", "bp/main.tf", 2, 8), ("HCL004", "bp/main.tf", 12, 18)]
    assert "unresolved merge conflict (lines 2-8)" in result.findings[0].message
    assert result.status == "failed" and "HCL004" in result.rules


def test_git_markers_in_a_local_module_are_found_too(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": 'module "m" {\n  source = "./modules/m"\n}\n',
                         "modules/m/main.tf": 'locals {\n<<<<<<< HEAD\n  a = 1\n=======\n  a = 2\n>>>>>>> main\n}\n'})
    result = syntax.run([bp])
    assert [(f.rule_id, f.file, f.line) for f in result.findings] == [("HCL004", "bp/modules/m/main.tf", 2)]


def test_marker_like_text_inside_a_string_is_no_conflict(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": 'locals {\n  a = "<<<<<<< ours"\n  b = <<EOT\n =======\nEOT\n}\n'})
    assert syntax.run([bp]).findings == []
