"""Compact provider schema snapshots shipped with dsaas-infra (regenerate: docs/schemas.md)."""

from __future__ import annotations

import functools
import gzip
import json
from importlib import resources


@functools.cache
def load(provider: str) -> dict | None:
    """The snapshot of a provider by its type name (``aws``, ``google``, ``google-beta``), or None."""
    entry = resources.files(__name__).joinpath(f"{provider}.json.gz")
    if not entry.is_file():
        return None
    with entry.open("rb") as f:
        return json.loads(gzip.decompress(f.read()))


def available() -> list[str]:
    return sorted(e.name.removesuffix(".json.gz") for e in resources.files(__name__).iterdir()
                  if e.name.endswith(".json.gz"))
