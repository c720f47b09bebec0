"""The one registry of clouds: everything that differs between AWS and GCP is reached through it.

Adding a cloud = a module implementing ``Cloud`` (spec rules, render module, preflight, bootstrap,
regions, instance types, state bucket, cost rules) plus one entry in ``REGISTRY``; the settings
model of its spec key lives in spec/<cloud>_settings.py. No other module branches on the cloud's name, and an
unknown cloud is an error, never "the other one".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from dsaas_infra.errors import UsageError

if TYPE_CHECKING:
    from dsaas_infra.bootstrap.steps import Step
    from dsaas_infra.preflight.results import CheckResult
    from dsaas_infra.spec.model import ClientSpec
    from dsaas_infra.spec.resolved import ResolvedSpec

Problem = tuple[tuple[str | int, ...], str]


class Cloud(Protocol):
    """What the rest of dsaas-infra needs to know about one cloud."""

    name: str  # the spec's `cloud:` value and the key of its settings (`aws:`, `gcp:`)
    title: str  # shown to people ("AWS", "Google Cloud")
    render_module: str  # provides build_context(spec), files(ctx), optionally derived_files(ctx, rendered)
    ci_render_module: str  # provides build(spec, ctx): the `ci` values of its ci.tf.j2 (ci.create_identity)
    regions: frozenset[str]
    instance_type: re.Pattern[str]  # what phases.*.instance_type must match
    instance_type_example: str
    sdk_prefixes: tuple[str, ...]  # top-level modules of its SDK: a missing one is a missing tool
    sdk_modules: tuple[str, ...]  # what preflight and bootstrap import (doctor checks them)
    supports_iam_auth: bool  # phases.access.auth: iam (SigV4)
    ci_trusts_branch: bool  # the CI identity it creates admits apply only from ci.default_branch

    def settings(self, spec: ClientSpec) -> Any | None:
        """The spec's settings of this cloud (``spec.<name>``), or None."""
        ...

    def account(self, spec: ResolvedSpec) -> str:
        """Account or project the blueprint is deployed in."""
        ...

    def region(self, spec: ResolvedSpec) -> str: ...

    def default_state_bucket(self, spec: ClientSpec) -> str: ...

    def resolved_spec(self, spec: ClientSpec, **common: Any) -> ResolvedSpec:
        """The resolved spec of this cloud (spec/resolved.py) from the written one and the shared fields."""
        ...

    def check_state_bucket(self, name: str) -> None:
        """Raise ValueError when ``name`` is not a valid bucket name on this cloud."""
        ...

    def spec_rules(self, spec: ResolvedSpec) -> list[Problem]:
        """This cloud's rules across keys (names it derives, networks, labels, ...)."""
        ...

    def budget_rules(self, spec: ResolvedSpec) -> list[Problem]:
        """Problems when budget.monthly_usd is set but this cloud's blueprint could not create the budget."""
        ...

    def deprecations(self, spec: ResolvedSpec) -> list[Problem]: ...

    ci_leg_keys: tuple[str, ...]  # what its CI login steps read from a fleet matrix leg

    def ci_leg(self, ci: Mapping[str, str]) -> dict[str, str]:
        """A fleet matrix leg's login values from the index entry's `ci` (fleet.json)."""
        ...

    def ci_identity(self, spec: ResolvedSpec, missing: Callable[[str, str], Exception]) -> dict[str, str]:
        """What a fleet's CI job logs in with (fleet.json `ci`); missing(key, message) is the located error."""
        ...

    def ci_rules(self, spec: ResolvedSpec) -> list[Problem]:
        """This cloud's rules of the CI identity keys (spec/ci_rules.py holds the common ones)."""
        ...

    def preflight(self, spec: ResolvedSpec) -> list[CheckResult]:
        """Check the account or project (imports the cloud's SDK)."""
        ...

    def bootstrap(self, spec: ResolvedSpec) -> list[Step]:
        """Create the remote state storage if missing (imports the cloud's SDK)."""
        ...

    def local_credentials(self, env: Mapping[str, str]) -> tuple[bool, str]:
        """Whether credentials are on this machine (looked for locally, never printed), and how."""
        ...

    def cost_rules(self) -> Sequence[Callable[..., None]]: ...


class UnknownCloudError(UsageError):
    """A cloud name no registered cloud answers to."""


def _registry() -> dict[str, Cloud]:
    from dsaas_infra.clouds.aws import AWS
    from dsaas_infra.clouds.gcp import GCP

    return {"aws": AWS, "gcp": GCP}


REGISTRY: dict[str, Cloud] = _registry()


def get(name: str) -> Cloud:
    """The registered cloud called ``name``; any other name is an UnknownCloudError (exit 2)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownCloudError(f"unknown cloud {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def of(spec: ClientSpec | ResolvedSpec) -> Cloud:
    """The cloud of a spec."""
    return get(spec.cloud)


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)
