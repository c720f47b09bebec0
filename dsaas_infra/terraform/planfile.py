"""The saved plan next to a blueprint and the record that ties it to the exact files it was made for."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from dsaas_infra.errors import OperationError, UsageError

# dsaas-infra's own working folder inside a blueprint (plans, records); never hashed.
WORK_DIR = ".dsaas"
PLAN_FILE = "plan.tfplan"
RECORD_FILE = "plan.json"
DESTROY_PLAN_FILE = "destroy.tfplan"

# Terraform's working data: it changes by running Terraform, not by editing the blueprint.
# `build/` holds the Lambda/Cloud Function archives that Terraform packages at plan time.
_SKIP_DIRS = {".terraform", WORK_DIR, "build"}


def _skipped(rel: PurePosixPath) -> bool:
    first = rel.parts[0]
    if first in _SKIP_DIRS or first.startswith(".dsaas-staging-"):
        return True
    name = rel.name
    return (
        name.endswith((".tfstate", ".tfplan"))
        or ".tfstate." in name
        or name == ".terraform.tfstate.lock.info"
        or (name.startswith("crash.") and name.endswith(".log"))
    )


def blueprint_hashes(blueprint: Path) -> dict[str, str]:
    """sha256 of every file of the blueprint (rendered files, hand-added files, the provider
    lock file), keyed by POSIX path relative to ``blueprint``."""
    hashes: dict[str, str] = {}
    for root, dirs, files in os.walk(blueprint):
        rel_root = PurePosixPath(Path(root).relative_to(blueprint).as_posix())
        dirs[:] = sorted(d for d in dirs if not _skipped(rel_root / d))
        for name in sorted(files):
            rel = rel_root / name
            if not _skipped(rel):
                hashes[str(rel)] = _file_hash(Path(root) / name)
    return dict(sorted(hashes.items()))


def _file_hash(path: Path) -> str:
    """sha256 of a file; of a symlink, of where it points and (Terraform reads through it) of
    the file there, if it is one: a loop or a dangling link is hashed, not a crash."""
    if path.is_symlink():
        data = b"symlink:" + os.fsencode(os.readlink(path))
        try:
            if path.is_file():
                data += b"\0" + path.read_bytes()
        except OSError:
            pass
        return hashlib.sha256(data).hexdigest()
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise OperationError(f"cannot read {path}: {e.strerror or e}") from e


def blueprint_hashes_of(files: dict[str, bytes]) -> dict[str, str]:
    """The same hashes for a blueprint rendered in memory."""
    return {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}


def digest(hashes: dict[str, str]) -> str:
    """One sha256 for the whole blueprint (order-independent: paths are sorted)."""
    h = hashlib.sha256()
    for name, sha in sorted(hashes.items()):
        h.update(f"{name}\0{sha}\n".encode())
    return h.hexdigest()


def differences(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """What changed since the plan, one "name (changed|added|removed)" per file."""
    out = []
    for name in sorted(set(recorded) | set(current)):
        if name not in current:
            out.append(f"{name} (removed)")
        elif name not in recorded:
            out.append(f"{name} (added)")
        elif recorded[name] != current[name]:
            out.append(f"{name} (changed)")
    return out


def stale_render(recorded: dict[str, str], rendered: dict[str, bytes]) -> list[str]:
    """Rendered files whose content differs from what was planned (the spec changed since)."""
    now = blueprint_hashes_of(rendered)
    return [name for name, sha in now.items() if recorded.get(name) != sha]


@dataclass
class PlanRecord:
    """Written next to the plan file: which files, with which hashes, the plan was made for."""

    blueprint_sha256: str
    files: dict[str, str]
    plan_file: str = f"{WORK_DIR}/{PLAN_FILE}"
    # sha256 of the plan file itself: apply refuses a plan file that `plan` did not write.
    plan_sha256: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @classmethod
    def for_blueprint(cls, blueprint: Path) -> PlanRecord:
        files = blueprint_hashes(blueprint)
        return cls(blueprint_sha256=digest(files), files=files)


def plan_path(blueprint: Path, destroy: bool = False) -> Path:
    return blueprint / WORK_DIR / (DESTROY_PLAN_FILE if destroy else PLAN_FILE)


def record_path(blueprint: Path) -> Path:
    return blueprint / WORK_DIR / RECORD_FILE


def work_dir(blueprint: Path) -> Path:
    """Create (if needed) and return the blueprint's .dsaas folder; failing to is one error line."""
    path = blueprint / WORK_DIR
    _refuse_symlink(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OperationError(f"cannot write {path}: {e.strerror or e}") from e
    return path


def _refuse_symlink(path: Path) -> None:
    """Never write through a symlinked .dsaas folder (a blueprint from git can carry one)."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symlink: refusing to write through it (make it a plain folder)")


def write_json(path: Path, data: Any) -> None:
    """Write a small JSON file atomically (temp file, then rename); failing to is one error line."""
    _refuse_symlink(path.parent)
    _refuse_symlink(path)
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError as e:
        raise OperationError(f"cannot write {path}: {e.strerror or e}") from e


def write_record(blueprint: Path, record: PlanRecord) -> None:
    write_json(record_path(blueprint), asdict(record))


def read_record(blueprint: Path) -> PlanRecord | None:
    """The record of the last plan, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads(record_path(blueprint).read_text())
        return PlanRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def forget_plan(blueprint: Path) -> None:
    """Remove the saved plan and its record (after apply: a plan is good for one apply)."""
    for path in (record_path(blueprint), plan_path(blueprint)):
        path.unlink(missing_ok=True)
