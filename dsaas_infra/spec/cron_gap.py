"""The longest time a 5-field cron schedule (UTC) leaves between two runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from dsaas_infra.spec.cron import parse_cron

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
# Fire times are listed over this many days of a real calendar (every weekday and day of month
# occurs), from a fixed start so the answer is deterministic; longer gaps are reported as this.
_HORIZON_DAYS = 62
_START = datetime(2026, 1, 1)


def _expand(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-")
            start, end = int(a), int(b)
        else:
            start = end = int(base)
            if step:
                end = high
        values.update(range(start, end + 1, int(step) if step else 1))
    return values


def longest_gap_hours(expr: str) -> float:
    """Hours of the longest interval between consecutive runs (wrapping over the horizon)."""
    fields = parse_cron(expr)
    minutes, hours, dom, months, dow = (_expand(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True))
    dow = {d % 7 for d in dow}  # cron allows 7 for Sunday
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    fires: list[datetime] = []
    for offset in range(_HORIZON_DAYS):
        day = _START + timedelta(days=offset)
        weekday = (day.weekday() + 1) % 7  # cron: 0 = Sunday
        if day.month not in months:
            continue
        if dom_any and dow_any:
            match = True
        elif dom_any:
            match = weekday in dow
        elif dow_any:
            match = day.day in dom
        else:  # standard cron: either restricted field matching is enough
            match = weekday in dow or day.day in dom
        if match:
            fires += [day.replace(hour=h, minute=m) for h in sorted(hours) for m in sorted(minutes)]
    if len(fires) < 2:
        return _HORIZON_DAYS * 24.0
    gaps = [(b - a).total_seconds() for a, b in zip(fires, fires[1:], strict=False)]
    return max(gaps) / 3600
