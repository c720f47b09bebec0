"""Pipeline runs per month from the data schedule (drives every per-run cost)."""

import pytest

from dsaas_infra.cost.schedule import runs_per_month


@pytest.mark.parametrize("expr, runs", [
    ("0 3 * * *", 30.4),
    ("0 */6 * * *", 121.6),
    ("*/15 * * * *", 2918.4),
    ("0 9 * * 1-5", 21.57),  # 22 weekdays in the 31-day reference month, scaled to 30.4 days
    ("0 0 1 * *", 0.98),
    ("0 0 1 1 *", 0.08),
    ("0 0 1,15 * 1", 6.86),  # either day field matches, as cron does
])
def test_runs_per_month(expr, runs):
    assert runs_per_month(expr) == runs


def test_sunday_is_0_or_7_as_in_cron():
    # The spec's cron accepts 7 for Sunday (spec/cron.py); the run count must not drop it.
    assert runs_per_month("0 3 * * 7") == runs_per_month("0 3 * * 0") > 0
