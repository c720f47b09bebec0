"""The fleet index (fleet.json): one machine-readable entry per client-environment of the repository."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dsaas_infra import clouds
from dsaas_infra.errors import SpecError, SpecProblem, UsageError
from dsaas_infra.spec.resolved import ResolvedSpec

INDEX_FILE = "fleet.json"
CLIENTS_DIR = "clients"
SPECS_DIR = "specs"
# A GitHub matrix makes at most 256 jobs per workflow run; each shard's workflow also runs one
# job that computes the matrix (and drift one that summarises), so a shard holds fewer.
SHARD_SIZE = 250


@dataclass(frozen=True)
class FleetClient:
    name: str  # <client>-<environment>: blueprint folder, GitHub environment, concurrency key
    client: str
    environment: str
    cloud: str
    account: str  # AWS account id or GCP project id
    region: str
    blueprint: str  # clients/<name>
    spec: str  # specs/<name>.yaml
    spec_sha256: str
    shard: int
    # AWS: role_arn / plan_role_arn; GCP: workload_identity_provider / service_account / plan_service_account
    ci: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def role_name(spec: ResolvedSpec, purpose: str) -> str:
    """The IAM role (AWS) a blueprint with ci.create_identity creates: purpose is apply or plan."""
    return f"{spec.name_prefix}-github-{purpose}"


def ci_identity(spec: ResolvedSpec, spec_file: str) -> dict[str, str]:
    """The identity each job of this client logs in with; none is a located spec error."""
    def missing(key: str, message: str) -> SpecError:
        return SpecError([SpecProblem(spec_file, None, None, key, message)])

    return clouds.of(spec).ci_identity(spec, missing)


def build(entries: list[tuple[ResolvedSpec, bytes, str]]) -> list[FleetClient]:
    """(spec, its file's bytes, its file name) per client -> index entries sorted by name, sharded."""
    ordered = sorted(entries, key=lambda e: (e[0].client.name, e[0].client.environment))
    problems = []
    clients = []
    for i, (spec, raw, file) in enumerate(ordered):
        name = spec.name_prefix
        try:
            ci = ci_identity(spec, file)
        except SpecError as e:
            problems.extend(e.problems)
            continue
        cloud = clouds.of(spec)
        account, region = cloud.account(spec), cloud.region(spec)
        clients.append(FleetClient(name, spec.client.name, spec.client.environment, spec.cloud, account, region,
                                   f"{CLIENTS_DIR}/{name}", f"{SPECS_DIR}/{name}.yaml",
                                   hashlib.sha256(raw).hexdigest(), i // SHARD_SIZE + 1, ci))
    if problems:
        raise SpecError(problems)
    return clients


def shards(clients: list[FleetClient]) -> int:
    return max((c.shard for c in clients), default=1)


def dump(clients: list[FleetClient], generator: str) -> str:
    doc = {"generator": generator, "shard_size": SHARD_SIZE, "shards": shards(clients),
           "clients": [c.to_json() for c in clients]}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def load(path: Path) -> list[FleetClient]:
    try:
        doc = json.loads(path.read_text())
        return [FleetClient(**c) for c in doc["clients"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path}: not a fleet index written by `dsaas-infra fleet` ({e})") from e
