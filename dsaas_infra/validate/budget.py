"""Stage: the blueprint's cost estimate against the spec's `budget.monthly_usd`."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Rule, StageResult

NAME = "budget"
RULES = {r.id: r for r in [
    Rule("COST001", "over-budget-idle", "The idle floor of the cost estimate exceeds budget.monthly_usd."),
    Rule("COST002", "over-budget-max", "At the spec's max scale the cost estimate exceeds budget.monthly_usd.",
         WARNING),
    Rule("COST003", "budget-not-checked", "The blueprint has no recorded spec, so its budget cannot be checked.",
         INFO),
]}


def run(blueprints: list[Blueprint], context) -> StageResult:
    from dsaas_infra.blueprint_dir import read_source
    from dsaas_infra.errors import SpecError

    result = StageResult(NAME, rules=RULES)
    prices = None
    checked = 0
    for bp in blueprints:
        spec_path = read_source(bp.path).get("spec")
        if not spec_path:
            continue  # a directory rendered elsewhere: no spec, no budget to check
        if not Path(spec_path).is_file():
            result.findings.append(Finding(NAME, "COST003", INFO, f"the recorded spec {spec_path} is gone: "
                                           "budget not checked", file=bp.label))
            continue
        # Imported only for a recorded spec: the spec model (pydantic) is 0.3 s of imports.
        from dsaas_infra.cost.estimate import estimate
        from dsaas_infra.cost.prices import load_prices
        from dsaas_infra.spec import load_spec

        try:
            spec = load_spec(spec_path)
        except SpecError:
            result.findings.append(Finding(NAME, "COST003", INFO, f"the recorded spec {spec_path} does not "
                                           "load: budget not checked", file=bp.label))
            continue
        if spec.budget is None:
            continue  # no budget: nothing to compare with
        checked += 1
        prices = prices or load_prices()
        files = {p.name: p.read_bytes() for p in sorted(bp.path.glob("*.tf"))}
        lo, hi = estimate(spec, files, prices).total
        budget = spec.budget.monthly_usd
        where = bp.display(bp.path / "README.md")
        if lo > budget:
            result.findings.append(Finding(NAME, "COST001", ERROR, f"estimated idle floor {lo:,.0f} USD/month "
                                           f"exceeds budget.monthly_usd {budget:,.0f}", file=where))
        elif hi > budget:
            result.findings.append(Finding(NAME, "COST002", WARNING, f"estimated {hi:,.0f} USD/month at max "
                                           f"scale exceeds budget.monthly_usd {budget:,.0f} (idle floor "
                                           f"{lo:,.0f})", file=where))
    if not checked and not result.findings:
        # Not applicable rather than unavailable: --strict must not count it as a stage that
        # could not run, and it must not read as "passed" either.
        result.skipped_reason = "no spec with budget.monthly_usd among the targets (nothing to check)"
        result.user_skipped = True
    return result
