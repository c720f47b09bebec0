"""Why each maturity level chooses its defaults: shown by `init` next to the chosen values."""

from __future__ import annotations

# (phase, setting) -> why the value differs between levels. A setting added to the maturity
# table without a reason here is shown as "level default" (tests keep this table complete).
REASONS: dict[tuple[str, str], str] = {
    ("data", "enabled"): "every level stores and curates data",
    ("data", "schedule"): "ETL daily; every 6 hours at managed for fresher data",
    ("data", "raw_retention_days"): "raw data kept longer as the business relies on it",
    ("data", "log_retention_days"): "longer log retention at managed (audits)",
    ("data", "prevent_destroy"): "data buckets survive an accidental destroy",
    ("data", "raw_archive_days"): "raw data moves to archive storage sooner at lower levels (cost)",
    ("data", "perimeter"): "an identity perimeter on the data buckets at managed (stricter posture)",
    ("data", "audit_trail"): "an audit trail of data access at managed",
    ("training", "enabled"): "every level gets a workspace to explore and train",
    ("training", "workspace"): "notebook instances are the cheapest start; Studio for teams",
    ("training", "size"): "bigger training machines as models and data grow",
    ("training", "gpu"): "no GPU unless the models need one (set it per client)",
    ("training", "distributed"): "single-instance training unless the client's models need more",
    ("deployment", "enabled"): "models are deployed at every level (batch at reactive)",
    ("deployment", "realtime"): "reactive uses batch results; a real-time endpoint from proactive",
    ("deployment", "size"): "serving machines sized for the expected load",
    ("deployment", "gpu"): "CPU serving unless the model needs a GPU",
    ("deployment", "min_instances"): "two instances at managed for high availability",
    ("deployment", "max_instances"): "room to scale out with demand",
    ("deployment", "variants"): "A/B testing (champion/challenger) at managed",
    ("deployment", "drift_detection"): "drift monitoring with alerts at managed",
    ("deployment", "dashboard"): "dashboards at managed",
    ("deployment", "multi_az"): "high availability across zones at managed",
    ("deployment", "retained_versions"): "more model versions kept for rollback as the client relies on them",
    ("deployment", "data_capture_percent"): "a sample of requests captured for drift analysis, not all",
    ("access", "enabled"): "a real-time API for the client's applications from proactive",
    ("access", "waf"): "a web application firewall in front of the API",
    ("access", "auth"): "how consumers authenticate (API keys, or SigV4 per consumer where the cloud offers it)",
}


def reason(phase: str, setting: str) -> str:
    return REASONS.get((phase, setting), "level default")
