"""python-hcl2's lark parser, with its compiled grammar cached in the user's cache directory.

python-hcl2 caches the compiled grammar next to its own code (site-packages/hcl2/.lark_cache.bin);
on a read-only install that write fails and every run pays seconds to rebuild the parser. Here the
same grammar and options are built once into $XDG_CACHE_HOME/dsaas-infra (else ~/.cache/dsaas-infra),
keyed by the python-hcl2 and lark versions, and loaded from there afterwards (lark verifies the
grammar's hash and rebuilds a stale or damaged file). Without a writable cache directory it still
works, uncached.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lark import Lark, Tree


def cache_dir(env: dict[str, str] | os._Environ = os.environ) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "dsaas-infra"


def cache_file(env: dict[str, str] | os._Environ = os.environ) -> Path:
    import hcl2
    import lark
    version = getattr(hcl2, "__version__", "unknown")
    return cache_dir(env) / f"hcl2-{version}-lark-{lark.__version__}.grammar.bin"


def _build(cache: str | bool) -> Lark:
    import hcl2.parser as hcl2_parser
    from hcl2.postlexer import PostLexer
    # The same grammar and options as hcl2.parser.parser(), only the cache location differs.
    return Lark.open("hcl2.lark", parser="lalr", cache=cache, rel_to=hcl2_parser.__file__,
                     propagate_positions=True, postlex=PostLexer())


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    except OSError:
        writable = False
    if not writable and not path.is_file():
        return _build(False)
    # lark hashes the cache file name into its key, so it is always this name; it checks the grammar's
    # hash on load and rebuilds (and rewrites) a stale or half-written file.
    return _build(str(path))


def parses_to_tree(text: str) -> Tree:
    """hcl2.parses_to_tree with the cached parser."""
    # python-hcl2 appends a newline too (lark has no end-of-file token for "newline or EOF")
    return parser().parse(text + "\n")
