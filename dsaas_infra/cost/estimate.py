"""A monthly cost estimate for one client: line items per phase and family, as a min-max range.

``min`` is the idle floor: what the environment costs when deployed and idle, with the pipeline
running on its schedule at its shortest plausible duration. ``max`` is at the spec's max scale:
every serving variant at ``max_instances``, workspaces left running, the pipeline at its longest
plausible duration and every consumer using its whole daily quota. Each item carries its price
row (with date and source) and the assumption behind its quantities. A family with no price in
the table is listed as unpriced, never counted as zero; usage-based families (storage, log
ingestion) are listed with their unit price and not added to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsaas_infra.cost.inventory import Inventory
from dsaas_infra.cost.prices import Price, PriceTable
from dsaas_infra.phases import ORDER as PHASE_ORDER
from dsaas_infra.spec.resolved import ResolvedSpec

HOURS = 730.0
DAYS = 30.4


@dataclass(frozen=True)
class Item:
    phase: str
    family: str
    resource: str  # a Terraform address, or what the pipeline creates at run time
    price_id: str
    quantity_min: float
    quantity_max: float
    assumption: str
    price: Price | None  # None: no price listed for price_id
    usage_based: bool = False  # quantities unknown: shown with the unit price, not totalled

    @property
    def priced(self) -> bool:
        return self.price is not None and not self.usage_based

    @property
    def monthly_min(self) -> float:
        return self.quantity_min * self.price.usd if self.price is not None and self.priced else 0.0

    @property
    def monthly_max(self) -> float:
        return self.quantity_max * self.price.usd if self.price is not None and self.priced else 0.0


@dataclass
class Estimate:
    name: str  # <client>-<environment>
    cloud: str
    region: str
    maturity: str
    budget_usd: float | None
    items: list[Item] = field(default_factory=list)

    def phase_total(self, phase: str) -> tuple[float, float]:
        rows = [i for i in self.items if i.phase == phase]
        return (sum(i.monthly_min for i in rows), sum(i.monthly_max for i in rows))

    @property
    def phases(self) -> list[str]:
        present = {i.phase for i in self.items}
        return [p for p in PHASE_ORDER if p in present]

    @property
    def total(self) -> tuple[float, float]:
        return (sum(i.monthly_min for i in self.items), sum(i.monthly_max for i in self.items))

    @property
    def unpriced(self) -> list[Item]:
        return [i for i in self.items if i.price is None]

    @property
    def usage_based(self) -> list[Item]:
        return [i for i in self.items if i.usage_based and i.price is not None]

    @property
    def reference_prices(self) -> list[Item]:
        """Items priced with another region's price (the region is not in the table)."""
        return [i for i in self.items if i.price is not None and i.price.reference]


@dataclass
class RuleContext:
    """What a cost rule reads: the resolved spec, the rendered blueprint and the prices."""

    spec: ResolvedSpec
    inventory: Inventory
    prices: PriceTable
    region: str
    runs_per_month: float
    items: list[Item] = field(default_factory=list)

    def add(self, phase: str, family: str, resource: str, price_id: str, qmin: float, qmax: float,
            assumption: str, usage_based: bool = False) -> None:
        self.items.append(Item(phase, family, resource, price_id, float(qmin), float(qmax),
                               assumption, self.prices.get(price_id, self.region), usage_based))


def estimate(spec: ResolvedSpec, files: dict[str, bytes], prices: PriceTable) -> Estimate:
    """Estimate the blueprint ``files`` rendered (or found on disk) for ``spec``."""
    from dsaas_infra import clouds
    from dsaas_infra.cost.inventory import scan
    from dsaas_infra.cost.schedule import runs_per_month

    cloud = clouds.of(spec)
    region = cloud.region(spec)
    ctx = RuleContext(spec, scan(files), prices, region, runs_per_month(spec.phases.data.schedule))
    for rule in cloud.cost_rules():
        rule(ctx)
    budget = spec.budget.monthly_usd if spec.budget is not None else None
    return Estimate(spec.name_prefix, spec.cloud, region,
                    spec.client.maturity, budget, ctx.items)
