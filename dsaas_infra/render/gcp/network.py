"""The GCP blueprint's egress control and VPC Service Controls: values network.tf and the README lay out."""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra.spec import gcp_rules
from dsaas_infra.spec.resolved import GcpSpec

# restricted.googleapis.com: Google APIs that VPC Service Controls supports, on addresses that
# are not the internet. With egress "restricted" it is the only destination outside the subnet.
RESTRICTED_VIP = ("199.36.153.4/30", ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"])
# private.googleapis.com: Google's other front ends (the Workbench proxy's domains), still not the internet.
PRIVATE_VIP = ("199.36.153.8/30", ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"])
# Private DNS zones -> (A record name, VIP): Google APIs, the registries the Dataflow launcher and
# Vertex AI prebuilt images come from, and (with notebooks) the Workbench proxy the instances
# register with. Every other name in a zone is a CNAME to its A record.
API_ZONES = {
    "googleapis": ("googleapis.com.", "restricted.googleapis.com.", RESTRICTED_VIP),
    "gcr": ("gcr.io.", "gcr.io.", RESTRICTED_VIP),
    "pkg-dev": ("pkg.dev.", "pkg.dev.", RESTRICTED_VIP),
}
NOTEBOOK_ZONES = {
    "notebooks": ("notebooks.cloud.google.com.", "notebooks.cloud.google.com.", PRIVATE_VIP),
    "notebooks-content": ("notebooks.googleusercontent.com.", "notebooks.googleusercontent.com.", PRIVATE_VIP),
    "kernels-content": ("kernels.googleusercontent.com.", "kernels.googleusercontent.com.", PRIVATE_VIP),
}
# The blueprint's APIs that a service perimeter restricts (all supported by VPC Service Controls).
PERIMETER_SERVICES = (
    "aiplatform.googleapis.com", "apigee.googleapis.com", "artifactregistry.googleapis.com",
    "bigquery.googleapis.com", "bigquerystorage.googleapis.com", "cloudkms.googleapis.com",
    "compute.googleapis.com", "dataflow.googleapis.com", "logging.googleapis.com",
    "monitoring.googleapis.com", "notebooks.googleapis.com", "storage.googleapis.com",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsZone:
    """A private DNS zone sending a Google domain to one of the VIPs (network.tf)."""

    dns_name: str
    a_name: str  # the zone's A record; every other name is a CNAME to it
    addresses: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class VpcSc:
    """The VPC Service Controls perimeter the project joins (gcp.vpc_sc)."""

    perimeter_name: str
    services: list[str]  # the blueprint's APIs the perimeter restricts


@dataclass(frozen=True, slots=True, kw_only=True)
class NetSec:
    """Egress control and VPC Service Controls: what network.tf and the README lay out."""

    egress: str | None  # None: no VPC of the blueprint's (gcp_rules.egress)
    egress_restricted: bool
    zones: dict[str, DnsZone]
    vips: list[str]
    vpc_sc: VpcSc | None


def build_context(spec: GcpSpec, apis: list[str]) -> NetSec:
    assert spec.gcp is not None
    egress = gcp_rules.egress(spec)
    vpc_sc = spec.gcp.vpc_sc
    zones = dict(API_ZONES)
    if spec.phases.training.enabled and spec.phases.training.users:
        zones.update(NOTEBOOK_ZONES)
    return NetSec(
        egress=egress,
        egress_restricted=egress == "restricted",
        zones={key: DnsZone(dns_name=dns, a_name=a, addresses=vip[1])
               for key, (dns, a, vip) in sorted(zones.items())},
        vips=sorted({vip[0] for _, _, vip in zones.values()}),
        vpc_sc=None if vpc_sc is None else VpcSc(
            perimeter_name=f"accessPolicies/{vpc_sc.access_policy}/servicePerimeters/{vpc_sc.perimeter}",
            services=sorted(s for s in PERIMETER_SERVICES if s in apis),
        ),
    )


def extra_apis(spec: GcpSpec) -> list[str]:
    """APIs the network options call: Cloud DNS for the restricted zones, Access Context Manager."""
    out = []
    if gcp_rules.egress(spec) == "restricted":
        out.append("dns.googleapis.com")
    if spec.gcp is not None and spec.gcp.vpc_sc is not None:
        out.append("accesscontextmanager.googleapis.com")
    return out
