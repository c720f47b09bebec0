"""The expressions of hclfast.py: operations, terms, traversals, calls, collections, for expressions."""

from __future__ import annotations

from dsaas_infra.validate.hclfast_cursor import (
    _BINARY,
    _BINARY_FIRST,
    _DIGITS,
    _KEYWORDS,
    _LITERALS,
    _NAME,
    _NUMBER,
    NOTLIT,
    Cursor,
    Ref,
    Unsupported,
)


class Expressions(Cursor):
    """Reads one expression at the cursor: appends its refs to ``out``, returns (value or NOTLIT, is an object)."""

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
        if text[pos:pos + 1] not in _BINARY_FIRST:
            return None
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
        raise NotImplementedError  # hclfast._Reader

    def heredoc(self, scope: frozenset[str], out: list[Ref]) -> object:
        raise NotImplementedError  # hclfast._Reader
