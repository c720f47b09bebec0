"""A fast reader of the HCL that dsaas-infra renders, straight into the validate model (blocks, attributes, refs).

python-hcl2's lark grammar (hclparser.py) costs about 1 s of CPU per rendered blueprint: most of
``validate --skip security``. This reader builds the same ``Block``/``Attribute``/``Ref`` values
without a parse tree, in one pass of a hand-written recursive descent over python-hcl2's grammar,
about 20x faster. It is deliberately narrower than that grammar: anything it does not know exactly
how python-hcl2 reads (block comments, template directives in quoted strings, a newline where the
grammar might not take one, keywords as object keys, deep nesting, CR characters, ...) raises
``Unsupported`` and the caller parses that file with lark instead, so errors and their messages
are always lark's, and a file is never accepted that lark would reject.
tests/validate/test_hclfast.py checks that both readers give the same model on every rendered file
and on mutations of them.
"""


from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dsaas_infra.validate.hclfast_cursor import (
    _ESCAPED,
    _HEREDOC,
    _STRING_CHARS,
    NOTLIT,
    Ref,
    Unsupported,
    heredoc_refs,
)
from dsaas_infra.validate.hclfast_expr import Expressions

if TYPE_CHECKING:
    from dsaas_infra.validate.tf_module import Attribute, Block

__all__ = ["NOTLIT", "Ref", "Unsupported", "expression_refs", "expression_refs_at", "heredoc_refs", "parse_blocks"]


class _Reader(Expressions):
    def body(self, closing: str | None) -> tuple[dict[str, Attribute], list[Block]]:
        from dsaas_infra.validate.tf_module import Attribute

        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        while True:
            self.newlines()
            c = self.peek()
            if closing is not None and c == closing:
                return attributes, blocks
            if c == "" and closing is None and self.pos >= len(self.text):
                return attributes, blocks
            line = self.line
            first = self.name()
            self._space()
            if self.text.startswith("=", self.pos) and not self.text.startswith(("==", "=>"), self.pos):
                self.pos += 1
                refs: list[Ref] = []
                value, is_object = self.expression(frozenset(), refs)
                attributes[first] = Attribute(name=first, line=line, refs=refs, is_object=is_object,
                                              value=None if value is NOTLIT else value)
            else:
                blocks.append(self.block(first, line))

    def block(self, type_: str, line: int) -> Block:
        from dsaas_infra.validate.tf_module import Block

        labels: list[str] = []
        while True:
            c = self.peek()
            if c == '"':
                value = self.string(frozenset(), [])
                if not isinstance(value, str):
                    raise Unsupported("template in a label")
                labels.append(value)
            elif c == "{" or c == "\n" or c == "#" or self.at("//"):
                break
            else:
                labels.append(self.name())
        self.newlines()
        self.take("{")
        self._deeper(2)
        attributes, blocks = self.body("}")
        self.depth -= 2
        end_line = self.line
        self.take("}")
        block = Block(type=type_, labels=labels, file=self.path, line=line, end_line=end_line)
        block.attributes = attributes
        block.blocks = blocks
        return block

    # --- expressions ----------------------------------------------------------------------------
    def string(self, scope: frozenset[str], out: list[Ref]) -> object:
        """A quoted string: its raw text when it is constant (python-hcl2 keeps escapes as written)."""
        text = self.text
        self.take('"')
        chars: list[str] = []
        constant = True
        while True:
            if text.startswith('"', self.pos):
                self.pos += 1
                return "".join(chars) if constant else NOTLIT
            m = _STRING_CHARS.match(text, self.pos)
            if m is not None:
                if "\n" in m.group():
                    raise Unsupported("newline in a string")
                chars.append(m.group())
                self.pos = m.end()
                continue
            if text.startswith(("$${", "%%{"), self.pos):
                e = _ESCAPED.match(text, self.pos)
                if e is None or "\n" in e.group():
                    raise Unsupported("escaped template")
                self.pos = e.end()
                constant = False
                continue
            if text.startswith("${", self.pos) and not text.startswith("${~", self.pos):
                self.pos += 2
                self._deeper()
                self.expression(scope, out)
                self.depth -= 1
                if self.peek() != "}":
                    raise Unsupported("interpolation")
                self.pos += 1
                constant = False
                continue
            raise Unsupported("string")

    def heredoc(self, scope: frozenset[str], out: list[Ref]) -> object:
        m = _HEREDOC.match(self.text, self.pos)
        if m is None:
            raise Unsupported("heredoc")
        body = m.group()
        heredoc_refs(body, self.line, scope, out)
        self.pos = m.end()
        self.line += body.count("\n")
        return NOTLIT


def parse_blocks(text: str, path: Path) -> list[Block]:
    """The top-level blocks of ``text``, or Unsupported."""
    reader = _Reader(text, path)
    attributes, blocks = reader.body(None)
    if attributes:
        raise Unsupported("attribute at the top level")
    return blocks


def expression_refs(text: str) -> list[Ref]:
    """References in a bare expression, lines counted from 1, or Unsupported."""
    reader = _Reader(text, Path())
    out: list[Ref] = []
    reader.newlines()
    reader.expression(frozenset(), out)
    reader.newlines()
    if reader.pos < len(reader.text):
        raise Unsupported("trailing text")
    return out


def expression_refs_at(text: str, line: int) -> list[Ref]:
    """References in a bare expression found on ``line`` (python-hcl2's reading when this one defers)."""
    try:
        found = expression_refs(text)
    except Unsupported:
        from dsaas_infra.validate.hclexpr import lark_expression_refs

        return lark_expression_refs(text, line)
    return [Ref(r.parts, line + r.line - 1, r.indexed) for r in found]


