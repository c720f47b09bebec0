"""The Lambda concurrency the README states is the one the HCL reserves, with one unreserved floor."""

from __future__ import annotations

import re

from dsaas_infra.spec.aws_capacity import LAMBDA_UNRESERVED_MINIMUM
from tests.render.aws.test_aws_serving import example  # noqa: F401 (fixture)

UNRESERVED = re.compile(r"(?:AWS keeps|AWS's) (\d+) unreserved|(\d+) AWS keeps unreserved")


def test_every_statement_of_the_unreserved_floor_names_the_same_number(example):  # noqa: F811
    found = []
    for name, content in example.files.items():
        if name.endswith((".tf", ".md")):
            found += [(name, int(a or b)) for a, b in UNRESERVED.findall(content.decode())]
    if not example.of_type("aws_lambda_function"):
        return
    assert found, "the blueprint states no unreserved floor"
    assert {n for _, n in found} == {LAMBDA_UNRESERVED_MINIMUM}, found


def test_the_readme_states_the_reservation_the_hcl_makes(example):  # noqa: F811
    functions = example.of_type("aws_lambda_function")
    if "predict" not in functions:  # batch scoring: no API, no function to reserve for
        assert "concurrent executions (the" not in example.text("README.md")
        return
    reserved = functions["predict"]["reserved_concurrent_executions"]
    stated = re.findall(r"predict function reserves (\d+) concurrent executions", example.text("README.md"))
    assert stated and {int(n) for n in stated} == {reserved}
    # The deploy function reserves nothing: it says so in its checkov skip, and it does not.
    assert "reserved_concurrent_executions" not in functions.get("deploy", {})
