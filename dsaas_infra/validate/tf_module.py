"""Parse Terraform files into a small located model (modules, blocks, attributes): hclfast.py, else python-hcl2."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dsaas_infra.validate.hclfast import Ref
from dsaas_infra.validate.limits import MAX_TF_BYTES, MAX_TREE_DEPTH

if TYPE_CHECKING:
    from lark import Token, Tree
    from lark.exceptions import UnexpectedInput

# lark (python-hcl2's parser) is imported only when a file needs it: hclfast.py reads rendered files.

__all__ = ["Attribute", "Block", "Module", "ParseError", "Ref", "address", "literal", "parse_expression",
           "parse_file", "parse_module"]

@dataclass
class Attribute:
    name: str
    line: int
    refs: list[Ref]
    is_object: bool  # ``name = { ... }`` (an object expression, not a block)
    value: object = None  # the value when it is a plain literal (string, number, bool, list, object)


@dataclass
class Block:
    type: str
    labels: list[str]
    file: Path
    line: int
    end_line: int
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]

    def all_refs(self, skip: frozenset[str] = frozenset()) -> list[Ref]:
        refs = [r for name, a in self.attributes.items() if name not in skip for r in a.refs]
        for child in self.blocks:
            refs.extend(child.all_refs(skip))
        return refs


@dataclass
class ParseError:
    file: Path
    line: int
    column: int
    message: str
    rule: str = "HCL001"  # HCL003: over a size or depth limit, not checked


@dataclass
class Module:
    """All ``.tf`` files of one directory."""

    path: Path
    blocks: list[Block] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def top(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


def tf_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.tf") if p.is_file())


def parse_module(directory: Path) -> Module:
    module = Module(path=directory)
    for path in sorted(directory.glob("*.tf")):
        if path.is_symlink() and not path.exists():
            module.errors.append(ParseError(path, 1, 1, "cannot read file: a symlink loop or a dangling symlink"))
    from dsaas_infra.validate.tf_override import is_override, merge

    overrides: list[Block] = []
    for path in tf_files(directory):
        module.files.append(path)
        result = parse_file(path)
        if isinstance(result, ParseError):
            module.errors.append(result)
        elif is_override(path):
            overrides.extend(result)  # applied after every other file, in name order, as Terraform does
        else:
            module.blocks.extend(result)
    if overrides:
        module.blocks, errors = merge(module.blocks, overrides)
        module.errors.extend(errors)
    return module


def parse_file(path: Path) -> list[Block] | ParseError:
    try:
        size = path.stat().st_size
        if size > MAX_TF_BYTES:
            return ParseError(path, 1, 1, f"file is {size:,} bytes, over the limit of {MAX_TF_BYTES:,}: "
                                          "not checked (split it)", rule="HCL003")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return ParseError(path, 1, 1, f"cannot read file: {e}")
    from dsaas_infra.validate import hclfast

    try:
        return hclfast.parse_blocks(text, path)
    except hclfast.Unsupported:
        pass  # python-hcl2's grammar decides, with its own messages
    return parse_text(text, path)


def literal(node: Tree | Token) -> object:
    """The Python value of a constant expression in python-hcl2's tree, or None when it is not one."""
    from dsaas_infra.validate.hclexpr import literal as tree_literal

    return tree_literal(node)


def parse_expression(text: str, line: int) -> list[Ref]:
    """References in a bare expression (used for interpolations inside heredocs)."""
    from dsaas_infra.validate.hclfast import expression_refs_at

    return expression_refs_at(text, line)


def parse_text(text: str, path: Path) -> list[Block] | ParseError:
    """``text`` read with python-hcl2's grammar (hclfast.py reads rendered files faster)."""
    from lark.exceptions import LarkError, UnexpectedInput

    from dsaas_infra.validate.hclexpr import body_of, is_rule
    from dsaas_infra.validate.hclparser import parses_to_tree
    from dsaas_infra.validate.hclscan import find_unclosed
    from dsaas_infra.validate.limits import tree_depth

    try:
        tree = parses_to_tree(text)
    except UnexpectedInput as e:
        if _at_end_of_file(e):
            # A missing brace mid-file shows only at the end: locate where the block opens, as Terraform does.
            unclosed = find_unclosed(text)
            if unclosed is not None:
                return ParseError(path, unclosed.line, unclosed.column, unclosed.message)
        return ParseError(path, e.line if e.line > 0 else 1, max(e.column, 1), _unexpected(e))
    except LarkError as e:
        return ParseError(path, 1, 1, _first_line(e))
    except RecursionError:
        return _too_deep(path)
    if tree_depth(tree) > MAX_TREE_DEPTH:
        return _too_deep(path)
    try:
        return [_block(node, path) for node in body_of(tree).children if is_rule(node, "block")]
    except RecursionError:
        return _too_deep(path)


def _too_deep(path: Path) -> ParseError:
    return ParseError(path, 1, 1, f"expressions nested too deeply (parse tree over {MAX_TREE_DEPTH} levels): "
                                  "not checked", rule="HCL003")


def _at_end_of_file(exc: UnexpectedInput) -> bool:
    from lark.exceptions import UnexpectedEOF

    token = getattr(exc, "token", None)
    return isinstance(exc, UnexpectedEOF) or getattr(token, "type", None) == "$END"


def _unexpected(exc: UnexpectedInput) -> str:
    """lark's message names the token with its whole value (which can run to the end of the file)."""
    from lark import Token

    token = getattr(exc, "token", None)
    if isinstance(token, Token) and token.type != "$END":
        value = str(token.value).strip().splitlines()
        shown = (value[0][:40] + ("..." if len(value[0]) > 40 or len(value) > 1 else "")) if value else ""
        return f"unexpected {shown!r} ({token.type})" if shown else f"unexpected {token.type}"
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _block(node: Tree, path: Path) -> Block:
    from lark import Token, Tree

    from dsaas_infra.validate.hclexpr import body_of, is_rule, name_of

    heads = []
    for child in node.children:
        if isinstance(child, Token) and child.type == "LBRACE":
            break
        if isinstance(child, Tree) and child.data != "new_line_or_comment":
            heads.append(name_of(child))
    block = Block(type=heads[0], labels=heads[1:], file=path, line=node.meta.line, end_line=node.meta.end_line)
    for child in body_of(node).children:
        if is_rule(child, "block"):
            block.blocks.append(_block(child, path))
        elif is_rule(child, "attribute"):
            attr = _attribute(child)
            block.attributes[attr.name] = attr
    return block


def _attribute(node: Tree) -> Attribute:
    from dsaas_infra.validate.hclexpr import collect_refs, is_rule, literal, name_of

    name = name_of(node.children[0])
    expr = node.children[-1]
    refs: list[Ref] = []
    collect_refs(expr, frozenset(), refs)
    inner = expr.children[0] if is_rule(expr, "expr_term") and expr.children else expr
    return Attribute(name=name, line=node.meta.line, refs=refs,
                     is_object=is_rule(inner, "object") or is_rule(inner, "for_object_expr"), value=literal(expr))


def address(block: Block) -> str:
    """Terraform-style address of a top-level block: ``aws_s3_bucket.raw``, ``data.x.y``, ``var.n``."""
    prefix = {"data": "data.", "module": "module.", "variable": "var.", "output": "output.",
              "provider": "provider.", "ephemeral": "ephemeral."}
    if block.type == "resource":
        return ".".join(block.labels)
    if block.type in prefix:
        return prefix[block.type] + ".".join(block.labels)
    return ".".join([block.type, *block.labels])
