"""How many times a 5-field cron schedule fires in an average month (the pipeline's run count)."""

from __future__ import annotations

from dsaas_infra.spec.cron import expand_field, parse_cron

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def runs_per_month(expr: str) -> float:
    """Fires per month: counted over a 31-day month and scaled to the average 30.4 days."""
    fields = parse_cron(expr)
    minutes, hours, dom, months, dow = (expand_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True))
    dow = {d % 7 for d in dow}  # 7 is Sunday too
    per_day = len(minutes) * len(hours)
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    days = 0.0
    # Standard cron: when both day fields are restricted, a day matches if either does.
    for day in range(31):
        weekday, day_of_month = day % 7, day + 1
        if dom_any and dow_any:
            match = True
        elif dom_any:
            match = weekday in dow
        elif dow_any:
            match = day_of_month in dom
        else:
            match = weekday in dow or day_of_month in dom
        days += match
    month_share = len(months) / 12
    return round(per_day * days / 31 * 30.4 * month_share, 2)
