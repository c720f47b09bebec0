"""`dsaas-infra render`: spec files and folders of specs -> blueprint directories."""

from __future__ import annotations

import sys
from pathlib import Path

from dsaas_infra import exit_codes
from dsaas_infra.render.batch import Placed, place, write_all
from dsaas_infra.render.parallel import render_specs
from dsaas_infra.spec.discover import spec_files


def run(specs: list[Path], out: Path | None, force: bool, jobs: int | None = None,
        check: bool = False, diff: bool = False) -> int:
    """Render every spec, or none: all specs are validated (in worker processes) and every
    target is checked for hand edits before the first file is written. With ``check`` or
    ``diff`` nothing is written: exit 1 when a render would change a blueprint."""
    paths = spec_files(specs)
    single = len(paths) == 1 and not any(p.is_dir() for p in specs)
    placed = place(render_specs(paths, jobs), out, single)
    if check or diff:
        return _check(placed, diff)
    results = write_all(placed, force)
    # Plain lines, not rich (a tenth of a second of imports for one line per blueprint).
    for p, result in zip(placed, results, strict=True):
        sys.stderr.write(
            f"rendered {p.item.path} -> {p.target} "
            f"({p.item.spec.cloud}, {p.item.spec.client.maturity}): "
            f"{len(result.written)} written, {len(result.unchanged)} unchanged"
            + (f", {len(result.removed)} removed" if result.removed else "") + "\n"
        )
    return exit_codes.OK


def _check(placed: list[Placed], diff: bool) -> int:
    from dsaas_infra import __version__
    from dsaas_infra.upgrade.changes import plan_render
    from dsaas_infra.upgrade.report import diff_text, text_lines

    stale = False
    for p in placed:
        up = plan_render(p.target, p.item.files, __version__, p.item.path)
        stale = stale or bool(up.changed)
        if diff:
            sys.stdout.write(diff_text(up))
        (sys.stderr if diff else sys.stdout).write("\n".join(text_lines(up, check=True)) + "\n")
    return exit_codes.STALE if stale else exit_codes.OK
