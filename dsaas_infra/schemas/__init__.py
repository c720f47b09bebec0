"""Compact provider schema snapshots shipped with dsaas-infra (regenerate: docs/schemas.md)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

# Sections with one entry per resource type: a blueprint uses a few dozen of aws's 1,700, so their
# entries are decoded on first use, from a per-type index kept in the user cache.
LAZY_SECTIONS = ("resources", "data_sources", "ephemeral_resources")


class _LazySection(Mapping[str, Any]):
    """A section of a snapshot whose entries are decoded when first read."""

    def __init__(self, encoded: dict[str, bytes]):
        self._encoded = encoded
        self._decoded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        try:
            return self._decoded[name]
        except KeyError:
            value = self._decoded[name] = marshal.loads(self._encoded[name])
            return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    def __contains__(self, name: object) -> bool:
        return name in self._encoded


@functools.cache
def load(provider: str) -> dict | None:
    """The snapshot of a provider by its type name (``aws``, ``google``, ``google-beta``), or None."""
    entry = resources.files(__name__).joinpath(f"{provider}.json.gz")
    if not entry.is_file():
        return None
    with entry.open("rb") as f:
        compressed = f.read()
    index = _cached_index(provider, compressed)
    if index is None:
        return json.loads(gzip.decompress(compressed))
    snapshot = dict(index["meta"])
    for section, encoded in index["sections"].items():
        snapshot[section] = _LazySection(encoded)
    return snapshot


def _cached_index(provider: str, compressed: bytes) -> dict | None:
    """The per-type index of a snapshot from the user cache, built there on first use; None when
    the cache cannot be written (the snapshot is then parsed whole, as before)."""
    from dsaas_infra.usercache import writable_dir

    directory = writable_dir("schemas")
    if directory is None:
        return None
    # marshal's format belongs to the interpreter: the key covers it and the snapshot's bytes
    key = hashlib.sha256(compressed + f"{sys.version} {marshal.version}".encode()).hexdigest()[:24]
    path = directory / f"{provider}-{key}.marshal"
    try:
        index = marshal.loads(path.read_bytes())
        if isinstance(index, dict) and set(index) == {"meta", "sections"}:
            from dsaas_infra.usercache import touch

            touch(path)
            return index
    except (OSError, EOFError, ValueError, TypeError):
        pass  # absent or damaged: rebuilt
    snapshot = json.loads(gzip.decompress(compressed))
    index = {"meta": {k: v for k, v in snapshot.items() if k not in LAZY_SECTIONS},
             "sections": {s: {name: marshal.dumps(value) for name, value in snapshot[s].items()}
                          for s in LAZY_SECTIONS if isinstance(snapshot.get(s), dict)}}
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".marshal")
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps(index))
        os.replace(tmp, path)
    except OSError:
        pass
    return index


def available() -> list[str]:
    return sorted(e.name.removesuffix(".json.gz") for e in resources.files(__name__).iterdir()
                  if e.name.endswith(".json.gz"))
