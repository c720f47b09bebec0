"""Cron parsing and conversion to EventBridge and Cloud Scheduler formats."""

import pytest

from dsaas_infra.spec.cron import parse_cron, to_aws_schedule, to_unix_cron


@pytest.mark.parametrize(
    "expr, aws",
    [
        ("0 3 * * *", "cron(0 3 * * ? *)"),
        ("*/15 * * * *", "cron(*/15 * * * ? *)"),
        ("30 2 1 * *", "cron(30 2 1 * ? *)"),
        ("0 6 * * 1-5", "cron(0 6 ? * 2-6 *)"),
        ("0 6 * * 0", "cron(0 6 ? * 1 *)"),
        ("0 6 * * 7", "cron(0 6 ? * 1 *)"),
        ("0 6 * * sat", "cron(0 6 ? * 7 *)"),
        ("0 6 * * 5-7", "cron(0 6 ? * 6-7,1 *)"),
        ("0 0 1 jan *", "cron(0 0 1 1 ? *)"),
        ("0 */6 * * *", "cron(0 */6 * * ? *)"),
    ],
)
def test_to_aws_schedule(expr, aws):
    assert to_aws_schedule(expr) == aws


def test_unix_cron_is_normalised():
    assert to_unix_cron("0  3 * jan mon") == "0 3 * 1 1"


def test_aws_cannot_combine_day_of_month_and_week():
    with pytest.raises(ValueError, match="day-of-month with a day-of-week"):
        to_aws_schedule("0 3 1 * 1")


@pytest.mark.parametrize(
    "expr, fragment",
    [
        ("0 3 * *", "5-field"),
        ("0 3 * * * *", "5-field"),
        ("60 3 * * *", "outside 0-59"),
        ("0 24 * * *", "outside 0-23"),
        ("0 3 0 * *", "outside 1-31"),
        ("0 3 * 13 *", "outside 1-12"),
        ("0 3 * * 8", "outside 0-7"),
        ("0 3 * * funday", "not valid cron syntax"),
        ("0 5-3 * * *", "runs backwards"),
        ("*/0 * * * *", "step must be positive"),
        ("0 3 * xyz *", "not a number or a known name"),
    ],
)
def test_bad_cron(expr, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_cron(expr)
