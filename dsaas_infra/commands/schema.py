"""`dsaas-infra schema`: the client spec's JSON Schema, for editor completion."""

from __future__ import annotations

import json
import sys

from dsaas_infra.spec.model import ClientSpec


def spec_json_schema() -> dict:
    schema = ClientSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dsaas-infra client spec"
    return schema


def run() -> int:
    sys.stdout.write(json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n")
    return 0
