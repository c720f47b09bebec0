"""One escaping function per output language, each tested with the same hostile list, read back
by a real reader of that language: Terraform for HCL, json for JSON, markdown-it (CommonMark)
for Markdown, ElementTree for XML; Mermaid by its entity-code rules (no Mermaid parser runs here)."""

import base64
import html
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from dsaas_infra.render.escape import (
    hcl_string,
    invisible,
    json_string,
    markdown_text,
    mermaid_label,
    xml_clean,
    xml_text,
)
from dsaas_infra.render.hcl_value import hcl_key, hcl_value
from dsaas_infra.render.hclfmt import format_hcl
from tests.hostile import HOSTILE

SHOWN = {"\u202e", "\u2028", "\u2029", "\u200b", "\u2066", "\x00", "\x1b", "\ufeff", "\x85"}


def visible(value: str, newlines: str | None = None, keep: str = "\t\n\r") -> str:
    """``value`` as the escaping functions show it: invisible characters as \\uXXXX."""
    out = []
    for ch in value:
        if newlines is not None and ch in "\n\r\t":
            out.append(newlines)
        elif invisible(ch) and not (newlines is None and ch in keep):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def _console(terraform_bin, terraform_env, tmp_path, expression: str):
    """Evaluate one HCL expression with the real Terraform (no config, no provider)."""
    result = subprocess.run(
        [terraform_bin, "console"], input=f"base64encode(jsonencode({expression}))\n",
        capture_output=True, text=True, cwd=tmp_path, env=terraform_env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(base64.b64decode(json.loads(result.stdout.strip())))


def test_hcl_strings_and_keys_read_back_exactly_by_terraform(tmp_path, terraform_bin, terraform_env):
    strings = "[" + ", ".join(hcl_string(s) for s in HOSTILE) + "]"
    assert "\n" not in strings
    assert _console(terraform_bin, terraform_env, tmp_path, strings) == HOSTILE
    keys = [s for s in HOSTILE if s] + ["for", "in", "if", "true", "null", "a-b", "_x"]
    obj = "{" + ", ".join(f"{hcl_key(k)} = {hcl_string(k)}" for k in keys) + "}"
    assert _console(terraform_bin, terraform_env, tmp_path, obj) == {k: k for k in keys}


def test_hcl_output_shows_no_invisible_character_and_is_fmt_clean(tmp_path, terraform_bin, terraform_env):
    for s in HOSTILE:
        literal = hcl_string(s)
        assert not any(invisible(ch) for ch in literal), repr(literal)
        assert "${" not in literal and "%{" not in literal
    keys = {s: s for s in HOSTILE if s}
    body = "locals {\n" + "\n".join(f"v{i} = {hcl_string(s)}" for i, s in enumerate(HOSTILE))
    body += f"\ntags = {hcl_value(keys, 1)}\n}}\n"
    (tmp_path / "hostile.tf").write_text(format_hcl(body))
    result = subprocess.run([terraform_bin, "fmt", "-check", "-diff", str(tmp_path)],
                            capture_output=True, text=True, env=terraform_env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value", HOSTILE)
def test_json(value):
    literal = json_string(value)
    assert literal.isascii() and json.loads(literal) == value


_MD = MarkdownIt("commonmark").enable("table")


def _text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_heading_and_table_cell(value):
    shown = visible(value, newlines=" ")
    heading = _MD.render(f"# {markdown_text(value)}: platform\n")
    assert re.findall(r"</?[a-z0-9]+", heading) == ["<h1", "</h1"], heading
    assert _text(heading) == f"{shown}: platform".strip() + "\n"
    table = _MD.render(f"| tag | value |\n|---|---|\n| {markdown_text(value)} | x |\n")
    cells = re.findall(r"<td>(.*?)</td>", table)
    assert len(cells) == 2 and not re.search(r"<(?!/?(table|thead|tbody|tr|th|td)\b)", table), table
    assert html.unescape(cells[0]) == shown.strip() and cells[1] == "x"


@pytest.mark.parametrize("value", HOSTILE)
def test_mermaid_label(value):
    label = mermaid_label(value)
    # Only plain characters and #NNN; entity codes: no quote, bracket, %% or newline can end
    # the label or start a directive.
    assert re.fullmatch(r"(?:[A-Za-z0-9 .,:/+-]|#\d+;)*", label), label
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)
    assert decoded == visible(value, newlines=None).replace("\t", "\\u0009").replace(
        "\n", "\\u000a").replace("\r", "\\u000d")


@pytest.mark.parametrize("value", HOSTILE)
def test_xml_text_and_attribute(value):
    doc = ET.fromstring(f'<a b="{xml_text(value)}">{xml_text(value)}</a>')
    assert doc.get("b") == visible(value, keep="\t\n") and (doc.text or "") == visible(value, keep="\t\n")


def test_xml_clean_makes_elementtree_output_parse():
    root = ET.Element("r", message=xml_clean("".join(HOSTILE)))
    root.text = xml_clean("".join(HOSTILE))
    again = ET.fromstring(ET.tostring(root, encoding="unicode"))
    assert again.text == visible("".join(HOSTILE), keep="\t\n")


def test_every_invisible_character_of_the_list_is_shown_not_passed():
    """The bidi controls and separators the issue names are in the list and never pass."""
    assert SHOWN <= set("".join(HOSTILE))
    for fn in (hcl_string, json_string, markdown_text, mermaid_label, xml_text):
        for s in HOSTILE:
            assert not (set(fn(s)) & SHOWN), (fn.__name__, s)


def test_junit_report_with_hostile_findings_parses():
    from dsaas_infra.validate import output_json, output_junit
    from dsaas_infra.validate.findings import Finding, Report, StageResult

    findings = [Finding("syntax", "X1", "error", s, file=f"bp/{s[:40]}.tf", line=1) for s in HOSTILE if s]
    report = Report(targets=["bp"], stages=[StageResult("syntax", findings=findings)])
    document = output_junit.render(report)
    assert not set(document) & SHOWN
    root = ET.fromstring(document.encode())  # parses: no character XML forbids got through
    shown = " ".join([*(e.text or "" for e in root.iter()), *(v for e in root.iter() for v in e.attrib.values())])
    for s in ("<script>alert(1)</script>", "]]><!--", "\u202eevil\u202c", "\x00nul \x07bell \x1b[31mred \x7f del"):
        assert visible(s) in shown, s
    assert json.loads(output_json.render(report))["stages"][0]["findings"][0]["message"] == HOSTILE[1]
