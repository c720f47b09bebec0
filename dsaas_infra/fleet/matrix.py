"""Changed paths of a pull request or push -> the GitHub matrix of exactly the clients they touch."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from dsaas_infra import clouds
from dsaas_infra.fleet.index import CLIENTS_DIR, SPECS_DIR, FleetClient


def changed_clients(clients: list[FleetClient], paths: list[str]) -> list[FleetClient]:
    """A client changed when a file below its blueprint or its spec file changed. Paths outside
    clients/ and specs/ (README, workflows) change no client; a removed client is not in the index."""
    by_name = {c.name: c for c in clients}
    hit: set[str] = set()
    for raw in paths:
        path = raw.strip()
        if not path:
            continue
        parts = PurePosixPath(path).parts
        if len(parts) >= 3 and parts[0] == CLIENTS_DIR and parts[1] in by_name:
            hit.add(parts[1])
        elif len(parts) == 2 and parts[0] == SPECS_DIR:
            stem = PurePosixPath(parts[1]).stem
            if stem in by_name and by_name[stem].spec == path:
                hit.add(stem)
    return [c for c in clients if c.name in hit]


def entry(c: FleetClient) -> dict[str, str]:
    """One matrix leg: only what the job's steps and `with:` inputs read."""
    leg = {"name": c.name, "cloud": c.cloud, "region": c.region, "dir": c.blueprint, "spec": c.spec,
           "plan_environment": f"{c.name}-plan"}
    # Every leg has every cloud's keys (empty where not its cloud's): the steps of the other clouds are skipped.
    leg.update({k: "" for cloud in clouds.REGISTRY.values() for k in cloud.ci_leg_keys})
    leg.update(clouds.get(c.cloud).ci_leg(c.ci))
    return leg


def matrix(clients: list[FleetClient], shard: int | None = None) -> dict[str, Any]:
    legs = [entry(c) for c in clients if shard is None or c.shard == shard]
    return {"include": legs}


def github_outputs(clients: list[FleetClient], shard: int | None) -> str:
    """Lines for $GITHUB_OUTPUT: the matrix as compact JSON and how many legs it has."""
    import json

    m = matrix(clients, shard)
    return f"matrix={json.dumps(m, separators=(',', ':'), sort_keys=True)}\ncount={len(m['include'])}\n"
