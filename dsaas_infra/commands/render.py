"""`dsaas-infra render`: spec files -> blueprint directories."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dsaas_infra.errors import DsaasError, SpecError, UsageError
from dsaas_infra.render import render_blueprint, write_blueprint
from dsaas_infra.spec import load_spec


def run(specs: list[Path], out: Path | None, force: bool) -> int:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    loaded = []
    problems = []
    # Validate every spec before writing anything: a batch either renders or reports.
    for path in specs:
        try:
            loaded.append((path, load_spec(path)))
        except SpecError as e:
            problems.extend(e.problems)
    if problems:
        raise SpecError(problems)
    targets: dict[Path, Path] = {}
    for path, spec in loaded:
        if len(loaded) == 1 and out is not None:
            target = out
        else:
            target = (out or Path("build")) / f"{spec.client.name}-{spec.client.environment}"
        if target in targets:
            raise UsageError(
                f"{path} and {targets[target]} both render to {target} "
                "(same client and environment)"
            )
        targets[target] = path
    rendered = [(path, spec, render_blueprint(spec)) for path, spec in loaded]
    failures = 0
    for (path, spec, files), target in zip(rendered, targets):
        try:
            result = write_blueprint(files, target, force=force)
        except DsaasError as e:
            console.print(f"[red]error:[/] {e}")
            failures += 1
            continue
        console.print(
            f"rendered {path} -> {target} ({spec.cloud}, {spec.client.maturity}): "
            f"{len(result.written)} written, {len(result.unchanged)} unchanged"
            + (f", {len(result.removed)} removed" if result.removed else "")
        )
    return 2 if failures else 0
