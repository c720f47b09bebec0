"""`dsaas-infra render`: spec files -> blueprint directories."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra.errors import OutputConflictError, SpecError, UsageError
from dsaas_infra.render import render_blueprint
from dsaas_infra.render.writer import check_writable, write_blueprint
from dsaas_infra.spec import load_spec
from dsaas_infra.terraform.workspace import default_out, write_source


def run(specs: list[Path], out: Path | None, force: bool) -> int:
    """Render every spec, or none: all specs are validated and every target is checked for
    hand edits before the first file is written."""
    loaded = []
    problems = []
    for path in dict.fromkeys(specs):
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
        elif out is not None:
            target = out / f"{spec.client.name}-{spec.client.environment}"
        else:
            target = default_out(spec)
        if target in targets:
            raise UsageError(
                f"{path} and {targets[target]} both render to {target} "
                "(same client and environment)"
            )
        targets[target] = path
    jobs = [(path, spec, render_blueprint(spec), target) for (path, spec), target in zip(loaded, targets)]
    conflicts = []
    for _, _, files, target in jobs:
        try:
            check_writable(files, target, force)
        except OutputConflictError as e:
            conflicts.append(str(e))
    if conflicts:
        raise OutputConflictError("\n".join(conflicts))
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for path, spec, files, target in jobs:
        result = write_blueprint(files, target, force=force)
        # Lets `plan DIR` / `destroy DIR` find the spec (preflight) and the client name.
        write_source(target, spec, path)
        console.print(
            f"rendered {escape(str(path))} -> {escape(str(target))} ({spec.cloud}, {spec.client.maturity}): "
            f"{len(result.written)} written, {len(result.unchanged)} unchanged"
            + (f", {len(result.removed)} removed" if result.removed else "")
        )
    return 0
