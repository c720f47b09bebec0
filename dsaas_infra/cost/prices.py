"""The price table: shipped in the package (prices.yaml), optionally overridden by a user file."""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra.errors import UsageError


@dataclass(frozen=True)
class Price:
    id: str
    usd: float
    unit: str
    describe: str
    region: str  # the region whose price is used
    as_of: str
    source: str
    reference: bool  # True when the asked-for region is not listed and the reference region is used


@dataclass(frozen=True)
class PriceTable:
    rows: dict[str, dict]
    hours_per_month: float = 730.0

    def get(self, id_: str, region: str) -> Price | None:
        row = self.rows.get(id_)
        if row is None or not row.get("regions"):
            return None
        regions = row["regions"]
        used = region if region in regions else sorted(regions)[0]
        entry = regions[used]
        return Price(id_, float(entry["usd"]), row["unit"], row["describe"], used,
                     str(entry["as_of"]), entry["source"], used != region)


def _read(text: str, where: str) -> dict:
    from dsaas_infra.spec.yaml_positions import YamlProblem, load_yaml

    try:
        data = load_yaml(text).data
    except YamlProblem as e:
        raise UsageError(f"{where}:{e.line}:{e.column}: {e.message}") from e
    if not isinstance(data, dict) or not isinstance(data.get("rows"), dict):
        raise UsageError(f"{where}: a price table is a mapping with `rows: {{id: {{unit, describe, regions}}}}`")
    for id_, row in data["rows"].items():
        problem = _row_problem(row)
        if problem:
            raise UsageError(f"{where}: rows.{id_}: {problem}")
    return data


def _row_problem(row) -> str | None:
    if not isinstance(row, dict) or not isinstance(row.get("regions"), dict) or not row["regions"]:
        return "needs `regions: {REGION: {usd, as_of, source}}`"
    for region, entry in row["regions"].items():
        usd = entry.get("usd") if isinstance(entry, dict) else None
        if not isinstance(usd, (int, float)) or isinstance(usd, bool):
            return f"regions.{region}: needs a number `usd`"
        if not entry.get("as_of") or not entry.get("source"):
            return f"regions.{region}: every price needs `as_of` (date) and `source` (URL)"
    return None


@functools.lru_cache(maxsize=1)
def _shipped() -> dict:
    """The shipped table, parsed once per process: every render prices its README (a fleet of
    1,000 specs would otherwise parse it 1,000 times). Callers copy before merging; rows are read only."""
    shipped = importlib.resources.files("dsaas_infra") / "cost" / "prices.yaml"
    return _read(shipped.read_text(encoding="utf-8"), "prices.yaml")


def load_prices(override: Path | None = None) -> PriceTable:
    data = _shipped()
    rows = dict(data["rows"])
    if override is not None:
        try:
            text = override.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"{override}: cannot read the price file: {getattr(e, 'strerror', None) or e}") from e
        user = _read(text, str(override))
        for id_, row in user["rows"].items():
            base = rows.get(id_, {})
            merged = {"unit": row.get("unit", base.get("unit", "")),
                      "describe": row.get("describe", base.get("describe", id_)),
                      "regions": {**base.get("regions", {}), **row["regions"]}}
            rows[id_] = merged
    return PriceTable(rows, float(data.get("hours_per_month", 730)))
