"""The spec rules across keys, each small, named and with a stable id (shown in the error line).

Like the validate stages' HCL/REF/SCH rules: ``RULES`` is the explicit list, in the order problems are
reported; docs/spec-rules.md is generated from it (``python -m dsaas_infra.spec.rules``) and
tests/spec/test_rules.py runs every rule's failing example. Ids are never reused or renumbered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dsaas_infra import clouds
from dsaas_infra.spec import ci_rules, naming
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.resolved import ResolvedSpec

Problem = tuple[tuple[str | int, ...], str]


@dataclass(frozen=True)
class SpecRule:
    id: str
    title: str  # one line for the docs table
    # Takes the resolved spec (spec/resolved.py), or with on="written" the spec as the user wrote it.
    check: Callable[[Any], list[Problem]]
    # A failing example: overrides (nested keys) of the example spec of ``cloud``; tests render it.
    example: dict[str, Any] = field(default_factory=dict)
    cloud: str = "aws"
    on: str = "resolved"


def _tags(spec: ResolvedSpec) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in spec.client.tags.items():
        if not naming.AWS_TAG_KEY.fullmatch(key) or key.lower().startswith("aws:"):
            problems.append(
                (("client", "tags", key),
                 f"tag key {key!r} must be 1-128 letters, digits, spaces or _.:/=+-@ and not start with 'aws:'")
            )
        elif not naming.AWS_TAG_VALUE.fullmatch(value):
            problems.append(
                (("client", "tags", key),
                 f"tag {key!r}: value must be 0-256 letters, digits, spaces or _.:/=+-@")
            )
    return problems


def _cloud_settings(spec: ClientSpec) -> list[Problem]:
    cloud = clouds.of(spec)
    problems: list[Problem] = []
    if cloud.settings(spec) is None:
        problems.append(((spec.cloud,), f"required when cloud is {spec.cloud}"))
    for other in clouds.REGISTRY.values():
        if other.name != cloud.name and other.settings(spec) is not None:
            problems.append(((other.name,), f"only allowed when cloud is {other.name} (cloud is {spec.cloud})"))
    return problems


def _instance_types(spec: ResolvedSpec) -> list[Problem]:
    cloud = clouds.of(spec)
    problems: list[Problem] = []
    for phase in ("training", "deployment"):
        value = getattr(spec.phases, phase).instance_type
        if value is not None and not cloud.instance_type.fullmatch(value):
            problems.append(
                (("phases", phase, "instance_type"),
                 f"{value!r} is not a {spec.cloud} instance type (e.g. {cloud.instance_type_example})")
            )
    return problems


def _capacity(spec: ResolvedSpec) -> list[Problem]:
    d = spec.phases.deployment
    if d.min_instances > d.max_instances:
        return [(("phases", "deployment", "min_instances"),
                 f"min_instances ({d.min_instances}) is above max_instances ({d.max_instances})")]
    return []


def _variant_names(spec: ResolvedSpec) -> list[Problem]:
    names = [v.name for v in spec.phases.deployment.variants]
    if len(set(names)) != len(names):
        return [(("phases", "deployment", "variants"), "variant names must be unique")]
    return []


def _variant_weights(spec: ResolvedSpec) -> list[Problem]:
    total = sum(v.weight for v in spec.phases.deployment.variants)
    if total != 100:
        return [(("phases", "deployment", "variants"), f"variant weights must add up to 100 (they add up to {total})")]
    return []


def _drift_needs_realtime(spec: ResolvedSpec) -> list[Problem]:
    d = spec.phases.deployment
    if d.drift_detection and not (d.enabled and d.realtime):
        return [(("phases", "deployment", "drift_detection"),
                 "drift detection needs an enabled real-time deployment (deployment.realtime: true)")]
    return []


def _api_needs_realtime(spec: ResolvedSpec) -> list[Problem]:
    d, a = spec.phases.deployment, spec.phases.access
    if a.enabled and not (d.enabled and d.realtime):
        return [(("phases", "access", "enabled"),
                 "the API needs an enabled real-time deployment (deployment.realtime: true)")]
    return []


def _iam_auth(spec: ResolvedSpec) -> list[Problem]:
    if spec.phases.access.auth == "iam" and not clouds.of(spec).supports_iam_auth:
        return [(("phases", "access", "auth"),
                 "iam (SigV4) authentication is AWS only; GCP consumers use Apigee API keys")]
    return []


def _consumer_names(spec: ResolvedSpec) -> list[Problem]:
    names = [c.name for c in spec.phases.access.consumers]
    if len(set(names)) != len(names):
        return [(("phases", "access", "consumers"), "consumer names must be unique")]
    return []


def _consumer_burst(spec: ResolvedSpec) -> list[Problem]:
    return [(("phases", "access", "consumers", i, "burst_limit"), "burst_limit must be at least rate_limit")
            for i, c in enumerate(spec.phases.access.consumers) if c.burst_limit < c.rate_limit]


def _data_phase_needed(spec: ResolvedSpec) -> list[Problem]:
    p = spec.phases
    if (p.deployment.enabled or p.training.enabled) and not p.data.enabled:
        return [(("phases", "data", "enabled"),
                 "training and deployment read the data phase's buckets and key: keep data enabled")]
    return []


def _training_phase_needed(spec: ResolvedSpec) -> list[Problem]:
    if spec.phases.deployment.enabled and not spec.phases.training.enabled:
        return [(("phases", "training", "enabled"), "the deployment pipeline trains models: keep training enabled")]
    return []


def _cloud_rules(spec: ResolvedSpec) -> list[Problem]:
    return clouds.of(spec).spec_rules(spec)


def _budget(spec: ResolvedSpec) -> list[Problem]:
    return clouds.of(spec).budget_rules(spec)


def _state_bucket(spec: ResolvedSpec) -> list[Problem]:
    try:
        clouds.of(spec).check_state_bucket(spec.state.bucket)
    except ValueError as e:
        return [(("state", "bucket"), str(e))]
    return []


# Raw dataset names the blueprints use for something else: AWS's reactive batch input prefix
# raw/inference/ (both clouds refuse it, so a spec means the same datasets on either).
RESERVED_DATASETS = ("inference",)
# Suffixes of the tables a dataset's curated table has beside it (GCP: <dataset>_quarantine).
DATASET_TABLE_SUFFIXES = ("_quarantine",)


def _datasets(spec: ResolvedSpec) -> list[Problem]:
    """Each raw dataset gets its own prefix and curated table: names unique, none reserved or the
    name of another dataset's side table; the training set comes from one of them."""
    problems: list[Problem] = []
    names = spec.phases.data.datasets
    for i, name in enumerate(names):
        where: tuple[str | int, ...] = ("phases", "data", "datasets", i)
        if name in names[:i]:
            problems.append((where, f"dataset {name!r} is listed twice"))
        elif name in RESERVED_DATASETS:
            problems.append((where, f"dataset name {name!r} is reserved (the batch input prefix)"))
        elif any(name == other + suffix for other in names for suffix in DATASET_TABLE_SUFFIXES):
            problems.append((where, f"dataset name {name!r} is the quarantine table of dataset "
                                    f"{name.rsplit('_', 1)[0]!r}"))
    t = spec.phases.training
    if t.enabled and t.dataset not in names:
        problems.append((("phases", "training", "dataset"),
                         f"{t.dataset!r} is not one of phases.data.datasets {names}"))
    return problems


_DEPLOY = {"phases": {"deployment": {"enabled": True, "realtime": True}}}

RULES: tuple[SpecRule, ...] = (
    SpecRule("SPEC001", "tag keys and values are valid on both clouds (AWS tags, GCP labels)", _tags,
             {"client": {"tags": {"aws:team": "x"}}}),
    SpecRule("SPEC002", "CI identity keys agree with each other and with the account",
             ci_rules.check, {"aws": {"ci_role_arn": "arn:aws:iam::999999999999:role/ci"}}),
    SpecRule("SPEC003", "the settings of the spec's cloud are given, no other cloud's", _cloud_settings,
             {"gcp": {"project_id": "acme-data", "region": "europe-west1"}}, on="written"),
    SpecRule("SPEC004", "instance_type overrides are the cloud's instance types", _instance_types,
             {"phases": {"training": {"instance_type": "n2-standard-4"}}}),
    SpecRule("SPEC005", "deployment min_instances is at most max_instances", _capacity,
             {"phases": {"deployment": {"min_instances": 3, "max_instances": 2}}}),
    SpecRule("SPEC006", "variant names are unique", _variant_names,
             {"phases": {"deployment": {"variants": [{"name": "champion", "weight": 50},
                                                     {"name": "champion", "weight": 50}]}}}),
    SpecRule("SPEC007", "variant weights add up to 100", _variant_weights,
             {"phases": {"deployment": {"variants": [{"name": "champion", "weight": 50},
                                                     {"name": "challenger", "weight": 30}]}}}),
    SpecRule("SPEC008", "drift detection needs an enabled real-time deployment", _drift_needs_realtime,
             {"phases": {"deployment": {"realtime": False, "drift_detection": True}}}),
    SpecRule("SPEC009", "the API needs an enabled real-time deployment", _api_needs_realtime,
             {"phases": {"deployment": {"realtime": False}, "access": {"enabled": True}}}),
    SpecRule("SPEC010", "IAM (SigV4) API authentication only where the cloud has it", _iam_auth,
             {"phases": {**_DEPLOY["phases"], "access": {"enabled": True, "auth": "iam"}}}, cloud="gcp"),
    SpecRule("SPEC011", "API consumer names are unique", _consumer_names,
             {"phases": {**_DEPLOY["phases"], "access": {"enabled": True, "consumers": [
                 {"name": "shop", "rate_limit": 10, "burst_limit": 20},
                 {"name": "shop", "rate_limit": 10, "burst_limit": 20}]}}}),
    SpecRule("SPEC012", "an API consumer's burst_limit is at least its rate_limit", _consumer_burst,
             {"phases": {**_DEPLOY["phases"], "access": {"enabled": True, "consumers": [
                 {"name": "shop", "rate_limit": 10, "burst_limit": 5}]}}}),
    SpecRule("SPEC013", "training and deployment need the data phase", _data_phase_needed,
             {"phases": {"data": {"enabled": False}}}),
    SpecRule("SPEC014", "deployment needs the training phase", _training_phase_needed,
             {"phases": {**_DEPLOY["phases"], "training": {"enabled": False}}}),
    SpecRule("SPEC015", "the cloud's own rules (clouds registry): derived names, labels, networks, schedules",
             _cloud_rules, {"client": {"tags": {f"team{i}": "x" for i in range(64)}}}, cloud="gcp"),
    SpecRule("SPEC016", "the state bucket name is valid on the cloud", _state_bucket,
             {"state": {"bucket": "Bad_Bucket"}}),
    SpecRule("SPEC017", "budget.monthly_usd renders a budget that alarms (GCP: needs gcp.billing_account;"
             " AWS: the deployment phase)",
             _budget, {"gcp": {"billing_account": None}}, cloud="gcp"),
    SpecRule("SPEC018", "raw datasets are unique, not reserved, and the training dataset is one of them",
             _datasets, {"phases": {"data": {"datasets": ["sales", "sales"]}}}),
)
BY_ID: dict[str, SpecRule] = {r.id: r for r in RULES}


def check(spec: ResolvedSpec | None, written: ClientSpec | None = None) -> list[Problem]:
    """Every rule's problems, in RULES order, each message ending with its rule id. The rules of the
    spec as written run when it is given; the others when the spec could be resolved."""
    out: list[Problem] = []
    for rule in RULES:
        subject = written if rule.on == "written" else spec
        if subject is not None:
            out += [(path, f"{message} [{rule.id}]") for path, message in rule.check(subject)]
    return out


def markdown() -> str:
    """docs/spec-rules.md: one row per rule."""
    lines = ["# Spec rules", "",
             "Rules across keys that `dsaas-infra` checks after filling the maturity defaults; each error line",
             "ends with the rule's id, e.g. `phases.deployment.variants: variant weights must add up to 100",
             "(they add up to 80) [SPEC007]`. Generated from `dsaas_infra/spec/rules.py` by",
             "`python -m dsaas_infra.spec.rules > docs/spec-rules.md`; tests/spec/test_rules.py keeps it current.",
             "Single-key checks (types, ranges, patterns, unknown keys) come from the spec's JSON Schema",
             "(`dsaas-infra schema`) and carry no id.", "",
             "| id | rule | example cloud |", "|---|---|---|"]
    lines += [f"| `{r.id}` | {r.title} | {r.cloud} |" for r in RULES]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
