"""Terraform override files (``override.tf``, ``*_override.tf``) merged into a module's blocks, as Terraform does.

The client's slot for edits that need no merge on upgrade: an override block changes arguments of
the rendered block with the same type and labels (its attributes replace the rendered ones, each
nested block type it sets replaces all of that type), so the stages check the configuration
Terraform will run, not two declarations.
"""

from __future__ import annotations

import re
from pathlib import Path

from dsaas_infra.validate.tf_module import Block, ParseError

_OVERRIDE = re.compile(r"^(override|.+_override)\.tf$")
# Blocks identified by their labels; provider blocks also by their alias.
_KEYED = {"resource", "data", "ephemeral", "module", "variable", "output", "provider", "check"}


def is_override(path: Path) -> bool:
    return bool(_OVERRIDE.match(path.name))


def _key(block: Block) -> tuple:
    alias = block.attributes.get("alias")
    return (block.type, *block.labels, alias.value if block.type == "provider" and alias else None)


def merge(primary: list[Block], overrides: list[Block]) -> tuple[list[Block], list[ParseError]]:
    """``primary`` with ``overrides`` applied in order; an override without a block to change is
    an error (Terraform: "Missing base ... to override")."""
    errors = []
    for over in overrides:
        if over.type == "locals":
            for name, attr in over.attributes.items():
                target = next((b for b in primary if b.type == "locals" and name in b.attributes), None)
                if target is None:
                    errors.append(ParseError(over.file, attr.line, 1, f"override of local.{name}: no rendered "
                                             "local value of that name to override", rule="HCL005"))
                else:
                    target.attributes[name] = attr
            continue
        if over.type == "terraform":
            target = next((b for b in primary if b.type == "terraform"), None)
            if target is None:
                primary.append(over)
            else:
                _apply(target, over)
            continue
        if over.type not in _KEYED:
            primary.append(over)  # moved, import, removed...: no base needed
            continue
        target = next((b for b in primary if _key(b) == _key(over)), None)
        if target is None:
            what = " ".join([over.type, *(f'"{label}"' for label in over.labels)])
            errors.append(ParseError(over.file, over.line, 1, f"override of {what}: no block of that type "
                                     "and name in the other files to override", rule="HCL005"))
            continue
        _apply(target, over)
    return primary, errors


def _apply(target: Block, over: Block) -> None:
    target.attributes.update(over.attributes)
    replaced = {b.type for b in over.blocks}
    if replaced:
        target.blocks = [b for b in target.blocks if b.type not in replaced] + over.blocks
