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

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsaas_infra.validate.tf_module import Attribute, Block


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
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
# python-hcl2's terminals, verbatim (hcl2.lark)
_STRING_CHARS = re.compile(r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+')
_ESCAPED = re.compile(r"(?:\$\$|%%)\{[^}]*\}")
_HEREDOC = re.compile(r"<<(-?)([a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*\2\r?\n")
_COMMENT = re.compile(r"(?:#|//)[^\n]*\n")
_BINARY = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%")
# Keyword terminals python-hcl2 lexes instead of a name where its grammar takes them.
_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": True, "false": False, "null": None}
MAX_NESTING = 60  # far below python-hcl2's depth limit (limits.MAX_TREE_DEPTH); deeper: lark decides


class _Reader:
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
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self) -> str:
        self._space()
        return self.text[self.pos:self.pos + 1]

    def newlines(self) -> int:
        """Skip newlines and line comments (python-hcl2's NL_OR_COMMENT tokens); how many."""
        count = 0
        text = self.text
        while True:
            self._space()
            c = text[self.pos:self.pos + 1]
            if c == "\n":
                self.pos += 1
                self.line += 1
            elif text.startswith("/*", self.pos):
                raise Unsupported("block comment")
            elif c == "#" or text.startswith("//", self.pos):
                m = _COMMENT.match(text, self.pos)
                if m is None:
                    raise Unsupported("comment")
                self.pos = m.end()
                self.line += 1
            else:
                return count
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
    def expression(self, scope: frozenset[str], out: list[Ref]) -> tuple[object, bool]:
        """(the constant value or NOTLIT, whether it is an object) of a conditional or operation."""
        self._deeper()
        value, is_object = self.operation(scope, out)
        if self._operator_follows("?"):
            self.take("?")
            self.newlines()
            self.expression(scope, out)
            self.newlines()
            self._colon()
            self.newlines()
            self.expression(scope, out)
            value, is_object = NOTLIT, False
        self.depth -= 1
        return value, is_object

    def _colon(self) -> None:
        self._space()
        if not self.text.startswith(":", self.pos) or self.text.startswith("::", self.pos):
            raise Unsupported("expected ':'")
        self.pos += 1

    def _operator_follows(self, op: str | None) -> bool:
        """Whether a binary operator (``op``, or any when None) is next, perhaps after one newline
        (python-hcl2's postlexer joins a newline to the operator after it, except to ``-``)."""
        save_pos, save_line = self.pos, self.line
        crossed = self.newlines()
        found = self._binary_at() if op is None else (op if self.at(op) else None)
        if found is not None and (crossed == 0 or (crossed == 1 and found != "-")):
            return True
        if crossed > 1 and found is not None and found != "-":
            raise Unsupported("newlines before an operator")
        self.pos, self.line = save_pos, save_line
        return False

    def _binary_at(self) -> str | None:
        self._space()
        text, pos = self.text, self.pos
        for op in _BINARY:
            if text.startswith(op, pos):
                if op == "/" and text.startswith(("//", "/*"), pos):
                    return None
                return op
        return None

    def operation(self, scope: frozenset[str], out: list[Ref]) -> tuple[object, bool]:
        value, is_object = self.unary(scope, out)
        operators = 0
        while self._operator_follows(None):
            op = self._binary_at()
            assert op is not None
            self.pos += len(op)
            operators += 1
            self._deeper()  # each operator is one more level of python-hcl2's tree
            self.newlines()
            self.unary(scope, out)
            value, is_object = NOTLIT, False
        self.depth -= operators
        return value, is_object

    def unary(self, scope: frozenset[str], out: list[Ref]) -> tuple[object, bool]:
        c = self.peek()
        if c == "!" and not self.at("!="):
            self.pos += 1
            self.term(scope, out)
            return NOTLIT, False
        if c == "-":
            m = _NUMBER.match(self.text, self.pos)
            if m is None:  # unary minus
                self.pos += 1
                self.term(scope, out)
                return NOTLIT, False
        return self.term(scope, out)

    def term(self, scope: frozenset[str], out: list[Ref]) -> tuple[object, bool]:
        """An expr_term with its traversal: (value or NOTLIT, is an object)."""
        c = self.peek()
        text = self.text
        if c == "-" or c.isdigit():
            m = _NUMBER.match(text, self.pos)
            if m is None or _NAME.match(text, m.end()) or text.startswith(".", m.end()) or (
                    c == "-" and text.startswith("-", m.end())):  # -1-2.5 is one FLOAT_LITERAL there
                raise Unsupported("number")
            self.pos = m.end()
            number = m.group()
            return (float(number) if m.group(1) or m.group(2) else int(number)), False
        if c == '"':
            value = self.string(scope, out)
            return self._postfix(scope, out, value)[0], False
        if c == "<":
            return self.heredoc(scope, out), False
        if c == "(":
            self.pos += 1
            self._deeper()
            self.newlines()
            self.expression(scope, out)
            self.newlines()
            self.take(")")
            self.depth -= 1
            return self._postfix(scope, out, NOTLIT)[0], False
        if c == "[":
            value = self.tuple_expr(scope, out)
            return self._postfix(scope, out, value)[0], False
        if c == "{":
            value, _ = self.object_expr(scope, out)
            value, stepped = self._postfix(scope, out, value)
            return value, not stepped
        m = _NAME.match(text, self.pos)
        if m is None:
            raise Unsupported("expression")
        name = m.group()
        if name in _KEYWORDS:
            raise Unsupported("keyword in an expression")
        line = self.line
        self.pos = m.end()
        if name in _LITERALS:
            if self.at(".") or self.at("["):
                raise Unsupported("traversal of a literal")
            return _LITERALS[name], False
        if self.at("(") or self.at("::"):
            self.call(scope, out)
            return self._postfix(scope, out, NOTLIT)[0], False
        self.traversal(name, line, scope, out)
        return NOTLIT, False

    def _postfix(self, scope: frozenset[str], out: list[Ref], value: object) -> tuple[object, bool]:
        """Index or attribute steps after a term that is not a name (their index expressions'
        refs): (the value, or NOTLIT after steps; whether there were steps)."""
        if not (self.at(".") or self.at("[")):
            return value, False
        self._steps(scope, out, [])
        return NOTLIT, True

    def traversal(self, name: str, line: int, scope: frozenset[str], out: list[Ref]) -> None:
        parts = [name]
        later: list[Ref] = []
        indexed = self._steps(scope, later, parts)
        if name not in scope:
            out.append(Ref(tuple(parts), line, indexed))
        out.extend(later)

    def _steps(self, scope: frozenset[str], out: list[Ref], parts: list[str]) -> bool:
        """Consume ``.name``, ``.0``, ``[expr]``, ``.*`` and ``[*]`` steps; names go to ``parts``
        until the first other step; True if that step came right after two names."""
        start_depth = self.depth
        try:
            return self._step_loop(scope, out, parts)
        finally:
            self.depth = start_depth

    def _step_loop(self, scope: frozenset[str], out: list[Ref], parts: list[str]) -> bool:
        text = self.text
        open_parts = True
        indexed = False
        while True:
            self._deeper()  # each step nests python-hcl2's tree one level deeper
            if text.startswith(".", self.pos):  # no space: python-hcl2 ignores spaces, but rendered HCL has none
                if text.startswith(".*", self.pos):
                    self.pos += 2
                    indexed, open_parts = self._stop(parts, open_parts, indexed)
                    continue
                if text.startswith("...", self.pos):
                    return indexed
                self.pos += 1
                m = _NAME.match(text, self.pos)
                if m is not None:
                    self.pos = m.end()
                    if open_parts:
                        parts.append(m.group())
                    continue
                d = _DIGITS.match(text, self.pos)
                if d is None or _NAME.match(text, d.end()):
                    raise Unsupported("step")
                self.pos = d.end()
                indexed, open_parts = self._stop(parts, open_parts, indexed)
                continue
            if text.startswith("[*]", self.pos):
                self.pos += 3
                indexed, open_parts = self._stop(parts, open_parts, indexed)
                continue
            if text.startswith("[", self.pos):
                self.pos += 1
                indexed, open_parts = self._stop(parts, open_parts, indexed)
                self._deeper()
                self.newlines()
                self.expression(scope, out)
                self.newlines()
                self.take("]")
                self.depth -= 1
                continue
            return indexed

    @staticmethod
    def _stop(parts: list[str], open_parts: bool, indexed: bool) -> tuple[bool, bool]:
        if open_parts:
            return indexed or len(parts) == 2, False
        return indexed, False

    def call(self, scope: frozenset[str], out: list[Ref]) -> None:
        if self.at("::"):
            self.take("::")
            self.name()
            self.take("::")
            self.name()
        self.take("(")
        self._deeper()
        self.newlines()
        if not self.at(")"):
            while True:
                self.expression(scope, out)
                self.newlines()
                if self.at("..."):
                    self.take("...")
                    self.newlines()
                    break
                if not self.at(","):
                    break
                self.take(",")
                self.newlines()
                if self.at(")"):
                    break
        self.take(")")
        self.depth -= 1

    def tuple_expr(self, scope: frozenset[str], out: list[Ref]) -> object:
        self.take("[")
        self._deeper()
        self.newlines()
        if self._for_next():
            self.for_expr(scope, out, "]")
            self.depth -= 1
            return NOTLIT
        values: list[object] | None = []
        while not self.at("]"):
            value, _ = self.expression(scope, out)
            if values is not None:
                if value is NOTLIT:
                    values = None
                else:
                    values.append(value)
            self.newlines()
            if self.at(","):
                self.take(",")
                self.newlines()
            elif not self.at("]"):
                raise Unsupported("tuple separator")
        self.take("]")
        self.depth -= 1
        return NOTLIT if values is None else values

    def _for_next(self) -> bool:
        m = _NAME.match(self.text, self.pos)
        return m is not None and m.group() == "for"

    def for_expr(self, scope: frozenset[str], out: list[Ref], closing: str) -> None:
        self.name()  # for
        self.newlines()
        names = [self.name()]
        if self.at(","):
            self.take(",")
            names.append(self.name())
            self.newlines()
        self.newlines()
        if self.name() != "in":
            raise Unsupported("for without in")
        self.newlines()
        self.expression(scope, out)
        self.newlines()
        self._colon()
        self.newlines()
        inner = scope | set(names)
        self.expression(inner, out)
        if closing == "}":
            self._space()
            if not self.at("=>"):
                raise Unsupported("for object without =>")
            self.take("=>")
            self.newlines()
            self.expression(inner, out)
            self.newlines()
            if self.at("..."):
                self.take("...")
        self.newlines()
        m = _NAME.match(self.text, self.pos)
        if m is not None and m.group() == "if":
            self.pos = m.end()
            self.newlines()
            self.expression(inner, out)
        self.newlines()
        self.take(closing)

    def object_expr(self, scope: frozenset[str], out: list[Ref]) -> tuple[object, bool]:
        self.take("{")
        self._deeper()
        self.newlines()
        if self._for_next():
            self.for_expr(scope, out, "}")
            self.depth -= 1
            return NOTLIT, True
        values: dict[str, object] | None = {}
        while not self.at("}"):
            key = self._object_key(scope, out)
            self._space()
            if self.text.startswith("=", self.pos) and not self.text.startswith(("==", "=>"), self.pos):
                self.pos += 1
            else:
                self._colon()
            value, _ = self.expression(scope, out)
            if values is not None:
                if key is NOTLIT or value is NOTLIT:
                    values = None
                else:
                    values[str(key)] = value
            self.newlines()
            if self.at(","):
                self.take(",")
            self.newlines()
        self.take("}")
        self.depth -= 1
        return (NOTLIT if values is None else values), True

    def _object_key(self, scope: frozenset[str], out: list[Ref]) -> object:
        c = self.peek()
        if c == '"':
            return self.string(scope, out)
        if c == "(":
            self.term(scope, out)
            return NOTLIT
        name = self.name()
        if name in _KEYWORDS or name in _LITERALS or self.at(".") or self.at("[") or self.at("("):
            raise Unsupported("object key")
        return name

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
        out.extend(r for r in expression_refs_at(inner, line) if r.parts[0] not in scope)
