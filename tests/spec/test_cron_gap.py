"""The longest gap a cron schedule leaves between runs (the freshness alarms' window)."""

from __future__ import annotations

import pytest

from dsaas_infra.spec.cron import longest_gap_hours


@pytest.mark.parametrize("expr,hours", [
    ("0 3 * * *", 24),            # daily
    ("0 */6 * * *", 6),           # four times a day
    ("30 2 * * 1-5", 72),         # weekdays: Friday 02:30 -> Monday 02:30
    ("0 3 * * 0", 168),           # weekly on Sunday
    ("0 3 * * 7", 168),           # 7 is Sunday too
    ("0 0,12 * * *", 12),
    ("0 1,5 * * *", 20),          # 05:00 -> 01:00 next day
    ("15 * * * *", 1),
    ("0 3 1 * *", 31 * 24),       # monthly: the longest month
])
def test_longest_gap_between_runs(expr, hours):
    assert longest_gap_hours(expr) == hours


def test_a_schedule_restricted_to_one_month_reports_at_least_the_horizon():
    assert longest_gap_hours("0 3 1 6 *") >= 62 * 24
