"""Maturity levels and the phase defaults each one chooses (documented in the README)."""

from __future__ import annotations

from typing import Any

MATURITY_LEVELS = {
    "reactive": "level 2: collects data but turns little of it into insight; low cost",
    "proactive": "level 3: a data culture is emerging; automated pipeline, registry, real-time API",
    "managed": "level 4: established policies, scaling up; drift detection, A/B, HA, dashboards",
}

# phase -> setting -> {maturity: default}. Every value can be overridden in the spec.
DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "data": {
        "enabled": {"reactive": True, "proactive": True, "managed": True},
        "schedule": {"reactive": "0 3 * * *", "proactive": "0 3 * * *", "managed": "0 */6 * * *"},
        "raw_retention_days": {"reactive": 90, "proactive": 365, "managed": 1095},
        # Days before raw objects move to an archive storage class (AWS: Glacier Instant
        # Retrieval; they move to Standard-IA after 30 days first).
        "raw_archive_days": {"reactive": 90, "proactive": 180, "managed": 365},
        # Identity perimeter: the data buckets refuse principals of other accounts.
        "perimeter": {"reactive": False, "proactive": False, "managed": True},
        # An audit trail (CloudTrail data events of the data buckets).
        "audit_trail": {"reactive": False, "proactive": False, "managed": True},
        "log_retention_days": {"reactive": 30, "proactive": 90, "managed": 365},
        "prevent_destroy": {"reactive": True, "proactive": True, "managed": True},
    },
    "training": {
        "enabled": {"reactive": True, "proactive": True, "managed": True},
        "workspace": {"reactive": "notebooks", "proactive": "studio", "managed": "studio"},
        "size": {"reactive": "small", "proactive": "medium", "managed": "large"},
        "gpu": {"reactive": "none", "proactive": "none", "managed": "none"},
        "distributed": {"reactive": False, "proactive": False, "managed": False},
    },
    "deployment": {
        "enabled": {"reactive": True, "proactive": True, "managed": True},
        "realtime": {"reactive": False, "proactive": True, "managed": True},
        "size": {"reactive": "small", "proactive": "small", "managed": "medium"},
        "gpu": {"reactive": "none", "proactive": "none", "managed": "none"},
        "min_instances": {"reactive": 1, "proactive": 1, "managed": 2},
        "max_instances": {"reactive": 1, "proactive": 2, "managed": 4},
        "variants": {
            "reactive": [{"name": "champion", "weight": 100}],
            "proactive": [{"name": "champion", "weight": 100}],
            "managed": [{"name": "champion", "weight": 90}, {"name": "challenger", "weight": 10}],
        },
        "drift_detection": {"reactive": False, "proactive": False, "managed": True},
        "dashboard": {"reactive": False, "proactive": False, "managed": True},
        "multi_az": {"reactive": False, "proactive": False, "managed": True},
        "retained_versions": {"reactive": 3, "proactive": 5, "managed": 10},
        "data_capture_percent": {"reactive": 20, "proactive": 20, "managed": 20},
    },
    "access": {
        "enabled": {"reactive": False, "proactive": True, "managed": True},
        "waf": {"reactive": False, "proactive": False, "managed": True},
        "auth": {"reactive": "api_key", "proactive": "api_key", "managed": "api_key"},
    },
}

# Per cloud, the defaults that differ from the table above (documented in the README).
# AWS and GCP: raw data never expires unless the spec sets raw_retention_days (None = never; it
# moves to cheaper storage classes instead). AWS: the public regional API always has a WAF and
# IAM (SigV4) authentication next to the API keys.
CLOUD_DEFAULTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "aws": {
        "data": {"raw_retention_days": {"reactive": None, "proactive": None, "managed": None}},
        "access": {
            "waf": {"reactive": True, "proactive": True, "managed": True},
            "auth": {"reactive": "iam", "proactive": "iam", "managed": "iam"},
        },
    },
    "gcp": {
        "data": {"raw_retention_days": {"reactive": None, "proactive": None, "managed": None}},
    },
}


def default(phase: str, setting: str, maturity: str, cloud: str | None = None) -> Any:
    override = CLOUD_DEFAULTS.get(cloud or "", {}).get(phase, {}).get(setting)
    value = (override if override is not None else DEFAULTS[phase][setting])[maturity]
    # Lists of dicts are shared module data: hand out copies.
    return [dict(v) for v in value] if isinstance(value, list) else value
