"""Values as Terraform sends them (msgpack, unknown = extension 0): plans and plausible data-source results."""

from __future__ import annotations

import json

import msgpack

UNKNOWN = msgpack.ExtType(0, b"\x00")  # cty's encoding of an unknown value

ACCOUNT = "123456789012"
PROJECT_NUMBER = "123456789012"


def decode(data: bytes) -> object:
    return msgpack.unpackb(data, raw=False, strict_map_key=False) if data else None


def encode(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def is_unknown(value: object) -> bool:
    return isinstance(value, msgpack.ExtType)


def plan(schema: dict, value: object) -> object:
    """The proposed new state with every unset computed attribute (also in nested blocks) unknown."""
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, flags in schema.get("a", {}).items():
        if "c" in flags and out.get(name) is None:
            out[name] = UNKNOWN
    for name, (sub, _min, _max, nesting) in schema.get("b", {}).items():
        inner = out.get(name)
        if nesting == "single":
            out[name] = plan(sub, inner)
        elif isinstance(inner, list):
            out[name] = [plan(sub, item) for item in inner]
    return out


# ------------------------------------------------------------------------------------------ data sources


class Context:
    """What plausible values depend on: the provider's configured region / project."""

    def __init__(self, provider: str, config: object = None):
        self.provider = provider
        cfg = config if isinstance(config, dict) else {}
        region = cfg.get("region")
        default = "europe-west1" if provider.startswith("google") else "eu-west-1"
        self.region = region if isinstance(region, str) and region else default
        project = cfg.get("project")
        self.project = project if isinstance(project, str) and project else "stub-project"

    def zones(self) -> list[str]:
        if self.provider.startswith("google"):
            return [f"{self.region}-b", f"{self.region}-c", f"{self.region}-d"]
        return [f"{self.region}a", f"{self.region}b", f"{self.region}c"]


_POLICY = json.dumps({"Version": "2012-10-17", "Statement": []}, separators=(",", ":"))


def _overrides(type_name: str, ctx: Context, config: dict) -> dict[str, object]:
    """Values that a blueprint's own checks depend on (postconditions, zone lists, JSON documents)."""
    region = ctx.region
    zones = ctx.zones()
    table: dict[str, dict[str, object]] = {
        "aws_caller_identity": {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/stub",
                                "user_id": "AIDASTUBSTUBSTUBSTUB", "id": ACCOUNT},
        "aws_region": {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com",
                       "description": "Stub region"},
        "aws_partition": {"partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws",
                          "id": "aws"},
        "aws_availability_zones": {"names": zones, "zone_ids": [f"euw1-az{i}" for i in (1, 2, 3)],
                                   "group_names": [region], "id": region},
        "aws_iam_policy_document": {"json": _POLICY, "minified_json": _POLICY},
        "aws_vpc": {"enable_dns_support": True, "enable_dns_hostnames": True, "cidr_block": "10.0.0.0/16",
                    "state": "available", "default": False},
        "aws_vpc_endpoint_service": {"availability_zones": zones, "service_type": "Interface"},
        "google_project": {"number": PROJECT_NUMBER, "project_id": config.get("project_id") or ctx.project},
        "google_client_config": {"project": ctx.project, "region": region, "zone": zones[0],
                                 "access_token": "stub-token"},
        "google_compute_zones": {"names": zones},
        "google_storage_project_service_account": {
            "email_address": f"service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"},
        "google_bigquery_default_service_account": {
            "email": f"bq-{PROJECT_NUMBER}@bigquery-encryption.iam.gserviceaccount.com"},
    }
    return table.get(type_name, {})


def _string(name: str, ctx: Context, type_name: str) -> str:
    if name == "id":
        return f"stub-{type_name}"
    if name.endswith("arn"):
        return f"arn:aws:{type_name.split('_')[1] if '_' in type_name else 'stub'}:{ctx.region}:{ACCOUNT}:stub"
    if name in ("account_id", "owner_id"):
        return ACCOUNT
    if name in ("region", "location"):
        return ctx.region
    if name in ("zone", "availability_zone"):
        return ctx.zones()[0]
    if name in ("project", "project_id"):
        return ctx.project
    if name in ("json", "policy", "policy_data", "minified_json"):
        return _POLICY
    if "cidr" in name:
        return "10.0.0.0/16"
    if name.startswith("email") or name.endswith("email"):
        return f"stub@{ctx.project}.iam.gserviceaccount.com"
    if name.endswith(("url", "self_link", "uri", "endpoint")):
        return f"https://stub.invalid/{type_name}/{name}"
    if name.endswith(("sha256", "sha", "md5", "sha1", "sha512")) or "base64" in name:
        return "c3R1Yg=="
    return f"stub-{name.replace('_', '-')}"


def sample(ty: object, name: str, ctx: Context, type_name: str, depth: int = 0) -> object:
    """A known value of type ``ty`` (Terraform JSON type notation) for attribute ``name``."""
    if ty == "string":
        return _string(name, ctx, type_name)
    if ty == "number":
        return 1
    if ty == "bool":
        return name.startswith("enable") or name.endswith("enabled")
    if not isinstance(ty, list) or depth > 6:
        return None  # dynamic: null is a known value of any type
    kind, inner = ty
    if kind in ("list", "set"):
        if inner == "string" and ("zone" in name or name == "names"):
            return ctx.zones()
        if inner == "string":
            return [f"{_string(name.rstrip('s') or name, ctx, type_name)}-{i}" for i in (1, 2)]
        return [sample(inner, name, ctx, type_name, depth + 1)]
    if kind == "map":
        return {}
    if kind == "object":
        return {k: sample(t, k, ctx, type_name, depth + 1) for k, t in inner.items()}
    return None


def read_data(schema: dict, config: object, ctx: Context, type_name: str, top: bool = True) -> object:
    """The config with every unset computed attribute (also in nested blocks) filled with a known value."""
    if not isinstance(config, dict):
        return config
    out = dict(config)
    fixed = _overrides(type_name, ctx, config) if top else {}
    types = schema.get("t", {})
    for name, flags in schema.get("a", {}).items():
        if "c" in flags and out.get(name) is None:
            out[name] = fixed[name] if name in fixed else sample(types.get(name, "dynamic"), name, ctx, type_name)
        elif flags == "c" and name in fixed:
            out[name] = fixed[name]
    for name, (sub, _min, _max, nesting) in schema.get("b", {}).items():
        inner = out.get(name)
        if nesting == "single":
            out[name] = read_data(sub, inner, ctx, type_name, False)
        elif isinstance(inner, list):
            out[name] = [read_data(sub, item, ctx, type_name, False) for item in inner]
    return out
