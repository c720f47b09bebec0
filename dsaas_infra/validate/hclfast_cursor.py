"""The character level of hclfast.py: positions, spaces, newlines and comments, names; the model's Ref; heredoc refs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ref:
    """A traversal such as ``var.name`` or ``aws_s3_bucket.raw[0].arn``: leading names only."""

    parts: tuple[str, ...]
    line: int
    indexed: bool = False  # an index or splat follows parts[1] (``aws_x.y[0]``)


class Unsupported(Exception):
    """Not read here: the caller parses the file with python-hcl2's grammar."""


class _NotLit:
    pass


NOTLIT = _NotLit()  # the value of an expression that is not a constant (tf_module's literal() gives None)

_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_SPACE = re.compile(r"[ \t]*")
_SPACE_CHARS = frozenset(" \t")
_BLANK = re.compile(r"[ \t]*(?:\n[ \t]*)*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
# python-hcl2's terminals, verbatim (hcl2.lark)
_STRING_CHARS = re.compile(r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+')
_ESCAPED = re.compile(r"(?:\$\$|%%)\{[^}]*\}")
_HEREDOC = re.compile(r"<<(-?)([a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*\2\r?\n")
_COMMENT = re.compile(r"(?:#|//)[^\n]*\n")
_BINARY = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%")
_BINARY_FIRST = frozenset("=!<>&|+-*/%")  # the characters a binary operator starts with
# Keyword terminals python-hcl2 lexes instead of a name where its grammar takes them.
_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": True, "false": False, "null": None}
MAX_NESTING = 60  # far below python-hcl2's depth limit (limits.MAX_TREE_DEPTH); deeper: lark decides


class Cursor:
    def __init__(self, text: str, path: Path):
        if "\r" in text:
            raise Unsupported("CR")
        self.text = text + "\n"  # as hclparser.parses_to_tree does
        self.pos = 0
        self.line = 1
        self.path = path
        self.depth = 0

    # --- characters ---------------------------------------------------------------------------
    def _space(self) -> None:
        if self.text[self.pos:self.pos + 1] in _SPACE_CHARS:  # most positions hold no space: no regex
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self) -> str:
        self._space()
        return self.text[self.pos:self.pos + 1]

    def newlines(self) -> int:
        """Skip newlines and line comments (python-hcl2's NL_OR_COMMENT tokens); how many."""
        count = 0
        text = self.text
        pos = self.pos
        while True:
            end = _BLANK.match(text, pos).end()  # type: ignore[union-attr]  # spaces, newlines, spaces...
            crossed = text.count("\n", pos, end)
            count += crossed
            self.line += crossed
            pos = self.pos = end
            c = text[pos:pos + 1]
            if c != "#" and c != "/":
                return count
            if text.startswith("/*", pos):
                raise Unsupported("block comment")
            if c == "/" and not text.startswith("//", pos):
                return count  # a division
            m = _COMMENT.match(text, pos)
            if m is None:
                raise Unsupported("comment")
            pos = self.pos = m.end()
            self.line += 1
            count += 1

    def take(self, s: str) -> None:
        self._space()
        if not self.text.startswith(s, self.pos):
            raise Unsupported(f"expected {s!r}")
        self.pos += len(s)

    def at(self, s: str) -> bool:
        self._space()
        return self.text.startswith(s, self.pos)

    def name(self) -> str:
        self._space()
        m = _NAME.match(self.text, self.pos)
        if m is None:
            raise Unsupported("expected a name")
        self.pos = m.end()
        return m.group()

    def _deeper(self, levels: int = 1) -> None:
        self.depth += levels
        if self.depth > MAX_NESTING:
            raise Unsupported("nesting")

    # --- body -----------------------------------------------------------------------------------


_INTERP = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")  # $${ and %%{ are escapes, not templates
_TEMPLATE_FOR = re.compile(r"%\{~?\s*for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b")
_DIRECTIVE = re.compile(r"(?:for\s+\w+(?:\s*,\s*\w+)?\s+in|if)\s+(.*)$", re.S)


def heredoc_refs(text: str, first_line: int, scope: frozenset[str], out: list[Ref]) -> None:
    """References in the interpolations and directives of a heredoc that starts on ``first_line``."""
    names = {n for m in _TEMPLATE_FOR.finditer(text) for n in m.groups() if n}
    scope = scope | names
    for match in _INTERP.finditer(text):
        start = match.end()
        depth, pos = 1, start
        while pos < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[pos], 0)
            pos += 1
        inner = text[start:pos - 1].strip().strip("~").strip()
        if match.group() == "%{":
            m = _DIRECTIVE.match(inner)
            if not m:
                continue
            inner = m.group(1)
        line = first_line + text.count("\n", 0, start)
        out.extend(r for r in _refs_at(inner, line) if r.parts[0] not in scope)



def _refs_at(text: str, line: int) -> list[Ref]:
    from dsaas_infra.validate.hclfast import expression_refs_at

    return expression_refs_at(text, line)
