"""Stub provider values and schemas: plans mark unset computed attributes unknown, data sources are filled."""

from __future__ import annotations

import json

from dsaas_infra import schemas
from dsaas_infra.stubprovider import schema as stub_schema
from dsaas_infra.stubprovider import values

BUCKET = {"a": {"bucket": "oc", "arn": "c", "force_destroy": "o"},
          "t": {"bucket": "string", "arn": "string", "force_destroy": "bool"},
          "b": {"rule": [{"a": {"id": "oc", "days": "o"}, "t": {"id": "string", "days": "number"}, "b": {}},
                         0, None, "set"],
                "timeouts": [{"a": {"create": "o"}, "t": {"create": "string"}, "b": {}}, 0, 1, "single"]}}


def test_plan_marks_unset_computed_attributes_unknown_also_in_blocks() -> None:
    proposed = {"bucket": "b", "arn": None, "force_destroy": None, "rule": [{"id": None, "days": 3}],
                "timeouts": None}
    planned = values.decode(values.encode(values.plan(BUCKET, proposed)))
    assert planned["bucket"] == "b" and planned["force_destroy"] is None
    assert values.is_unknown(planned["arn"]) and values.is_unknown(planned["rule"][0]["id"])
    assert planned["rule"][0]["days"] == 3 and planned["timeouts"] is None
    assert values.encode(values.UNKNOWN) == b"\xd4\x00\x00"  # cty's msgpack encoding of unknown


def test_data_sources_get_plausible_known_values() -> None:
    aws = schemas.load("aws")
    ctx = values.Context("aws", {"region": "us-east-2"})
    zones = values.read_data(aws["data_sources"]["aws_availability_zones"], {"state": "available"}, ctx,
                             "aws_availability_zones")
    assert zones["names"] == ["us-east-2a", "us-east-2b", "us-east-2c"] and zones["state"] == "available"
    vpc = values.read_data(aws["data_sources"]["aws_vpc"], {"id": "vpc-1"}, ctx, "aws_vpc")
    assert vpc["id"] == "vpc-1" and vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    doc = values.read_data(aws["data_sources"]["aws_iam_policy_document"], {"statement": [{"actions": ["s3:*"]}]},
                           ctx, "aws_iam_policy_document")
    assert json.loads(doc["json"])["Version"] == "2012-10-17"
    ident = values.read_data(aws["data_sources"]["aws_caller_identity"], {}, ctx, "aws_caller_identity")
    assert ident["account_id"] == values.ACCOUNT
    google = schemas.load("google")
    project = values.read_data(google["data_sources"]["google_project"], {}, values.Context("google"),
                               "google_project")
    assert project["number"] == values.PROJECT_NUMBER
    # every attribute a data source computes is known, whatever its type
    for name, flags in aws["data_sources"]["aws_vpc"]["a"].items():
        assert "c" not in flags or not values.is_unknown(vpc[name]), name


def test_schema_messages_follow_the_snapshot() -> None:
    block = stub_schema.block(BUCKET)
    attrs = {a.name: a for a in block.attributes}
    assert attrs["bucket"].optional and attrs["bucket"].computed and not attrs["bucket"].required
    assert json.loads(attrs["force_destroy"].type) == "bool"
    nested = {b.type_name: b for b in block.block_types}
    assert nested["rule"].nesting == nested["rule"].SET and nested["timeouts"].nesting == nested["timeouts"].SINGLE
    # Terraform rejects dynamic types inside set blocks: they become strings
    odd = stub_schema.block({"a": {}, "t": {}, "b": {"s": [{"a": {"x": "o"}, "t": {"x": "dynamic"}, "b": {}},
                                                            0, None, "set"]}})
    assert json.loads(odd.block_types[0].block.attributes[0].type) == "string"
