"""Place rendered blueprints (OUT/<client>-<environment>), check every target, then write them all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsaas_infra.blueprint_dir import default_out, write_source
from dsaas_infra.errors import OutputConflictError, UsageError
from dsaas_infra.render.parallel import Rendered
from dsaas_infra.render.writer import WriteResult, check_writable, write_blueprint


@dataclass(frozen=True)
class Placed:
    item: Rendered
    target: Path


def place(rendered: list[Rendered], out: Path | None, single: bool) -> list[Placed]:
    """Where each blueprint goes; two specs for one client-environment name both files."""
    targets: dict[Path, Path] = {}
    placed = []
    for item in rendered:
        spec = item.spec
        if single and out is not None:
            target = out
        elif out is not None:
            target = out / spec.name_prefix
        else:
            target = default_out(spec)
        if target in targets:
            raise UsageError(f"{item.path} and {targets[target]} both render to {target} "
                             "(same client and environment)")
        targets[target] = item.path
        placed.append(Placed(item, target))
    return placed


def write_all(placed: list[Placed], force: bool) -> list[WriteResult]:
    """All or nothing: every target is checked for hand edits before the first file is written."""
    conflicts = []
    for p in placed:
        try:
            check_writable(p.item.files, p.target, force)
        except OutputConflictError as e:
            conflicts.append(str(e))
    if conflicts:
        raise OutputConflictError("\n".join(conflicts))
    results = []
    for p in placed:
        results.append(write_blueprint(p.item.files, p.target, force=force, spec_path=p.item.path))
        # Lets `plan DIR` / `destroy DIR` find the spec (preflight) and the client name.
        write_source(p.target, p.item.spec, p.item.path)
    return results
