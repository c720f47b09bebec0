"""Terraform expressions: their constant values and the references (``var.x``, ``aws_x.y.arn``) they make."""

from __future__ import annotations

from lark import Token, Tree
from lark.exceptions import LarkError

from dsaas_infra.validate.hclfast import Ref, heredoc_refs
from dsaas_infra.validate.hclparser import parses_to_tree

__all__ = ["Ref", "body_of", "collect_refs", "heredoc_refs", "is_rule", "literal", "name_of", "parse_expression"]

_CHAIN = {"get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"}
_KEYWORDS = {"null": None, "true": True, "false": False}  # identifiers in older python-hcl2 grammars
_HEREDOC = {"HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"}


def is_rule(node: object, name: str) -> bool:
    return isinstance(node, Tree) and node.data == name


def body_of(node: Tree) -> Tree:
    return next(c for c in node.children if is_rule(c, "body"))


def name_of(node: Tree | Token) -> str:
    """Text of an identifier, keyword or a quoted label."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(str(t) for part in node.children if is_rule(part, "string_part") for t in part.children
                       if isinstance(t, Token))
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


class _NotLiteral(Exception):
    pass


def literal(node: Tree | Token) -> object:
    """The Python value of a constant expression, or None when it is not one."""
    try:
        return _literal(node)
    except _NotLiteral:
        return None


def _literal(node: Tree | Token) -> object:
    if isinstance(node, Token):
        raise _NotLiteral
    kids = [c for c in node.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
    if node.data == "expr_term" and len(kids) == 1:
        return _literal(kids[0])
    if node.data == "string":
        parts = [c for c in kids if isinstance(c, Tree)]
        if any(not isinstance(t, Token) or t.type != "STRING_CHARS" for p in parts for t in p.children):
            raise _NotLiteral
        return "".join(str(t) for p in parts for t in p.children)
    if node.data in ("int_lit", "float_lit"):
        text = str(kids[0])
        return float(text) if node.data == "float_lit" else int(text)
    if node.data == "identifier" and name_of(node) in _KEYWORDS:
        return _KEYWORDS[name_of(node)]
    if node.data == "literal_value":
        return {"true": True, "false": False, "null": None}[str(kids[0])]
    if node.data == "tuple":
        return [_literal(c) for c in kids if isinstance(c, Tree)]
    if node.data == "object":
        out = {}
        for elem in (c for c in kids if is_rule(c, "object_elem")):
            key_node, _ = _flatten(elem.children[0].children[0])
            key = name_of(key_node) if is_rule(key_node, "identifier") else _literal(key_node)
            out[str(key)] = _literal(elem.children[-1])
        return out
    raise _NotLiteral


def parse_expression(text: str, line: int) -> list[Ref]:
    """References in a bare expression (used for interpolations inside heredocs)."""
    from dsaas_infra.validate import hclfast

    return hclfast.expression_refs_at(text, line)


def lark_expression_refs(text: str, line: int) -> list[Ref]:
    """parse_expression with python-hcl2's grammar ([] when it cannot parse ``text``)."""
    try:
        tree = parses_to_tree(f"x = {text}\n")
    except LarkError:
        return []
    refs: list[Ref] = []
    collect_refs(body_of(tree).children[0].children[-1], frozenset(), refs)
    return [Ref(r.parts, line + r.line - 1, r.indexed) for r in refs]


def _flatten(node: Tree) -> tuple[Tree, list]:
    steps = []
    while isinstance(node, Tree) and node.data in _CHAIN | {"expr_term"}:
        if node.data == "expr_term":
            if len(node.children) != 1 or not isinstance(node.children[0], Tree):
                break
            node = node.children[0]
            continue
        steps.append(node.children[1])
        node = node.children[0]
    steps.reverse()
    return node, steps


def collect_refs(node: Tree | Token, scope: frozenset[str], out: list[Ref]) -> None:
    if isinstance(node, Token):
        if node.type in _HEREDOC:
            _heredoc(node, scope, out)
        return
    data = node.data
    if data in _CHAIN or data == "identifier":
        base, steps = _flatten(node)
        if is_rule(base, "identifier"):
            parts, indexed = [name_of(base)], False
            for step in steps:
                if is_rule(step, "get_attr") and not indexed:
                    parts.append(name_of(step.children[-1]))
                else:
                    indexed = indexed or len(parts) == 2
                    break
            if parts[0] not in scope and parts[0] not in _KEYWORDS:
                out.append(Ref(tuple(parts), base.meta.line, indexed))
        else:
            collect_refs(base, scope, out)
        for step in steps:
            inner = step.children if step.data in ("attr_splat", "full_splat") else [step]
            for index in inner:  # only index expressions hold references
                if is_rule(index, "braces_index"):
                    collect_refs(index, scope, out)
        return
    if data == "function_call":
        for child in node.children:
            if is_rule(child, "arguments"):
                collect_refs(child, scope, out)
        return
    if data in ("for_tuple_expr", "for_object_expr"):
        intro = next(c for c in node.children if is_rule(c, "for_intro"))
        names = [name_of(c) for c in intro.children if is_rule(c, "identifier")]
        for child in intro.children:
            if isinstance(child, Tree) and child.data not in ("identifier", "new_line_or_comment"):
                collect_refs(child, scope, out)
        inner = scope | set(names)
        for child in node.children:
            if isinstance(child, Tree) and child.data != "for_intro":
                collect_refs(child, inner, out)
        return
    if data == "object_elem":
        key = node.children[0]
        keynode, steps = _flatten(key.children[0] if is_rule(key, "object_elem_key") else key)
        if not (is_rule(keynode, "identifier") and not steps) and not is_rule(keynode, "keyword"):
            collect_refs(key, scope, out)
        collect_refs(node.children[-1], scope, out)
        return
    if data == "string":
        loop_names = {name_of(c) for part in node.children if isinstance(part, Tree)
                      for tfs in part.children if is_rule(tfs, "template_for_start")
                      for c in tfs.children if is_rule(c, "identifier")}
        scope = scope | loop_names
    if data == "template_for_start":
        exprs = [c for c in node.children if isinstance(c, Tree) and not is_rule(c, "identifier")]
        for child in exprs:
            collect_refs(child, scope, out)
        return
    for child in node.children:
        collect_refs(child, scope, out)


def _heredoc(token: Token, scope: frozenset[str], out: list[Ref]) -> None:
    heredoc_refs(str(token), token.line or 1, scope, out)
