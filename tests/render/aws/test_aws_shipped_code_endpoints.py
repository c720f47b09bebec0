"""Every AWS API the shipped code calls from the private subnets has a VPC endpoint, at every level.

The private subnets have no NAT and no internet gateway: a boto3 client of a service without an
endpoint times out. The clients are read from the shipped code itself (its ``boto3.client(...)``
calls), mapped to the VPC endpoint service of botocore's endpoint prefix, and looked up among the
endpoints the rendered blueprint creates or that a reused VPC has (aws.network.existing_endpoints).
Code that runs outside the VPC (Glue jobs without a connection) or in a network-isolated container
(the evaluation script) is checked to be so.
"""

from __future__ import annotations

import ast
import re

import botocore.session
import pytest

from tests.render.aws.test_aws_serving import Blueprint, render, spec_text

REUSED_VPC = """\
  network:
    vpc_id: vpc-0123456789abcdef0
    subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    existing_endpoints: [{existing}]
"""

SPECS = {
    "reactive": spec_text(maturity="reactive"),
    "reactive-realtime": spec_text(maturity="reactive", deployment="    realtime: true\n"),
    "proactive": spec_text(),
    "managed": spec_text(maturity="managed", retention=731),
    "managed-reused-vpc": spec_text(maturity="managed", retention=731).replace(
        '  account_id: "111122223333"\n',
        '  account_id: "111122223333"\n' + REUSED_VPC.format(existing="s3, sts, application-autoscaling")),
}


@pytest.fixture(scope="module", params=sorted(SPECS))
def blueprint(request) -> Blueprint:
    return render(SPECS[request.param])


def boto3_clients(source: str) -> set[str]:
    """Service names of the boto3 clients the code creates (boto3.client("x"), session.client("x"))."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("client", "resource") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def endpoint_service(client: str) -> str:
    """boto3 client name -> VPC endpoint service (com.amazonaws.<region>.<this>).

    botocore's endpoint prefix is the host name's service part: api.sagemaker ->
    com.amazonaws.<region>.sagemaker.api, runtime.sagemaker -> sagemaker.runtime, sts -> sts.
    """
    prefix = botocore.session.get_session().get_service_model(client).endpoint_prefix
    return ".".join(reversed(prefix.split(".")))


def reachable(bp: Blueprint) -> set[str]:
    """Endpoint services the private subnets reach: created here, or the reused VPC's own."""
    network = bp.spec.aws.network
    services = set(bp.locals.get("interface_endpoint_services") or [])
    services |= set(network.existing_endpoints) if network else set()
    s3 = bp.resources.get(("aws_vpc_endpoint", "s3"))
    if s3 is not None and s3.get("count") != 0:
        services.add("s3")
    return services


def shipped_file(bp: Blueprint, archive: str) -> str:
    source_file = bp.data[("archive_file", archive)]["source_file"]
    return source_file.removeprefix("${path.module}/")


def test_the_mapping_of_clients_to_endpoint_services():
    assert {c: endpoint_service(c) for c in
            ("sagemaker", "sagemaker-runtime", "application-autoscaling", "s3", "logs", "ecr", "sts")} == {
        "sagemaker": "sagemaker.api", "sagemaker-runtime": "sagemaker.runtime",
        "application-autoscaling": "application-autoscaling", "s3": "s3", "logs": "logs",
        "ecr": "ecr.api", "sts": "sts"}


def test_the_parser_finds_the_clients_of_the_deploy_function(managed_blueprint):
    source = managed_blueprint.text(shipped_file(managed_blueprint, "deploy"))
    assert boto3_clients(source) == {"sagemaker", "application-autoscaling", "cloudwatch", "s3"}


@pytest.fixture(scope="module")
def managed_blueprint() -> Blueprint:
    return render(SPECS["managed"])


def test_every_client_of_a_function_in_the_private_subnets_has_an_endpoint(blueprint):
    functions = blueprint.of_type("aws_lambda_function")
    if blueprint.spec.phases.deployment.realtime:
        assert "deploy" in functions
    reach = reachable(blueprint)
    checked = 0
    for name, function in functions.items():
        assert function.get("vpc_config"), f"{name} runs outside the VPC: the endpoint check does not apply"
        archive = re.fullmatch(r"\$\{data\.archive_file\.([a-z_]+)\.output_path\}", function["filename"]).group(1)
        path = shipped_file(blueprint, archive)
        clients = boto3_clients(blueprint.text(path))
        assert clients, path
        missing = {c: endpoint_service(c) for c in clients if endpoint_service(c) not in reach}
        assert not missing, f"{path} calls {missing} but the private subnets have no such endpoint"
        checked += 1
    assert checked == len(functions)


def test_the_glue_jobs_run_outside_the_vpc_and_the_evaluation_script_calls_no_aws_api(blueprint):
    """The other shipped code: Glue jobs without a connection reach AWS APIs on AWS's network; the
    evaluation script runs network-isolated and must not need any."""
    for name, job in blueprint.of_type("aws_glue_job").items():
        assert not job.get("connections"), f"Glue job {name} runs in the VPC: check its clients' endpoints"
    for path in blueprint.files:
        if path.startswith("files/evaluation/"):
            assert boto3_clients(blueprint.text(path)) == set(), path
    for state in blueprint.locals.get("pipeline_definition", {}).get("States", {}).values():
        if state.get("Resource", "").endswith("createProcessingJob.sync"):
            assert state["Parameters"]["NetworkConfig"]["EnableNetworkIsolation"] is True


def test_a_reused_vpc_that_has_the_autoscaling_endpoint_gets_no_second_one():
    bp = render(SPECS["managed-reused-vpc"])
    assert "application-autoscaling" not in bp.locals["interface_endpoint_services"]
    assert "sagemaker.api" in bp.locals["interface_endpoint_services"]
