"""Limits on the .tf input validate reads, and a copy of a blueprint that never follows symlinks.

A hostile or broken tree (an 18 MB file, brackets nested thousands deep, a symlink loop, a
folder symlink ``sub -> .``) gets a finding, never a crash or a run of minutes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lark import Tree

# The largest rendered file is about 25 KB; python-hcl2 parses some 100 KB a second.
MAX_TF_BYTES = 1_000_000
# Depth of the parse tree: rendered blueprints reach 40; each bracket level adds 1-2 levels.
# Deeper trees would exhaust Python's recursion limit in the stages that walk them.
MAX_TREE_DEPTH = 400


def tree_depth(tree: Tree, limit: int = MAX_TREE_DEPTH) -> int:
    """Depth of ``tree`` (iterative: safe on any depth), counting at most to ``limit + 1``."""
    from lark import Tree

    best = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > best:
            best = depth
            if best > limit:
                return best
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children)
    return best


def copy_tree(source: Path, target: Path, skip: frozenset[str] = frozenset()) -> None:
    """Copy the folders and regular files under ``source`` to ``target``; symlinks (loops,
    ``sub -> .``, links out of the blueprint) and the names in ``skip`` are left out."""
    target.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(source, followlinks=False):
        rel = Path(root).relative_to(source)
        dirs[:] = sorted(d for d in dirs if d not in skip and not os.path.islink(os.path.join(root, d)))
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            path = os.path.join(root, name)
            if name in skip or os.path.islink(path) or not os.path.isfile(path):
                continue
            shutil.copy2(path, target / rel / name)
