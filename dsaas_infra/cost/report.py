"""Cost estimates as text tables, Markdown (client README) and JSON shaped like infracost's breakdown."""

from __future__ import annotations

import json

from dsaas_infra.cost.estimate import Estimate, Item


def _money(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.2f}"


def _range(lo: float, hi: float) -> str:
    return _money(lo) if abs(hi - lo) < 0.005 else f"{_money(lo)} - {_money(hi)}"


def to_json(estimates: list[Estimate]) -> str:
    projects = []
    for e in estimates:
        resources = []
        for i in e.items:
            resources.append({
                "name": i.resource,
                "phase": i.phase,
                "family": i.family,
                "resourceType": i.resource.split(".")[0] if "." in i.resource and " " not in i.resource else None,
                "monthlyCost": None if not i.priced else round(i.monthly_max, 2),
                "monthlyCostMin": None if not i.priced else round(i.monthly_min, 2),
                "usageBased": i.usage_based,
                "costComponents": [_component(i)],
            })
        lo, hi = e.total
        projects.append({
            "name": e.name,
            "cloud": e.cloud,
            "region": e.region,
            "maturity": e.maturity,
            "budget_monthly_usd": e.budget_usd,
            "phases": {p: {"monthly_min": round(a, 2), "monthly_max": round(b, 2)}
                       for p in e.phases for a, b in [e.phase_total(p)]},
            "total": {"monthly_min": round(lo, 2), "monthly_max": round(hi, 2)},
            "breakdown": {"resources": resources, "totalMonthlyCost": round(hi, 2),
                          "totalMonthlyCostMin": round(lo, 2)},
            "unpriced": [{"name": i.resource, "family": i.family, "price_id": i.price_id} for i in e.unpriced],
        })
    doc = {
        "currency": "USD",
        "projects": projects,
        "totalMonthlyCost": round(sum(e.total[1] for e in estimates), 2),
        "totalMonthlyCostMin": round(sum(e.total[0] for e in estimates), 2),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _component(i: Item) -> dict:
    out = {"name": i.assumption, "priceId": i.price_id, "monthlyQuantityMin": round(i.quantity_min, 4),
           "monthlyQuantity": round(i.quantity_max, 4)}
    if i.price is not None:
        out.update(unit=i.price.unit, price=i.price.usd, priceAsOf=i.price.as_of,
                   priceSource=i.price.source, priceRegion=i.price.region,
                   referenceRegionPrice=i.price.reference)
    else:
        out.update(unit=None, price=None, note="no price listed")
    return out


def family_rows(e: Estimate) -> list[tuple[str, str, float, float, str]]:
    """(phase, family, min, max, note) per priced family, in phase order."""
    rows: dict[tuple[str, str], list[Item]] = {}
    for i in e.items:
        if i.priced:
            rows.setdefault((i.phase, i.family), []).append(i)
    out = []
    for phase in e.phases:
        for (p, family), items in rows.items():
            if p == phase:
                note = items[0].assumption if len(items) == 1 else f"{len(items)} items"
                out.append((phase, family, sum(i.monthly_min for i in items), sum(i.monthly_max for i in items), note))
    return out


def notes(e: Estimate) -> list[str]:
    """What the totals leave out or assume, one sentence each."""
    out = []
    lo, hi = e.total
    if e.usage_based:
        out.append("usage-based, not in the total: " + ", ".join(
            f"{i.family} ({i.price.usd:g} USD per {i.price.unit})" for i in e.usage_based if i.price is not None))
    if e.unpriced:
        out.append("no price listed (not in the total): " + ", ".join(sorted({i.family for i in e.unpriced})))
    if e.reference_prices:
        regions = sorted({i.price.region for i in e.reference_prices if i.price is not None})
        out.append(f"{e.region} is not in the price table: {', '.join(regions)} prices used")
    if e.budget_usd is not None:
        state = ("within it" if hi <= e.budget_usd
                 else "over it at max scale" if lo <= e.budget_usd else "over it even when idle")
        out.append(f"budget {_money(e.budget_usd)} USD/month: the estimate is {state}")
    return out


def markdown_context(e: Estimate) -> dict:
    rows = [{"phase": p, "family": f, "min": _money(a), "max": _money(b), "note": n}
            for p, f, a, b, n in family_rows(e)]
    lo, hi = e.total
    return {"rows": rows, "total_min": _money(lo), "total_max": _money(hi), "notes": notes(e)}


def print_text(estimates: list[Estimate], console) -> None:
    from rich.table import Table

    for e in estimates:
        table = Table(title=f"{e.name} ({e.cloud} {e.region}, {e.maturity}): USD per month", title_justify="left")
        for col in ("phase", "family", "min", "max", "assumption"):
            table.add_column(col, justify="right" if col in ("min", "max") else "left", overflow="fold")
        for phase, family, lo, hi, note in family_rows(e):
            table.add_row(phase, family, _money(lo), _money(hi), note)
        lo, hi = e.total
        table.add_row("total", "", _money(lo), _money(hi), "", style="bold")
        console.print(table)
        for n in notes(e):
            console.print(f"  {n}", markup=False, highlight=False)
