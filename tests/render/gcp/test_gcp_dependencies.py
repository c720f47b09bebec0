"""Every GCP resource that calls a Google API waits for the API to be enabled.

On a fresh project Terraform creates `google_project_service.this` in parallel with anything
that does not depend on it: such a resource fails with SERVICE_DISABLED (403). The enabling
is only complete once `time_sleep.services` is (a freshly enabled API takes a while to reach
every endpoint), so each Google resource and data source must reach it through its references
or depends_on, directly or transitively (through other resources, data sources and locals).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec, load_spec_text
from dsaas_infra.validate.tf_module import Block, parse_module
from tests.conftest import BLUEPRINTS

GCP_SPECS = sorted(BLUEPRINTS.glob("gcp-*.yaml"))
WAIT = "time_sleep.services"

# Google resources that need no enabled API (or are the enabling itself), with the reason.
NO_API_NEEDED = {
    # The enabling: Service Usage is on in every project, and this is what turns the others on.
    "google_project_service.this": "enables the APIs; serviceusage.googleapis.com is always on",
}

# Resource and data source types of other providers, which call no Google API, with the reason.
# Any other type must be classified here (or be google_*), so nothing new slips past the check.
NO_API_TYPES = {
    "time_sleep": "a local timer (hashicorp/time)",
    "archive_file": "zips files of the blueprint on the machine running Terraform (hashicorp/archive)",
}

# A variant of the examples: a reused network (no google_compute_* network resources), with
# every serving option on, so that references to literal network paths are covered too.
REUSED_NETWORK = """\
apiVersion: dsaas-infra/v1
client:
  name: initech
  environment: staging
  maturity: managed
  owner: ml@initech.example
cloud: gcp
gcp:
  project_id: initech-ml-stg
  region: europe-west1
  apigee: {organization: dedicated}
  network:
    network: projects/initech-ml-stg/global/networks/corp
    subnetwork: projects/initech-ml-stg/regions/europe-west1/subnetworks/ml
phases:
  training: {users: [ann], gpu: t4}
  deployment: {gpu: t4, min_instances: 1, max_instances: 4}
  access:
    waf: true
    consumers:
      - {name: partner, rate_limit: 5, burst_limit: 10, quota_per_day: 1000}
"""


def _address(block: Block) -> str | None:
    if block.type == "resource" and len(block.labels) == 2:
        return ".".join(block.labels)
    if block.type == "data" and len(block.labels) == 2:
        return "data." + ".".join(block.labels)
    return None


def _target(parts: tuple[str, ...]) -> str | None:
    """The graph node a reference points at (resource, data source or local)."""
    if parts[0] == "local" and len(parts) >= 2:
        return f"local.{parts[1]}"
    if parts[0] == "data" and len(parts) >= 3:
        return f"data.{parts[1]}.{parts[2]}"
    if parts[0] in ("var", "each", "count", "path", "self", "terraform") or len(parts) < 2:
        return None
    return f"{parts[0]}.{parts[1]}"


def dependency_graph(directory: Path) -> tuple[dict[str, set[str]], dict[str, Block]]:
    """node -> the nodes it references (depends_on included); and the blocks by address."""
    module = parse_module(directory)
    assert not module.errors, module.errors
    graph: dict[str, set[str]] = {}
    blocks: dict[str, Block] = {}
    for block in module.blocks:
        if block.type == "locals":
            for name, attr in block.attributes.items():
                graph[f"local.{name}"] = {t for r in attr.refs if (t := _target(r.parts))}
            continue
        addr = _address(block)
        if addr is None:
            continue
        blocks[addr] = block
        graph[addr] = {t for r in block.all_refs(frozenset({"provider"})) if (t := _target(r.parts))}
    return graph, blocks


def waits_for_services(graph: dict[str, set[str]], start: str) -> bool:
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node == WAIT:
            return True
        if node in seen:
            continue
        seen.add(node)
        pending.extend(graph.get(node, ()))
    return False


def _render_to(files: dict[str, bytes], root: Path) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def _cases() -> list[tuple[str, str | Path]]:
    return [(p.stem, p) for p in GCP_SPECS] + [("reused-network", REUSED_NETWORK)]


@pytest.mark.parametrize("stem,source", _cases(), ids=[c[0] for c in _cases()])
def test_every_google_resource_waits_for_api_enablement(stem, source, tmp_path):
    spec = load_spec(source) if isinstance(source, Path) else load_spec_text(source, f"{stem}.yaml")
    directory = _render_to(render_blueprint(spec), tmp_path)
    graph, blocks = dependency_graph(directory)
    assert WAIT in blocks, "the blueprint has no time_sleep.services to wait on"
    assert graph[WAIT] == {"google_project_service.this"}, "the wait must follow the enabling"
    unclassified = sorted(a for a in blocks if not a.removeprefix("data.").startswith("google_")
                          and a.removeprefix("data.").split(".")[0] not in NO_API_TYPES)
    assert not unclassified, f"classify these types in NO_API_TYPES or make them wait: {unclassified}"
    google = [a for a in blocks if a.removeprefix("data.").startswith("google_")]
    assert len(google) > 20, "too few Google resources found: is the parser reading the files?"
    missing = sorted(a for a in google if a not in NO_API_NEEDED and not waits_for_services(graph, a))
    assert not missing, (
        f"{stem}: these call a Google API without depending (directly or transitively) on "
        f"{WAIT}, so they fail with SERVICE_DISABLED on a fresh project: {missing}"
    )


def test_the_walk_follows_references_locals_and_depends_on(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "time_sleep" "services" {\n  create_duration = "1s"\n}\n'
        'locals {\n  a = time_sleep.services.id\n}\n'
        'resource "google_x" "by_local" {\n  name = local.a\n}\n'
        'resource "google_x" "by_depends_on" {\n  depends_on = [google_x.by_local]\n}\n'
        'resource "google_x" "alone" {\n  name = "x"\n}\n'
    )
    graph, _ = dependency_graph(tmp_path)
    assert waits_for_services(graph, "google_x.by_local")
    assert waits_for_services(graph, "google_x.by_depends_on")
    assert not waits_for_services(graph, "google_x.alone")


# A service agent google_project_service_identity generates is usable in IAM only a little later
# (kms.tf's time_sleep.service_agents): a grant to it made at once can fail with "does not exist".
AGENT_WAIT = "time_sleep.service_agents"
AGENT_MEMBER = "service-${data.google_project.current.number}@"


def waits_for(graph: dict[str, set[str]], start: str, wait: str) -> bool:
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node == wait:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(graph.get(node, ()))
    return False


@pytest.mark.parametrize("stem,source", _cases(), ids=[c[0] for c in _cases()])
def test_every_grant_to_a_generated_service_agent_waits_for_it(stem, source, tmp_path):
    spec = load_spec(source) if isinstance(source, Path) else load_spec_text(source, "reused.yaml")
    directory = _render_to(render_blueprint(spec), tmp_path)
    graph, blocks = dependency_graph(directory)
    grants = []
    for addr, block in blocks.items():
        if not block.type == "resource" or "member" not in block.attributes:
            continue
        lines = block.file.read_text().splitlines()[block.line - 1:block.end_line]
        member = next(line for line in lines if line.strip().startswith("member"))
        if AGENT_MEMBER in member and any(d in member for d in ("gcp-sa-", "dataflow-service-producer-prod")):
            grants.append(addr)
    assert grants, stem
    late = [a for a in grants if not waits_for(graph, a, AGENT_WAIT)]
    assert late == [], f"{stem}: grants to generated service agents without {AGENT_WAIT}: {late}"
