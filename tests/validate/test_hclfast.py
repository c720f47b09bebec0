"""The fast HCL reader gives exactly python-hcl2's model (blocks, attributes, refs, values, lines) or defers to it.

Compared on every rendered golden file, on constructs one at a time, and on seeded random mutations of
rendered blocks: wherever the fast reader accepts a text, lark must parse it to the same model (never
to an error), so validate's findings cannot depend on which reader ran.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dsaas_infra.validate import hclfast
from dsaas_infra.validate.tf_module import parse_text

REPO = Path(__file__).resolve().parents[2]
GOLDEN = sorted((REPO / "tests" / "golden").rglob("*.tf"))
PATH = Path("main.tf")


def both(text: str):
    """(fast model or None when it defers, lark's model or ParseError)."""
    try:
        fast = hclfast.parse_blocks(text, PATH)
    except hclfast.Unsupported:
        fast = None
    return fast, parse_text(text, PATH)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: str(p.relative_to(REPO / "tests" / "golden")))
def test_every_rendered_file_reads_as_python_hcl2_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = hclfast.parse_blocks(text, path)  # rendered HCL never needs lark
    assert fast == parse_text(text, path)


SAME = {
    "traversals": 'locals {\n  a = aws_s3_bucket.raw[0].arn\n  b = x.y.*.z\n  c = m[*].n[local.i]\n'
                  '  d = var.l.0.k\n  e = each.value\n  f = count.index-1\n}\n',
    "calls": 'locals {\n  a = jsonencode({ A = [1, -2, 3.5, -1e3], "k" = null, (local.k) = true })\n'
             '  b = provider::aws::arn_parse(var.a).region\n  c = concat(var.a, [\n    "x",\n  ]...)\n'
             '  d = f(\n    a,\n    b,\n  )\n}\n',
    "for expressions": 'locals {\n  a = [for k, v in var.m : "${k}=${v.x}" if v.on]\n'
                       '  b = { for s in var.s : s.name => s... if s != null }\n'
                       '  c = {\n    for k, v in local.m :\n    k => v\n  }\n}\n',
    "operators across lines": 'locals {\n  a = (var.a\n    ? 1\n    : 2)\n  b = var.x == "y" && var.z\n'
                              '  c = var.p\n  || var.q\n  d = !var.on\n  e = -var.n\n  f = 10 - -1\n}\n',
    "heredoc": 'resource "x" "y" {\n  a = <<-EOT\n    ${var.a} $${not.a.ref} %{ for z in local.zs }${z}%{ endfor }\n'
               '  EOT\n  b = 1\n}\n',
    "strings": 'locals {\n  a = "plain \\"quoted\\" \\\\ 100% $5"\n  b = "$${literal}"\n  c = ""\n'
               '  d = "${var.a}-${upper(var.b)}"\n}\n',
    "objects": 'locals {\n  a = {\n    x = 1\n    y = "two",\n    "z" = [true, false]\n  }\n  b = {}\n'
               '  c = { a = 1 }["a"]\n  d = []\n}\n',
    "blocks": 'resource "a" "b" {\n  dynamic "d" {\n    for_each = var.l\n    content {\n      v = d.value\n'
              '    }\n  }\n  lifecycle { ignore_changes = [tags] }\n}\n\n# comment\n// comment\nterraform {}\n',
    "comments": 'locals { # after a brace\n  a = 1 # after a value\n  // a line\n  b = [\n    1, # in a list\n  ]\n}\n',
}


@pytest.mark.parametrize("name", SAME)
def test_constructs_read_the_same(name: str) -> None:
    fast, lark = both(SAME[name])
    assert fast is not None, "the fast reader deferred to lark"
    assert fast == lark


DEFERRED = {
    "block comment": "locals {\n  /* c */\n  a = 1\n}\n",
    "string directive": 'locals {\n  a = "%{ for u in var.us }${u}%{ endfor }"\n}\n',
    "carriage return": "locals {\r\n  a = 1\r\n}\r\n",
    "keyword object key": "locals {\n  a = { in = 1 }\n}\n",
    "blank line before an operator": "locals {\n  a = var.x\n\n  + 1\n}\n",
    "deep nesting": "locals {\n  a = " + "[" * 200 + "]" * 200 + "\n}\n",
    "long operation": "locals {\n  a = " + " + ".join(["1"] * 300) + "\n}\n",
    "long traversal": "locals {\n  a = x" + "[0]" * 300 + "\n}\n",
    "unclosed block": 'resource "a" "b" {\n  x = 1\n',
    "syntax error": "locals {\n  a = = 1\n}\n",
}


@pytest.mark.parametrize("name", DEFERRED)
def test_what_the_fast_reader_does_not_know_is_left_to_lark(name: str) -> None:
    with pytest.raises(hclfast.Unsupported):
        hclfast.parse_blocks(DEFERRED[name], PATH)


def _chunks() -> list[str]:
    chunks = []
    for path in GOLDEN:
        lines = path.read_text(encoding="utf-8").split("\n")
        starts = [i for i, line in enumerate(lines) if line and not line[0].isspace() and line[0] not in "}#"]
        for a, b in zip(starts, [*starts[1:], len(lines)], strict=False):
            chunks.append("\n".join(lines[a:b]) + "\n")
    return chunks


INSERTS = [*'{}[]()",.=:?\n#$%-!*<>/~\\ 0a', "${", "%{", "<<EOT\n", "//", "/*", "...", "=>", "::", "[*]", ".*",
           "-1", "for ", " if ", "in "]


def test_wherever_the_fast_reader_accepts_a_mutated_block_lark_reads_the_same() -> None:
    rng = random.Random(15)
    chunks = _chunks()
    accepted = 0
    for _ in range(400):
        text = rng.choice(chunks)
        at = rng.randrange(len(text))
        kind = rng.randrange(4)
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        if kind == 0:
            mutated = text[:at] + text[at + 1:]
        elif kind == 1:
            mutated = text[:at] + rng.choice(INSERTS) + text[at:]
        elif kind == 2:
            mutated = "\n".join([*lines[:line], lines[line], *lines[line:]])
        else:
            mutated = "\n".join([*lines[:line], *lines[line + 1:]])
        fast, lark = both(mutated)
        if fast is not None:
            accepted += 1
            assert fast == lark, mutated
    assert accepted > 100  # the comparison ran on many texts, not only on rejected ones
