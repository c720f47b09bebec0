"""`dsaas-infra schema`: the client spec's JSON Schema, for editor completion."""

from __future__ import annotations

import json
import sys

from dsaas_infra import exit_codes
from dsaas_infra.spec import naming
from dsaas_infra.spec.model import ClientSpec

# A stable identifier of the spec format (a URN: nothing has to be served at it).
SCHEMA_ID = "urn:dsaas-infra:schema:client-spec:v1"


def spec_json_schema() -> dict:
    schema = ClientSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "dsaas-infra client spec"
    # Rules the model checks in code, stated for editors too (the spec loader stays the authority).
    name = schema["$defs"]["Client"]["properties"]["name"]
    # JSON Schema regexes are ECMA-262: no \Z anchor.
    pattern = naming.CLIENT_NAME.pattern.replace("\\Z", "$")
    name.update(type="string", pattern=pattern, minLength=3, maxLength=20)
    return schema


def run() -> int:
    sys.stdout.write(json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n")
    return exit_codes.OK
