"""The user's cache directory for dsaas-infra ($XDG_CACHE_HOME/dsaas-infra, else ~/.cache/dsaas-infra), kept bounded."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

DAY = 86400.0


@dataclass(frozen=True)
class Bound:
    """How much one cache folder may hold: entries unused for ``max_age_days`` go, then the least
    recently used ones until the folder is under ``max_bytes``."""

    max_bytes: int
    max_age_days: float
    # Earlier versions kept this folder's entries directly under the cache root, named
    # ``<legacy_prefix><key>``: pruned with the folder (by age only: nothing uses them any more).
    legacy_prefix: str | None = None


# One bound per cache folder that grows with use (one entry per blueprint content for validate
# results; one compiled template per template name and install location for Jinja; one schema
# index per snapshot version and interpreter).
BOUNDS: dict[str, Bound] = {
    "validate": Bound(max_bytes=200 * 1024 * 1024, max_age_days=30),
    "jinja": Bound(max_bytes=50 * 1024 * 1024, max_age_days=30),
    "schemas": Bound(max_bytes=100 * 1024 * 1024, max_age_days=30),  # one index per snapshot and Python
    # One stub-provider mirror (about 5 MB) per installation (interpreter, package, snapshots):
    # every upgrade or new virtualenv adds one; a pruned one is rebuilt on its next use.
    "stub-providers": Bound(max_bytes=100 * 1024 * 1024, max_age_days=30, legacy_prefix="stub-providers-"),
}
PRUNE_EVERY = DAY  # a folder is pruned at most once a day: the check is one stat of its marker
MARKER = ".pruned"


def cache_root(env: dict[str, str] | os._Environ = os.environ) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "dsaas-infra"


def writable_dir(name: str, env: dict[str, str] | os._Environ = os.environ) -> Path | None:
    """``cache_root()/name``, created if missing, or None when it cannot be written (caches are
    then simply not used: a read-only home never breaks a command). A folder with a bound in
    BOUNDS is pruned to it when its last pruning is a day old."""
    path = cache_root(env) / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK | os.X_OK):
        return None
    bound = BOUNDS.get(name)
    if bound is not None:
        prune_if_due(path, bound)
    return path


def touch(path: Path) -> None:
    """Mark a cache entry as used now (pruning goes by last use), ignoring a vanished file."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune_if_due(directory: Path, bound: Bound, now: float | None = None) -> bool:
    """Prune ``directory`` if it was last pruned ``PRUNE_EVERY`` ago (or never); True if it was."""
    now = time.time() if now is None else now
    marker = directory / MARKER
    try:
        if now - marker.stat().st_mtime < PRUNE_EVERY:
            return False
    except OSError:
        pass  # never pruned
    prune(directory, bound, now)
    if bound.legacy_prefix:
        _prune_legacy(directory.parent, bound, now)
    try:
        marker.touch()
        os.utime(marker, (now, now))
    except OSError:
        pass
    return True


def _prune_legacy(root: Path, bound: Bound, now: float) -> None:
    try:
        legacy = [p for p in root.iterdir() if p.name.startswith(bound.legacy_prefix or "\0")]
    except OSError:
        return
    for path in legacy:
        try:
            if now - path.lstat().st_mtime <= bound.max_age_days * DAY:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue


def _entry_size(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        total = 0
        for here, _, files in os.walk(path):
            for name in files:
                try:
                    total += os.lstat(os.path.join(here, name)).st_size
                except OSError:
                    pass
        return total
    return path.lstat().st_size


def prune(directory: Path, bound: Bound, now: float | None = None) -> list[Path]:
    """Remove the entries of ``directory`` (its files and folders, by last modification) unused for
    longer than the bound's age, then the oldest until the rest fit its size; the removed paths.
    Another process may be using the cache at the same time: an entry that vanishes or cannot be
    removed is skipped (readers treat a missing entry as a miss)."""
    now = time.time() if now is None else now
    entries: list[tuple[float, int, Path]] = []
    try:
        children = list(directory.iterdir())
    except OSError:
        return []
    for path in children:
        if path.name == MARKER:
            continue
        try:
            entries.append((path.lstat().st_mtime, _entry_size(path), path))
        except OSError:
            continue
    entries.sort(key=lambda e: (e[0], e[2].name))  # oldest first
    total = sum(size for _, size, _ in entries)
    removed = []
    for mtime, size, path in entries:
        if now - mtime <= bound.max_age_days * DAY and total <= bound.max_bytes:
            break
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed
