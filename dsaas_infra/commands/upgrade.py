"""`dsaas-infra upgrade DIR...`: re-render each blueprint from its recorded spec and merge the hand edits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dsaas_infra import __version__, exit_codes
from dsaas_infra.errors import UsageError
from dsaas_infra.render.manifest import MANIFEST
from dsaas_infra.spec.resolved import ResolvedSpec
from dsaas_infra.upgrade.changes import Upgrade, apply_upgrade, load_manifest, plan_upgrade
from dsaas_infra.upgrade.report import as_json, diff_text, text_lines


def recorded_spec(blueprint: Path) -> Path:
    """The spec a blueprint was rendered from: the manifest's path (relative to the blueprint,
    so a clone elsewhere finds it); for renders before the manifest recorded it, the absolute
    path `.dsaas/source.json` holds."""
    from dsaas_infra.blueprint_dir import read_source

    manifest = load_manifest(blueprint)
    candidates = []
    if manifest.spec:
        candidates.append(Path(os.path.normpath(blueprint / manifest.spec)))
    else:
        source = read_source(blueprint).get("spec")
        if isinstance(source, str) and source:
            candidates.append(Path(source))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates) or "no spec recorded"
    raise UsageError(f"{blueprint}: cannot find the spec it was rendered from ({looked}); "
                     "render the spec into it again with `dsaas-infra render SPEC --out DIR`")


def plan(blueprint: Path) -> tuple[Upgrade, ResolvedSpec]:
    from dsaas_infra.render import render_blueprint
    from dsaas_infra.spec import load_spec

    spec_path = recorded_spec(blueprint)
    spec = load_spec(spec_path)
    return plan_upgrade(blueprint, render_blueprint(spec), __version__, spec_path), spec


def blueprint_dirs(paths: list[Path]) -> list[Path]:
    """Each path that is a rendered blueprint, or else the blueprints found below it (hidden
    folders such as .git and .terraform are not searched)."""
    found = []
    for path in paths:
        if not path.is_dir():
            raise UsageError(f"{path}: not a blueprint directory (give the folder `render` wrote)")
        if (path / MANIFEST).exists() or path.is_symlink():
            found.append(path)
            continue
        below = []
        for folder, subdirs, files in os.walk(path):
            if MANIFEST in files:
                below.append(Path(folder))
                subdirs[:] = []
                continue
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".")
                                and not os.path.islink(os.path.join(folder, d)))
        if not below:
            raise UsageError(f"{path}: not rendered by dsaas-infra (no {MANIFEST} in it or below it)")
        found.extend(sorted(below))
    return found


def run(dirs: list[Path], check: bool, diff: bool, fmt: str) -> int:
    """All or nothing: every blueprint is planned (specs loaded, rendered, merged in memory)
    before the first one is written. A folder that is no blueprint stands for those below it."""
    from dsaas_infra.blueprint_dir import write_source

    seen: set[Path] = set()
    planned = []
    for blueprint in blueprint_dirs(dirs):
        if blueprint.resolve() in seen:
            continue
        seen.add(blueprint.resolve())
        planned.append(plan(blueprint))
    upgrades = [up for up, _ in planned]
    write = not (check or diff)
    if write:
        for up, spec in planned:
            apply_upgrade(up)
            if up.spec is not None:
                write_source(up.dir, spec, up.spec)
    out = sys.stdout
    if fmt == "json":
        out.write(as_json(upgrades, written=write))
    else:
        for up in upgrades:
            if diff:
                out.write(diff_text(up))
            stream = sys.stderr if diff else out
            stream.write("\n".join(text_lines(up, check=not write)) + "\n")
    if any(up.conflicts for up in upgrades):
        return exit_codes.STALE
    if not write and any(up.changed for up in upgrades):
        return exit_codes.STALE
    return exit_codes.OK

