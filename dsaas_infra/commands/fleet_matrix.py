"""`dsaas-infra fleet-matrix`: the GitHub matrix of the clients a change touches (for the workflows)."""

from __future__ import annotations

import sys
from pathlib import Path

from dsaas_infra import exit_codes
from dsaas_infra.errors import OperationError, UsageError


def run(index_file: Path, changed: Path | None, all_clients: bool, shard: int | None) -> int:
    from dsaas_infra.fleet import index, matrix

    if (changed is None) == (not all_clients):
        raise UsageError("give either --changed FILE (one changed path a line) or --all")
    clients = index.load(index_file)
    if not all_clients:
        try:
            paths = changed.read_text().splitlines()  # type: ignore[union-attr]
        except OSError as e:
            raise OperationError(f"cannot read {changed}: {e.strerror or e}") from e
        clients = matrix.changed_clients(clients, paths)
    sys.stdout.write(matrix.github_outputs(clients, shard))
    return exit_codes.OK
