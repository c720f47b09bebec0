"""GCP preflight: a reused network (gcp.network) gives what the blueprint relies on but does not create.

The blueprint's machines (Dataflow workers, Workbench instances, Vertex AI jobs peered into the VPC)
have no external IP, so the subnet must have Private Google Access or they cannot reach any Google
API; Dataflow workers talk to each other on TCP 12345-12346, so the network needs a firewall rule
allowing that between them. Neither is created for a reused network (its owner manages it), and
without them the first pipeline run fails after the apply: this check fails before it.
"""

from __future__ import annotations

import ipaddress

from dsaas_infra.preflight.gcp_limits import COMPUTE, ApiError, _call
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

DATAFLOW_PORTS = (12345, 12346)
DATAFLOW_TAG = "dataflow"  # the network tag Dataflow gives its workers


def _covers(ports: list[str] | None, wanted: int) -> bool:
    if not ports:  # no ports: every port of the protocol
        return True
    for p in ports:
        low, _, high = p.partition("-")
        if int(low) <= wanted <= int(high or low):
            return True
    return False


def _allows_dataflow(rule: dict, cidr: str) -> bool:
    if rule.get("disabled") or rule.get("direction", "INGRESS") != "INGRESS":
        return False
    allowed = [a for a in rule.get("allowed", []) if a.get("IPProtocol") in ("tcp", "all")]
    if not any(all(_covers(a.get("ports"), p) for p in DATAFLOW_PORTS) for a in allowed):
        return False
    targets = rule.get("targetTags")
    if rule.get("targetServiceAccounts") or (targets and DATAFLOW_TAG not in targets):
        return False
    if DATAFLOW_TAG in rule.get("sourceTags", []):
        return True
    subnet = ipaddress.ip_network(cidr, strict=False)
    for source in rule.get("sourceRanges", []):
        try:
            if subnet.subnet_of(ipaddress.ip_network(source, strict=False)):  # type: ignore[arg-type]
                return True
        except (TypeError, ValueError):  # another IP version, or not a range
            continue
    return False


def _firewalls(connection, network_path: str) -> list[dict]:
    project = network_path.split("/")[1]
    out, token = [], ""
    while True:
        page = _call(connection, "GET", COMPUTE, f"/compute/v1/projects/{project}/global/firewalls"
                     + (f"?pageToken={token}" if token else ""))
        out += [f for f in page.get("items", []) if f.get("network", "").endswith("/" + network_path)]
        token = page.get("nextPageToken", "")
        if not token:
            return out


def check_reused_network(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    net = spec.gcp.network
    if net is None:
        return ("pass", "the blueprint creates its network (Private Google Access and firewall rules included)")
    try:
        subnet = _call(connection, "GET", COMPUTE, f"/compute/v1/{net.subnetwork}")
    except ApiError as e:
        return ("warn", f"cannot read {net.subnetwork} ({e}): it needs Private Google Access"
                + (" and a Dataflow firewall rule (TCP 12345-12346)" if spec.phases.data.enabled else ""))
    name, region = net.subnetwork.rsplit("/", 1)[-1], net.subnetwork.split("/")[3]
    problems = []  # (the spec rules already refuse a subnetwork of another region than gcp.region)
    if not subnet.get("privateIpGoogleAccess"):
        problems.append(f"Private Google Access is off on {name}: the blueprint's machines have no external IP "
                        f"and could not reach Google APIs (gcloud compute networks subnets update {name} "
                        f"--region {region} --project {net.subnetwork.split('/')[1]} "
                        f"--enable-private-ip-google-access)")
    if spec.phases.data.enabled:
        cidr = subnet.get("ipCidrRange", "0.0.0.0/0")
        try:
            rules = _firewalls(connection, net.network)
        except ApiError as e:
            return ("warn", "; ".join(problems + [f"cannot list the network's firewall rules ({e}): Dataflow "
                                                  f"workers need TCP 12345-12346 between themselves"]))
        if not any(_allows_dataflow(r, cidr) for r in rules):
            network = net.network.rsplit("/", 1)[-1]
            problems.append(f"no firewall rule of {network} lets Dataflow workers reach each other on TCP "
                            f"12345-12346: the curate step's job would stall (gcloud compute firewall-rules create "
                            f"{network}-dataflow --network {network} --project {net.network.split('/')[1]} "
                            f"--direction INGRESS --allow tcp:12345-12346 --source-tags dataflow "
                            f"--target-tags dataflow)")
    if problems:
        return ("fail", "; ".join(problems))
    return ("pass", f"{name}: Private Google Access on"
            + (", a firewall rule allows Dataflow's TCP 12345-12346" if spec.phases.data.enabled else ""))
