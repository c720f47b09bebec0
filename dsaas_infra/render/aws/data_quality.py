"""AWS curation quality and freshness: what the ETL quarantines and when silence alarms."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

from dsaas_infra.spec.cron import longest_gap_hours
from dsaas_infra.spec.resolved import AwsSpec

# Where the ETL writes records it cannot curate (curated bucket) and the metrics it publishes.
ETL_QUARANTINE_PREFIX = "_quarantine"
ETL_METRIC_NAMESPACE = "DSaaS/Curation"
# The training pipeline's own metrics (RunsSkipped: a run that found the previous one running).
PIPELINE_METRIC_NAMESPACE = "DSaaS/Pipeline"
# More than this share of a run's records quarantined alarms.
QUARANTINE_ALARM_PERCENT = 5
# Time a scheduled run may take to succeed after it starts (ETL, prepare, training, evaluation,
# with FLEX Glue starting later at the batch tier).
FRESHNESS_SLACK_HOURS = {"reactive": 12, "proactive": 6, "managed": 6}
# CloudWatch: hourly periods, and at most 7 days (604,800 s) of periods for one alarm.
FRESHNESS_MAX_HOURS = 7 * 24


@dataclass(frozen=True, slots=True, kw_only=True)
class Freshness:
    """The freshness alarms of monitoring.tf: hours without a successful run (or new curated data)."""

    gap_hours: str  # the schedule's longest gap between two runs, as the alarm text says it
    slack_hours: int
    window_hours: int
    alarm: bool  # false: a window CloudWatch cannot watch (more than 7 days), no alarm


class DataQualityValues(TypedDict):
    """The AwsContext fields this module computes."""

    etl_quarantine_prefix: str
    etl_metric_namespace: str
    pipeline_metric_namespace: str
    quarantine_alarm_percent: int
    freshness: Freshness | None


def build_context(spec: AwsSpec) -> DataQualityValues:
    schedule = spec.phases.data.schedule
    return {
        "etl_quarantine_prefix": ETL_QUARANTINE_PREFIX,
        "etl_metric_namespace": ETL_METRIC_NAMESPACE,
        "pipeline_metric_namespace": PIPELINE_METRIC_NAMESPACE,
        "quarantine_alarm_percent": QUARANTINE_ALARM_PERCENT,
        "freshness": freshness(schedule, spec.client.maturity) if schedule else None,
    }


def freshness(schedule: str, maturity: str) -> Freshness:
    """Hours without a successful run (or new curated data) after which the blueprint alarms.

    A schedule that leaves more than CloudWatch's 7 days between runs gets no freshness alarm
    (``alarm`` false): a shorter window would alarm between every two runs.
    """
    gap = longest_gap_hours(schedule)
    slack = FRESHNESS_SLACK_HOURS[maturity]
    window = math.ceil(gap + slack)
    return Freshness(gap_hours=f"{gap:g}", slack_hours=slack, window_hours=window,
                     alarm=window <= FRESHNESS_MAX_HOURS)
