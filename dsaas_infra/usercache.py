"""The user's cache directory for dsaas-infra ($XDG_CACHE_HOME/dsaas-infra, else ~/.cache/dsaas-infra)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root(env: dict[str, str] | os._Environ = os.environ) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "dsaas-infra"


def writable_dir(name: str, env: dict[str, str] | os._Environ = os.environ) -> Path | None:
    """``cache_root()/name``, created if missing, or None when it cannot be written (caches are
    then simply not used: a read-only home never breaks a command)."""
    path = cache_root(env) / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None
