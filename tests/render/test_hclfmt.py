"""The HCL formatter: expected layouts by table, and agreement with real `terraform fmt`."""

import subprocess

import pytest

from dsaas_infra.render.hclfmt import format_hcl

CASES = {
    "indent_and_align": (
        'resource "a" "b" {\nx = 1\n    long_name = "v"\n}\n',
        'resource "a" "b" {\n  x         = 1\n  long_name = "v"\n}\n',
    ),
    "blank_line_breaks_alignment": (
        "a = 1\n\nlong = 2\n",
        "a = 1\n\nlong = 2\n",
    ),
    "multiline_value_breaks_alignment": (
        'a = 1\ntags = {\nk = "v"\nlonger = "w"\n}\nbb = 2\n',
        'a = 1\ntags = {\n  k      = "v"\n  longer = "w"\n}\nbb = 2\n',
    ),
    "jsonencode_two_openers_one_level": (
        'p = jsonencode({\nVersion = "1"\nStatement = [{\nEffect = "Allow"\n}]\n})\n',
        'p = jsonencode({\n  Version = "1"\n  Statement = [{\n    Effect = "Allow"\n  }]\n})\n',
    ),
    "brackets_inside_strings_ignored": (
        'a = "{ [ ("\nbb = "\\" }"\n',
        'a  = "{ [ ("\nbb = "\\" }"\n',
    ),
    "interpolation_with_braces": (
        'a = "pre-${lookup({ a = "}" }, "a")}"\nbbb = 1\n',
        'a   = "pre-${lookup({ a = "}" }, "a")}"\nbbb = 1\n',
    ),
    "comparison_is_not_assignment": (
        "x = var.a == 1 ? 2 : 3\nyy = { for k, v in m : k => v if v != 0 }\n",
        "x  = var.a == 1 ? 2 : 3\nyy = { for k, v in m : k => v if v != 0 }\n",
    ),
    "comment_line_breaks_alignment": (
        "a = 1\n# note = x\nlong = 2\n",
        "a = 1\n# note = x\nlong = 2\n",
    ),
    "collapses_blank_runs_and_block_edges": (
        "b {\n\n\na = 1\n\n\n\nc = 2\n\n}\n\n\n",
        "b {\n  a = 1\n\n  c = 2\n}\n",
    ),
    "heredoc_kept_verbatim": (
        "x = <<EOT\n  keep   = this\nEOT\n\ny = 1\n",
        "x = <<EOT\n  keep   = this\nEOT\n\ny = 1\n",
    ),
    "heredoc_does_not_break_alignment": (
        "ccc = 3\ndd = <<-EOT\n    x\n  EOT\neeeee = 1\n",
        "ccc   = 3\ndd    = <<-EOT\n    x\n  EOT\neeeee = 1\n",
    ),
    "equals_inside_a_quoted_key_is_not_padded": (
        'tags = {\n"a=b" = "c"\nlonger_key = "d=e"\n"x\\"=y" = 1\n}\n',
        'tags = {\n  "a=b"      = "c"\n  longer_key = "d=e"\n  "x\\"=y"    = 1\n}\n',
    ),
    "escaped_interpolation_is_literal": (
        'a = "\\u0024{x} $${y}"\nbb = 1\n',
        'a  = "\\u0024{x} $${y}"\nbb = 1\n',
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_format(name):
    source, expected = CASES[name]
    assert format_hcl(source) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_idempotent(name):
    once = format_hcl(CASES[name][0])
    assert format_hcl(once) == once


def test_expected_layouts_are_what_terraform_fmt_writes(tmp_path, terraform_bin, terraform_env):
    for name, (_, expected) in CASES.items():
        (tmp_path / f"{name}.tf").write_text(expected)
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-list=true", str(tmp_path)],
        env=terraform_env, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"terraform fmt would change: {result.stdout}{result.stderr}"
