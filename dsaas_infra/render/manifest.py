"""The manifest of a rendered blueprint (file hashes, version, spec) and its pristine base files."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra import __version__
from dsaas_infra.errors import OutputConflictError

MANIFEST = ".dsaas-infra-manifest.json"
# dsaas-infra's own folder in a blueprint (plans, records, source.json): also never a symlink.
WORK_DIR = ".dsaas"
# The pristine bytes of the last render, one file per rendered file: the base `upgrade` merges from.
BASE_DIR = f"{WORK_DIR}/base"


@dataclass(frozen=True)
class Manifest:
    """What the last render recorded: file hashes, the version that rendered, the spec (relative
    to the blueprint) it rendered from."""

    files: dict[str, str]
    version: str | None = None
    spec: str | None = None


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path) -> dict[str, str]:
    """The file hashes recorded by the last render into ``out_dir`` ({} if none)."""
    manifest = read_manifest_data(out_dir)
    return manifest.files if manifest is not None else {}


def read_manifest_data(out_dir: Path) -> Manifest | None:
    """The last render's manifest (None if there is none)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text())
        files = dict(data["files"])
        version = data.get("version") or _generator_version(data.get("generator"))
        spec = data.get("spec")
        if not all(isinstance(v, str) for v in files.values()) or not isinstance(spec, (str, type(None))):
            raise TypeError("hashes and the spec must be strings")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise OutputConflictError(
            f"{out_dir / MANIFEST}: unreadable manifest ({e}); remove it or use --force"
        ) from e
    unsafe = sorted(name for name in files if not inside(name))
    if unsafe:
        # A manifest naming files outside the blueprint would make a re-render read or
        # delete them: never trust it.
        raise OutputConflictError(
            f"{out_dir / MANIFEST}: names files outside the blueprint ({', '.join(unsafe)}); "
            "remove the manifest and render with --force"
        )
    return Manifest(files, version if isinstance(version, str) else None, spec)


def _generator_version(generator: object) -> str | None:
    """Manifests before the version key: ``"generator": "dsaas-infra 0.1.0"``."""
    if isinstance(generator, str) and generator.startswith("dsaas-infra "):
        return generator.removeprefix("dsaas-infra ")
    return None


def base_name(name: str) -> str:
    """Where the pristine render of ``name`` is kept."""
    return f"{BASE_DIR}/{name}"


def read_base(out_dir: Path, manifest: Manifest) -> dict[str, bytes]:
    """The pristine bytes of each file of the last render that are still intact (their hash
    is the manifest's); never read through a symlink."""
    base = {}
    for name, digest in manifest.files.items():
        path = out_dir / base_name(name)
        if symlink_in(out_dir, base_name(name)) is not None or not path.is_file():
            continue
        data = path.read_bytes()
        if sha(data) == digest:
            base[name] = data
    return base


def inside(name: object) -> bool:
    """A plain relative POSIX path that stays below the blueprint folder: no ``..``, ``.``,
    empty or absolute parts, no backslashes, no control characters."""
    if not isinstance(name, str) or not name or "\\" in name or name.startswith("/"):
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def symlink_in(out_dir: Path, name: str) -> str | None:
    """The first part of ``out_dir/name`` (relative) that is a symlink, or None.

    Writes and deletes never go through a symlink inside the blueprint: a blueprint kept in
    git can carry one (``files -> /etc``) together with a manifest naming a file behind it.
    """
    path = out_dir
    parts = name.split("/")
    for i, part in enumerate(parts):
        path = path / part
        if path.is_symlink():
            return "/".join(parts[: i + 1])
        if not path.exists():
            return None
    return None


def manifest_bytes(files: dict[str, bytes], spec: str | None = None, version: str = __version__) -> bytes:
    data: dict[str, object] = {
        "generator": f"dsaas-infra {version}",
        "version": version,
        "base": BASE_DIR,
        "files": {name: sha(content) for name, content in sorted(files.items())},
    }
    if spec is not None:
        data["spec"] = spec
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def spec_reference(out_dir: Path, spec_path: Path | None) -> str | None:
    """The spec's path relative to the blueprint (POSIX), so a clone elsewhere still finds it."""
    if spec_path is None:
        return None
    return Path(os.path.relpath(Path(spec_path).resolve(), Path(out_dir).resolve())).as_posix()
