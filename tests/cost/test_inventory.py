"""The cost inventory's line scan: its fast attribute match reads every line as the plain regex does,
and memoised literals are never shared mutable values."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.cost import inventory
from dsaas_infra.cost.inventory import _ATTR, _attr, scan

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
EDGES = ["  a = 1", "  a = 1 ", "  a =  ", "  a =\t", "  a = \u00a0", "  a=\u2003x\u2003", "    b = x", "      c = 1",
         "  a =", "  = 1", "\ta = 1", "  a-b = [1, 2]\t ", "  a = \"x = y\"", "  a == b", "  a =\x0c", ""]


def test_the_fast_attribute_match_reads_every_line_as_the_regex_does():
    lines = [line for path in sorted(GOLDEN.rglob("*.tf")) for line in path.read_text().splitlines()]
    assert len(lines) > 10_000
    for line in lines + EDGES + [e + s for e in EDGES for s in (" ", "\t", "\u2003")]:
        want, got = _ATTR.match(line), _attr(line)
        assert (want and want.groups()) == (got and got.groups()), repr(line)


def test_literals_are_memoised_but_lists_are_not_shared():
    tf = ('resource "aws_x" "a" {\n  ports = [1, 2]\n  on = true\n}\n'
          'resource "aws_x" "b" {\n  ports = [1, 2]\n  on = true\n}\n')
    a, b = scan({"main.tf": tf.encode()}).resources
    a.literals["ports"].append(3)  # type: ignore[attr-defined]
    assert b.literals["ports"] == [1, 2]
    assert a.literals["on"] is True and b.literals["on"] is True
    assert "true" in inventory._LITERALS
