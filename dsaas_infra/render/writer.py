"""Write a rendered blueprint to disk atomically, guarding files edited by hand."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra import __version__
from dsaas_infra.errors import OperationError, OutputConflictError

MANIFEST = ".dsaas-infra-manifest.json"


@dataclass
class WriteResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path) -> dict[str, str]:
    """The file hashes recorded by the last render into ``out_dir`` ({} if none)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text())
        files = dict(data["files"])
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OutputConflictError(
            f"{out_dir / MANIFEST}: unreadable manifest ({e}); remove it or use --force"
        ) from e
    unsafe = sorted(name for name in files if not _inside(name))
    if unsafe:
        # A manifest naming files outside the blueprint would make a re-render read or
        # delete them: never trust it.
        raise OutputConflictError(
            f"{out_dir / MANIFEST}: names files outside the blueprint ({', '.join(unsafe)}); "
            "remove the manifest and render with --force"
        )
    return files


def _inside(name: object) -> bool:
    """A relative POSIX path that stays below the blueprint folder."""
    if not isinstance(name, str) or not name or "\\" in name or name.startswith("/"):
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    data = {
        "generator": f"dsaas-infra {__version__}",
        "files": {name: _sha(content) for name, content in sorted(files.items())},
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def hand_edits(out_dir: Path, previous: dict[str, str], files: dict[str, bytes]) -> list[str]:
    """Files whose content differs from what the last render wrote (edited by hand),
    plus files the new render would overwrite that no render ever wrote."""
    conflicts = []
    for name in sorted(set(previous) | set(files)):
        path = out_dir / name
        if not path.is_file():
            continue
        current = _sha(path.read_bytes())
        if name in previous:
            if current != previous[name]:
                conflicts.append(name)
        elif name in files and current != _sha(files[name]):
            conflicts.append(name)
    return conflicts


def check_writable(files: dict[str, bytes], out_dir: Path, force: bool) -> dict[str, str]:
    """Raise OutputConflictError if ``files`` may not be written to ``out_dir``; return the
    previous render's manifest. Lets a batch check every target before writing any."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputConflictError(f"{out_dir}: exists and is not a directory")
    previous = read_manifest(out_dir) if out_dir.is_dir() else {}
    if not force:
        conflicts = hand_edits(out_dir, previous, files)
        if conflicts:
            raise OutputConflictError(
                f"{out_dir}: refusing to overwrite files changed since the last render: "
                f"{', '.join(conflicts)} (use --force to overwrite)"
            )
    return previous


def write_blueprint(files: dict[str, bytes], out_dir: Path, force: bool = False) -> WriteResult:
    """Write ``files`` under ``out_dir`` (see _write); file system errors become OperationError."""
    try:
        return _write(files, Path(out_dir), force)
    except OSError as e:
        where = e.filename if e.filename else out_dir
        raise OperationError(f"cannot write the blueprint to {out_dir}: {e.strerror or e} ({where})") from e


def _write(files: dict[str, bytes], out_dir: Path, force: bool) -> WriteResult:
    """Write ``files`` under ``out_dir``; never leave a half-written blueprint behind.

    All new content is first written and flushed into a staging folder next to the files;
    only then are the files moved into place by renames, and the manifest last. Files the
    previous render wrote and this one does not are removed. Files that nobody rendered
    (``.terraform/``, plan files) are left alone.
    """
    previous = check_writable(files, out_dir, force)
    result = WriteResult(out_dir=out_dir)
    all_files = {**files, MANIFEST: manifest_bytes(files)}
    if not out_dir.exists():
        _write_new(all_files, out_dir)
        result.written = sorted(files)
        return result
    staging = Path(tempfile.mkdtemp(prefix=".dsaas-staging-", dir=out_dir))
    try:
        to_move = []
        for name, content in all_files.items():
            target = out_dir / name
            if target.is_file() and target.read_bytes() == content:
                if name != MANIFEST:
                    result.unchanged.append(name)
                continue
            staged = staging / name
            staged.parent.mkdir(parents=True, exist_ok=True)
            with open(staged, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            to_move.append(name)
        # Manifest last: an interrupted move leaves files whose hashes the old manifest
        # does not match, which the next render reports instead of silently trusting.
        to_move.sort(key=lambda n: n == MANIFEST)
        for name in to_move:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            if name != MANIFEST:
                result.written.append(name)
        for name in sorted(set(previous) - set(files)):
            stale = out_dir / name
            if stale.is_file():
                stale.unlink()
                result.removed.append(name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _write_new(all_files: dict[str, bytes], out_dir: Path) -> None:
    """A new blueprint appears whole: written into a sibling folder, then renamed."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for name, content in all_files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
