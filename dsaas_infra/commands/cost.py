"""`dsaas-infra cost`: a monthly estimate per client, phase and resource family, as a range."""

from __future__ import annotations

import sys
from pathlib import Path

from dsaas_infra import exit_codes
from dsaas_infra.errors import SpecError, UsageError

FORMATS = ("text", "json")


def _targets(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(spec, rendered blueprint or None) per target: a spec, a folder of specs, or a blueprint."""
    from dsaas_infra.blueprint_dir import read_source

    out: list[tuple[Path, Path | None]] = []
    for path in paths:
        if path.is_dir() and any(path.glob("*.tf")):
            spec = read_source(path).get("spec")
            if not spec or not Path(spec).is_file():
                raise UsageError(f"{path}: blueprint without a recorded spec (.dsaas/source.json): give the spec")
            out.append((Path(spec), path))
        elif path.is_dir():
            specs = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if not specs:
                raise UsageError(f"{path}: no .tf files and no .yaml/.yml specs here")
            out.extend((s, None) for s in specs)
        elif path.is_file():
            out.append((path, None))
        else:
            raise UsageError(f"{path}: no such spec file or directory")
    return out


def blueprint_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.tf"))}


def run(paths: list[Path], fmt: str = "text", prices_file: Path | None = None) -> int:
    from rich.console import Console

    from dsaas_infra.cost.estimate import estimate
    from dsaas_infra.cost.prices import load_prices
    from dsaas_infra.cost.report import print_text, to_json
    from dsaas_infra.render import render_blueprint
    from dsaas_infra.spec import load_spec

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not paths:
        raise UsageError("cost needs at least one spec, folder of specs or blueprint directory")
    prices = load_prices(prices_file)
    estimates, problems = [], []
    for spec_path, blueprint in _targets(paths):
        try:
            spec = load_spec(spec_path)
        except SpecError as e:
            problems.extend(e.problems)
            continue
        files = blueprint_files(blueprint) if blueprint else render_blueprint(spec)
        estimates.append(estimate(spec, files, prices))
    if problems:
        raise SpecError(problems)
    if fmt == "json":
        sys.stdout.write(to_json(estimates))
    else:
        console = Console(highlight=False)
        print_text(estimates, console if console.is_terminal else Console(highlight=False, width=160))
    return exit_codes.OK
