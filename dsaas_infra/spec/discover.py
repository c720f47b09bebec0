"""Expand spec arguments: files as given, folders searched recursively for *.yaml / *.yml."""

from __future__ import annotations

import os
from pathlib import Path

from dsaas_infra.errors import UsageError

SPEC_SUFFIXES = (".yaml", ".yml")
# Rendered blueprints carry this file; their folders hold no specs (and .terraform/ may be huge).
_BLUEPRINT_MARKER = ".dsaas-infra-manifest.json"


def spec_files(paths: list[Path]) -> list[Path]:
    """Every spec named by ``paths``, each once, in argument order (a folder's specs sorted).

    Hidden folders (``.git``, ``.terraform``) and rendered blueprints are not searched; a folder
    without any spec is a usage error.
    """
    found: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            specs = _walk(path)
            if not specs:
                raise UsageError(f"{path}: no *.yaml or *.yml spec files in this folder")
        else:
            specs = [path]  # a missing file is reported by the loader, located like any bad spec
        for spec in specs:
            found.setdefault(spec.resolve(), spec)
    return list(found.values())


def _walk(root: Path) -> list[Path]:
    out: list[Path] = []
    for folder, dirs, files in os.walk(root):
        if _BLUEPRINT_MARKER in files:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(folder) / f for f in sorted(files)
                   if f.endswith(SPEC_SUFFIXES) and not f.startswith("."))
    return sorted(out, key=lambda p: p.relative_to(root).parts)
