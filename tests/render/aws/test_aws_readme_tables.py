"""The AWS README's tables (render/aws/readme.py) say what the rendered HCL does, per example and variant."""

from __future__ import annotations

import re

import pytest

from dsaas_infra.loop import STEPS
from dsaas_infra.render.aws import readme as aws_readme
from dsaas_infra.spec import load_spec
from tests.render.aws.test_aws_serving import (  # noqa: F401 (fixtures)
    AWS_EXAMPLES,
    Blueprint,
    build,
    managed,
    proactive,
    reactive,
    render,
    spec_text,
)
from tests.render.markdown_tables import table


@pytest.fixture(scope="module", params=[p.stem for p in AWS_EXAMPLES])
def example(request) -> Blueprint:
    return build(load_spec(AWS_EXAMPLES[0].parent / f"{request.param}.yaml"))


def _rules(bp: Blueprint, label: str) -> list[dict]:
    return bp.resources[("aws_s3_bucket_lifecycle_configuration", label)]["rule"]


def _expected_lifecycle(bp: Blueprint, label: str) -> str:
    """The lifecycle column as the bucket's rendered lifecycle configuration says it."""
    rules = {r["id"]: r for r in _rules(bp, label)}
    if label == "raw":
        rule = rules.get("expire-raw-data") or rules["age-raw-data"]
        moves = ", ".join(f"{t['storage_class']} after {t['days']} days" for t in rule.get("transition", []))
        expire = rule.get("expiration")
        end = (f"deleted after {expire[0]['days']} days (`phases.data.raw_retention_days`)"
               if expire else "never deleted (set `phases.data.raw_retention_days` to expire it)")
        versions = f"old versions expire after {rule['noncurrent_version_expiration'][0]['noncurrent_days']} days"
        return "; ".join(part for part in (moves, end, versions) if part)
    if label == "logs":
        return f"logs expire after {rules['expire-access-logs']['expiration'][0]['days']} days"
    noncurrent = rules["expire-noncurrent-versions"]["noncurrent_version_expiration"][0]["noncurrent_days"]
    versions = f"old versions expire after {noncurrent} days"
    if label == "artifacts":
        temp = rules["expire-glue-temporary-files"]
        assert temp["filter"] == [{"prefix": "glue/temp/"}]
        return f"{versions}; Glue temp files after {temp['expiration'][0]['days']}"
    return versions


def _bucket_table(bp: Blueprint) -> dict[str, str]:
    """Bucket name -> lifecycle column of the README's bucket table (indented under the S3 bullet)."""
    section = bp.text("README.md").split("  | bucket | holds | lifecycle |\n", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^  \| `([^`]+)` \| .* \| ([^|]+) \|$", section, re.MULTILINE)
    assert rows, "no bucket table in the README"
    return dict(rows)


def _check_buckets(bp: Blueprint) -> None:
    names = {label: body["bucket"] for (t, label), body in bp.resources.items() if t == "aws_s3_bucket"}
    rows = _bucket_table(bp)
    assert sorted(rows) == sorted(names.values())
    for label, name in names.items():
        assert rows[name] == _expected_lifecycle(bp, label), label


def test_the_bucket_table_is_every_rendered_bucket_with_its_rendered_lifecycle(example):
    _check_buckets(example)


@pytest.mark.parametrize("data", [
    "raw_archive_days: 200, raw_retention_days: 400",  # both transitions, then deleted
    "raw_retention_days: 100",  # Standard-IA, then deleted
    "raw_archive_days: 120",  # never deleted
    "raw_retention_days: 20",  # deleted before Standard-IA's 30 days: no transition at all
])
def test_the_raw_lifecycle_follows_the_spec(data):
    bp = render(spec_text().replace('log_retention_days: 90}', f'log_retention_days: 90, {data}}}'))
    assert bp.spec.phases.data.raw_retention_days == (int(data.split("raw_retention_days: ")[1])
                                                       if "raw_retention_days" in data else None)
    _check_buckets(bp)


def test_the_loop_table_is_the_aws_column_of_this_blueprint(example):
    readme = example.text("README.md")
    rows = {r[0]: r[2] for r in table(readme, "step") if len(r) == 4 and r[0] in {s.name for s in STEPS}}
    assert list(rows) == [s.name for s in STEPS]
    resources = {f"{t}.{n}" for t, n in example.resources}
    realtime = "aws_sfn_state_machine.deploy" in resources
    # No deploy state machine: no endpoint, and the table says so; the served steps name their services.
    assert (rows["deploy"] == aws_readme.NO_ENDPOINT) is not realtime
    assert (rows["serve"] == aws_readme.NO_API) is not realtime
    assert ("aws_api_gateway_rest_api.main" in resources) is ("API Gateway" in rows["serve"])
    # Drift monitoring is named only with its EventBridge rule; the budget only with the budget.
    assert rows["monitor"].startswith(aws_readme.NO_DRIFT) is ("aws_cloudwatch_event_rule.drift" not in resources)
    budget = "aws_budgets_budget.main" in resources
    assert rows["monitor"].endswith(aws_readme.BUDGET if budget else aws_readme.NO_BUDGET)


def test_loop_aws_says_what_each_level_leaves_out():
    full = aws_readme.loop_aws(STEPS, realtime=True, drift=True, budget=True)
    assert {k: v for k, v in full.items() if k != "monitor"} == {s.name: s.aws for s in STEPS if s.name != "monitor"}
    monitor = next(s.aws for s in STEPS if s.name == "monitor")
    assert full["monitor"] == f"{monitor}; {aws_readme.BUDGET}"
    batch = aws_readme.loop_aws(STEPS, realtime=False, drift=False, budget=False)
    assert (batch["deploy"], batch["serve"]) == (aws_readme.NO_ENDPOINT, aws_readme.NO_API)
    assert batch["monitor"] == f"{aws_readme.NO_DRIFT}; {aws_readme.NO_BUDGET}"


def _phase_rows(bp: Blueprint) -> dict[str, str]:
    rows = table(bp.text("README.md"), "phase")
    return {r[0].split(" ")[1]: r[2].replace("\\(", "(").replace("\\)", ")") for r in rows}


def test_the_phase_table_names_only_services_whose_resources_are_rendered(example):
    """Each AWS service in the phase table has its evidence among the resources the HCL parser sees
    (not the regex the README uses), and no service with rendered evidence is left out."""
    resources = {f"{t}.{n}" for t, n in example.resources}
    rows = _phase_rows(example)
    assert list(rows) == list(aws_readme.PHASE_SERVICES)
    for phase, services in aws_readme.PHASE_SERVICES.items():
        expected = [svc for svc, evidence in services
                    if any(r == e or (e.endswith(".") and r.startswith(e)) for e in evidence
                           if not e.startswith("!") for r in resources)
                    and not any(e[1:] in resources for e in evidence if e.startswith("!"))]
        assert rows[phase] == (", ".join(expected) or aws_readme.NONE_AT_THIS_LEVEL), phase


def test_the_phase_table_does_not_overstate_a_batch_blueprint(reactive):
    """Reactive has no endpoint and no API: no Lambda, no endpoint, no WAF, but a batch transform."""
    rows = _phase_rows(reactive)
    assert "Lambda" not in rows["deployment"] and "real-time endpoint" not in rows["deployment"]
    assert "SageMaker batch transform" in rows["deployment"]
    assert rows["access"] == aws_readme.NONE_AT_THIS_LEVEL


def test_the_phase_table_names_waf_wherever_the_api_is_public(proactive, managed):
    for bp in (proactive, managed):
        assert ("aws_wafv2_web_acl", "api") in bp.resources
        assert "WAF" in _phase_rows(bp)["access"].split(", ")
