"""GCP egress control (gcp.egress), VPC Service Controls (gcp.vpc_sc) and the created VPC's address plan."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.render import write_blueprint
from dsaas_infra.render.gcp.network import PERIMETER_SERVICES
from dsaas_infra.spec import load_spec, load_spec_text
from dsaas_infra.validate import plan_stage
from dsaas_infra.validate.blueprint import load_blueprint
from tests.conftest import example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}
SPEC = """\
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: prod, maturity: {maturity}, owner: ml@acme.example}}
cloud: gcp
gcp: {{project_id: acme-dsaas-prod, region: europe-west1, apigee: {{organization: dedicated}}{gcp}}}
phases:
  training: {{users: [ann]}}
"""
VPC_SC = ", egress: restricted, vpc_sc: {access_policy: '123456789', perimeter: dsaas_clients}"


def spec_text(maturity="managed", gcp=""):
    return SPEC.format(maturity=maturity, gcp=gcp)


def render(maturity="managed", gcp="") -> ParsedBlueprint:
    return parse(load_spec_text(spec_text(maturity, gcp), "acme.yaml"))


@pytest.fixture(scope="module")
def examples() -> dict[str, ParsedBlueprint]:
    return {stem: parse(load_spec(path)) for stem, path in GCP_SPECS.items()}


def test_managed_workloads_have_no_internet_route_only_google_apis(examples):
    bp = examples["gcp-managed"]
    assert bp.resources[("google_compute_network", "main")]["delete_default_routes_on_create"] is True
    assert not bp.of_type("google_compute_router") and not bp.of_type("google_compute_router_nat")
    route = bp.resources[("google_compute_route", "google_apis")]
    assert route["for_each"] == '${toset(["199.36.153.4/30", "199.36.153.8/30"])}'
    assert route["next_hop_gateway"] == "default-internet-gateway" and route["dest_range"] == "${each.value}"
    firewalls = bp.of_type("google_compute_firewall")
    egress = {n: f for n, f in firewalls.items() if f["direction"] == "EGRESS"}
    assert egress["deny_all_egress"]["destination_ranges"] == ["0.0.0.0/0"]
    assert egress["deny_all_egress"]["priority"] == 65534
    allowed = {n: f["destination_ranges"] for n, f in egress.items() if "allow" in f}
    assert allowed == {"allow_restricted_apis_egress": ["199.36.153.4/30", "199.36.153.8/30"],
                       "allow_subnet_egress": ["${var.subnet_cidr}"]}
    assert egress["allow_restricted_apis_egress"]["allow"] == [{"protocol": "tcp", "ports": ["443"]}]
    zones = bp.locals["dns_zones"]
    assert zones["googleapis"] == {"dns_name": "googleapis.com.", "a_name": "restricted.googleapis.com.",
                                   "addresses": ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]}
    assert {"gcr", "pkg-dev", "notebooks"} <= set(zones)
    zone = bp.resources[("google_dns_managed_zone", "restricted")]
    assert zone["visibility"] == "private" and zone["for_each"] == "${local.dns_zones}"
    assert bp.resources[("google_dns_record_set", "restricted_cname")]["name"] == "*.${each.value.dns_name}"
    assert "dns.googleapis.com" in bp.text("services.tf")
    readme = bp.text("README.md")
    assert "Egress is restricted (`gcp.egress: restricted`, the default at managed)" in readme
    assert "Cloud NAT, whose addresses" not in readme
    assert "VPC Service Controls: off (`gcp.vpc_sc`)" in readme


def test_below_managed_a_created_vpc_keeps_cloud_nat(examples):
    bp = examples["gcp-proactive"]
    assert "delete_default_routes_on_create" not in bp.resources[("google_compute_network", "main")]
    assert bp.of_type("google_compute_router_nat")
    assert not bp.of_type("google_compute_route") and not bp.of_type("google_dns_managed_zone")
    assert not [n for n, f in bp.of_type("google_compute_firewall").items() if f["direction"] == "EGRESS"]


def test_a_reused_network_is_left_to_its_owner(examples):
    bp = examples["gcp-reactive"]
    assert not bp.of_type("google_compute_network") and not bp.of_type("google_compute_route")
    assert not bp.of_type("google_dns_managed_zone")


def test_the_spec_can_restrict_egress_below_managed_and_open_it_at_managed():
    restricted = render("proactive", ", egress: restricted")
    assert restricted.resources[("google_compute_network", "main")]["delete_default_routes_on_create"] is True
    assert "Egress is restricted (`gcp.egress: restricted`):" in restricted.text("README.md")
    nat = render("managed", ", egress: nat")
    assert nat.of_type("google_compute_router_nat") and not nat.of_type("google_compute_route")


def test_no_gke_secondary_ranges_or_their_variables(examples):
    for bp in (examples["gcp-managed"], examples["gcp-proactive"]):
        assert "secondary_ip_range" not in bp.resources[("google_compute_subnetwork", "main")]
        assert set(bp.variables) & {"pods_cidr", "services_cidr"} == set()
        assert "pods_range_name" not in bp.locals


def test_vpc_sc_joins_the_organisations_perimeter():
    bp = render(gcp=VPC_SC)
    member = bp.resources[("google_access_context_manager_service_perimeter_resource", "project")]
    assert member["perimeter_name"] == "accessPolicies/123456789/servicePerimeters/dsaas_clients"
    assert member["resource"] == "projects/${data.google_project.current.number}"
    assert "accesscontextmanager.googleapis.com" in bp.text("services.tf")
    readme = bp.text("README.md")
    assert "the project joins the perimeter `accessPolicies/123456789/servicePerimeters/dsaas_clients`" in readme
    for svc in ("aiplatform.googleapis.com", "storage.googleapis.com", "bigquery.googleapis.com",
                "dataflow.googleapis.com", "notebooks.googleapis.com", "apigee.googleapis.com"):
        assert f"`{svc}`" in readme
    # Only services the blueprint enables are listed, all of them VPC-SC services.
    apis = set(bp.locals.get("apis", [])) or None
    listed = {s for s in PERIMETER_SERVICES if f"`{s}`" in readme}
    assert listed <= set(PERIMETER_SERVICES) and (apis is None or listed <= apis)
    assert not render().of_type("google_access_context_manager_service_perimeter_resource")


@pytest.mark.parametrize("gcp, where, fragment", [
    (", egress: restricted, network: {network: projects/acme-dsaas-prod/global/networks/v, "
     "subnetwork: projects/acme-dsaas-prod/regions/europe-west1/subnetworks/s}",
     "gcp.egress", "egress applies to a VPC the blueprint creates"),
    (", egress: nat, vpc_sc: {access_policy: '1', perimeter: p}", "gcp.egress", "set gcp.egress: restricted"),
    (", vpc_sc: {access_policy: policy-1, perimeter: p}", "gcp.vpc_sc.access_policy", "does not match"),
    (", vpc_sc: {access_policy: '1'}", "gcp.vpc_sc.perimeter", "required"),
])
def test_network_options_are_checked(gcp, where, fragment):
    with pytest.raises(SpecError) as e:
        load_spec_text(spec_text("proactive", gcp), "acme.yaml")
    assert where in str(e.value) and fragment.lower() in str(e.value).lower(), str(e.value)


def test_vpc_sc_at_managed_default_egress_is_accepted():
    spec = load_spec_text(spec_text("managed", ", vpc_sc: {access_policy: '1', perimeter: p}"), "acme.yaml")
    assert spec.gcp.vpc_sc.perimeter == "p"


def test_vpc_sc_blueprint_plans_against_the_stub_providers(tmp_path, tmp_path_factory, terraform_bin):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DSAAS_"))}
    env.update(HOME=str(tmp_path_factory.mktemp("home")), DSAAS_STUB_MIRROR=str(tmp_path_factory.mktemp("stubs")))
    from dsaas_infra.render import render_blueprint
    write_blueprint(render_blueprint(load_spec_text(spec_text(gcp=VPC_SC), "acme.yaml")), tmp_path / "bp")
    outcome = plan_stage.plan_blueprint(load_blueprint(tmp_path / "bp", "acme"), terraform_bin, env, tmp_path / "w")
    assert outcome.not_run is None
    errors = [f"{f.rule_id} {f.location()}: {f.message}" for f in outcome.findings if f.severity == "error"]
    assert errors == []
    counts = Counter(r["type"] for r in outcome.resources)
    assert counts["google_access_context_manager_service_perimeter_resource"] == 1
    assert counts["google_compute_route"] == 2 and counts["google_dns_managed_zone"] == 6
    assert counts["google_dns_record_set"] == 12 and counts["google_compute_router_nat"] == 0


def test_the_readme_states_the_vertex_agents_network_admin_grant_where_it_is_made(examples):
    """Project-wide Compute Network Admin for Vertex AI's service agent reaches every network of the project
    (a reused corporate VPC included): the README says so wherever the blueprint grants it (senior GCP review)."""
    for stem, bp in examples.items():
        granted = ("google_project_iam_member", "vertex_agent_network_attachment") in bp.resources
        member = bp.resources.get(("google_project_iam_member", "vertex_agent_network_attachment"), {})
        assert not granted or member["role"] == "roles/compute.networkAdmin"
        readme = " ".join(bp.text("README.md").split())
        said = (f"`roles/compute.networkAdmin` on project `{bp.spec.gcp.project_id}`, project-wide" in readme)
        assert said == granted, stem
        if granted and bp.spec.gcp.network is not None:
            assert "the reused network too" in readme, stem
