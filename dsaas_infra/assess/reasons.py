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
    ("training", "enabled"): "every level gets a workspace to explore and train",
    ("training", "workspace"): "notebook instances are the cheapest start; Studio for teams",
    ("training", "size"): "bigger training machines as models and data grow",
    ("training", "gpu"): "no GPU unless the models need one (set it per client)",
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
    ("access", "enabled"): "a real-time API for the client's applications from proactive",
    ("access", "waf"): "a web application firewall in front of the API",
}


def reason(phase: str, setting: str) -> str:
    return REASONS.get((phase, setting), "level default")
