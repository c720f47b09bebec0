"""Standard 5-field cron (UTC) parsing and conversion to each service's own format."""

from __future__ import annotations

import re

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_NAMES = {
    "month": {m: i + 1 for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])},
    "day-of-week": {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_ITEM = re.compile(r"^(\*|\d+|[a-z]{3})(?:-(\d+|[a-z]{3}))?(?:/(\d+))?$")


def _value(token: str, name: str, low: int, high: int) -> int:
    token_l = token.lower()
    if token_l.isdigit():
        value = int(token_l)
    elif token_l in _NAMES.get(name, {}):
        value = _NAMES[name][token_l]
    else:
        raise ValueError(f"{name} field: {token!r} is not a number or a known name")
    if not low <= value <= high:
        raise ValueError(f"{name} field: {value} is outside {low}-{high}")
    return value


def parse_cron(expr: str) -> list[str]:
    """Validate a 5-field cron expression; return its fields normalised (names to numbers)."""
    fields = expr.split()
    if expr != expr.strip() or any(ch.isspace() and ch != " " for ch in expr):
        raise ValueError("separate the 5 cron fields by spaces only, with none before or after")
    if len(fields) != 5:
        raise ValueError(
            "must be a standard 5-field cron expression in UTC "
            "(minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
        )
    out = []
    for raw, (name, low, high) in zip(fields, _FIELDS, strict=True):
        parts = []
        for item in raw.split(","):
            m = _ITEM.fullmatch(item.lower())
            if not m:
                raise ValueError(f"{name} field: {item!r} is not valid cron syntax")
            start, end, step = m.groups()
            if start == "*":
                text = "*"
            else:
                a = _value(start, name, low, high)
                text = str(a)
                if end is not None:
                    b = _value(end, name, low, high)
                    if b < a:
                        raise ValueError(f"{name} field: range {item!r} runs backwards")
                    text += f"-{b}"
            if step is not None:
                if int(step) == 0:
                    raise ValueError(f"{name} field: step must be positive")
                text += f"/{int(step)}"
            if name == "day-of-week" and text == "7":
                text = "0"
            parts.append(text)
        out.append(",".join(parts))
    return out


def to_aws_schedule(expr: str) -> str:
    """EventBridge ``cron(min hour dom month dow year)``: one of dom/dow must be '?'.

    EventBridge numbers weekdays 1-7 from Sunday, standard cron 0-6 (7 = Sunday too).
    """
    minute, hour, dom, month, dow = parse_cron(expr)
    if dow != "*":
        dow = _shift_weekdays(dow)
        if dom != "*":
            raise ValueError(
                "EventBridge cannot combine a day-of-month with a day-of-week; set one to '*'"
            )
        dom = "?"
    else:
        dow = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _shift_weekdays(field: str) -> str:
    def shift(token: str) -> str:
        return str((int(token) % 7) + 1)

    out = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            text = "*"
        elif "-" in base:
            a, b = base.split("-")
            # 7 is Sunday again in standard cron: EventBridge's Sunday is 1, so split the range.
            text = f"{shift(a)}-{shift(b)}" if int(b) != 7 else f"{shift(a)}-7,1"
        else:
            text = shift(base)
        out.append(text + (f"/{step}" if step else ""))
    return ",".join(out)


def to_unix_cron(expr: str) -> str:
    """Cloud Scheduler takes unix cron as it is (with an explicit time zone): normalise it."""
    return " ".join(parse_cron(expr))


def expand_field(field: str, low: int, high: int) -> set[int]:
    """The values one (already validated) cron field selects between ``low`` and ``high``."""
    values: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            a, b = low, high
        elif "-" in base:
            a, b = (int(x) for x in base.split("-"))
        else:
            a = int(base)
            b = high if step else a
        values.update(range(a, b + 1, int(step) if step else 1))
    return values


def max_gap_minutes(expr: str) -> int:
    """The longest time between two consecutive runs of a cron schedule, in minutes (over a
    year from a fixed date: the result is deterministic; day-of-month/day-of-week combine with
    OR, as in cron)."""
    import datetime

    minute, hour, dom, month, dow = parse_cron(expr)
    minutes, hours = expand_field(minute, 0, 59), expand_field(hour, 0, 23)
    doms, months = expand_field(dom, 1, 31), expand_field(month, 1, 12)
    dows = {d % 7 for d in expand_field(dow, 0, 7)}
    start = datetime.date(2025, 1, 1)
    runs: list[int] = []
    for day in range(366 + 31):
        date = start + datetime.timedelta(days=day)
        in_dom, in_dow = date.day in doms, (date.isoweekday() % 7) in dows
        if dom != "*" and dow != "*":
            match = in_dom or in_dow
        else:
            match = in_dom and in_dow
        if date.month in months and match:
            runs.extend(day * 1440 + h * 60 + m for h in sorted(hours) for m in sorted(minutes))
    if len(runs) < 2:
        return 366 * 1440
    return max(b - a for a, b in zip(runs, runs[1:], strict=False))


def longest_gap_hours(expr: str) -> float:
    """The longest time between two consecutive runs of a cron schedule, in hours."""
    return max_gap_minutes(expr) / 60
