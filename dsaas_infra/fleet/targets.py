"""SPEC|DIR... arguments of the fleet commands -> one workspace per client, rendered when a spec."""

from __future__ import annotations

import os
from pathlib import Path

from dsaas_infra.blueprint_dir import BlueprintDir, resolve
from dsaas_infra.errors import UsageError

_MARKER = ".dsaas-infra-manifest.json"


def is_blueprint(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.tf"))


def is_many(paths: list[Path]) -> bool:
    """More than one client: several arguments, or a folder that is not itself a blueprint."""
    return len(paths) > 1 or (len(paths) == 1 and paths[0].is_dir() and not is_blueprint(paths[0]))


def blueprint_dirs(root: Path) -> list[Path]:
    """Rendered blueprints below ``root`` (e.g. a fleet repository's clients/), sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if _MARKER in files or any(f.endswith(".tf") for f in files):
            found.append(Path(folder))
            dirs[:] = []
    return found


def workspaces(paths: list[Path], out: Path | None, jobs: int | None = None) -> tuple[list[BlueprintDir], list]:
    """Blueprint directories as they are; specs (files, or folders holding no blueprint) are
    rendered in memory on every core and returned as pending writes (written after preflight)."""
    from dsaas_infra.spec.discover import spec_files

    dirs: list[Path] = []
    specs: list[Path] = []
    for path in paths:
        if is_blueprint(path):
            dirs.append(path)
        elif path.is_dir():
            found = blueprint_dirs(path)
            if found:
                dirs.extend(found)
            else:
                specs.extend(spec_files([path]))
        elif path.exists():
            specs.append(path)
        else:
            raise UsageError(f"{path}: no such spec file or blueprint directory")
    result = [resolve(d, None) for d in dict.fromkeys(dirs)]
    placed: list = []
    if specs:
        from dsaas_infra.render.batch import place
        from dsaas_infra.render.parallel import render_specs

        placed = place(render_specs(list(dict.fromkeys(specs)), jobs), out, single=False)
        for p in placed:
            result.append(BlueprintDir(p.target, p.item.spec.client.name, p.item.spec, p.item.path, from_spec=True))
    seen: dict[Path, BlueprintDir] = {}
    for ws in result:
        key = ws.dir.resolve()
        if key in seen:
            raise UsageError(f"{ws.dir} is named twice (as {seen[key].spec_path or seen[key].dir} and "
                             f"{ws.spec_path or ws.dir})")
        seen[key] = ws
    return result, placed


def label(ws: BlueprintDir) -> str:
    if ws.spec is not None:
        return ws.spec.name_prefix
    return ws.dir.resolve().name
