"""Fill maturity defaults into a validated spec and check the rules that span several keys."""

from __future__ import annotations

from dsaas_infra import clouds
from dsaas_infra.spec import ci_rules, naming
from dsaas_infra.spec.maturity import DEFAULTS, default
from dsaas_infra.spec.model import ClientSpec, Variant

Problem = tuple[tuple[str | int, ...], str]


def apply_maturity(spec: ClientSpec) -> None:
    """Replace every unset phase setting with the default of the client's maturity level."""
    maturity = spec.client.maturity
    for phase_name, settings in DEFAULTS.items():
        phase = getattr(spec.phases, phase_name)
        for setting in settings:
            if getattr(phase, setting) is None:
                value = default(phase_name, setting, maturity, spec.cloud)
                if setting == "variants":
                    value = [Variant(**v) for v in value]
                setattr(phase, setting, value)


def default_state(spec: ClientSpec) -> None:
    """Derive the remote state location from client, environment and account/project."""
    c = spec.client
    cloud = clouds.of(spec)
    if spec.state.bucket is None and cloud.settings(spec) is not None:
        spec.state.bucket = cloud.default_state_bucket(spec)
    if spec.state.prefix is None:
        spec.state.prefix = f"dsaas-infra/{c.name}/{c.environment}"


def deprecations(spec: ClientSpec) -> list[Problem]:
    """Keys that still work for this release but are on their way out (warnings, not errors)."""
    return clouds.of(spec).deprecations(spec)


def check_rules(spec: ClientSpec) -> list[Problem]:
    """Rules between keys that single-field validation cannot see. Run after apply_maturity."""
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
    problems.extend(ci_rules.check(spec))
    cloud = clouds.of(spec)
    if cloud.settings(spec) is None:
        problems.append(((spec.cloud,), f"required when cloud is {spec.cloud}"))
    for other in clouds.REGISTRY.values():
        if other.name != cloud.name and other.settings(spec) is not None:
            problems.append(((other.name,), f"only allowed when cloud is {other.name} (cloud is {spec.cloud})"))

    for phase in ("training", "deployment"):
        value = getattr(spec.phases, phase).instance_type
        if value is not None and not cloud.instance_type.fullmatch(value):
            problems.append(
                (("phases", phase, "instance_type"),
                 f"{value!r} is not a {spec.cloud} instance type (e.g. {cloud.instance_type_example})")
            )

    d = spec.phases.deployment
    if d.min_instances > d.max_instances:
        problems.append(
            (("phases", "deployment", "min_instances"),
             f"min_instances ({d.min_instances}) is above max_instances ({d.max_instances})")
        )
    names = [v.name for v in d.variants]
    if len(set(names)) != len(names):
        problems.append((("phases", "deployment", "variants"), "variant names must be unique"))
    if sum(v.weight for v in d.variants) != 100:
        problems.append(
            (("phases", "deployment", "variants"),
             f"variant weights must add up to 100 (they add up to {sum(v.weight for v in d.variants)})")
        )
    if d.drift_detection and not (d.enabled and d.realtime):
        problems.append(
            (("phases", "deployment", "drift_detection"),
             "drift detection needs an enabled real-time deployment (deployment.realtime: true)")
        )
    a = spec.phases.access
    if a.enabled and not (d.enabled and d.realtime):
        problems.append(
            (("phases", "access", "enabled"),
             "the API needs an enabled real-time deployment (deployment.realtime: true)")
        )
    if a.auth == "iam" and not cloud.supports_iam_auth:
        problems.append((("phases", "access", "auth"),
                         "iam (SigV4) authentication is AWS only; GCP consumers use Apigee API keys"))
    consumer_names = [c.name for c in a.consumers]
    if len(set(consumer_names)) != len(consumer_names):
        problems.append((("phases", "access", "consumers"), "consumer names must be unique"))
    for i, consumer in enumerate(a.consumers):
        if consumer.burst_limit < consumer.rate_limit:
            problems.append(
                (("phases", "access", "consumers", i, "burst_limit"),
                 "burst_limit must be at least rate_limit")
            )
    if (d.enabled or spec.phases.training.enabled) and not spec.phases.data.enabled:
        problems.append(
            (("phases", "data", "enabled"),
             "training and deployment read the data phase's buckets and key: keep data enabled")
        )
    if d.enabled and not spec.phases.training.enabled:
        problems.append(
            (("phases", "training", "enabled"),
             "the deployment pipeline trains models: keep training enabled")
        )

    problems.extend(cloud.spec_rules(spec))

    if spec.state.bucket is not None:
        try:
            cloud.check_state_bucket(spec.state.bucket)
        except ValueError as e:
            problems.append((("state", "bucket"), str(e)))
    return problems
