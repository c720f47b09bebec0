"""The optional CI identity of a blueprint (ci.create_identity): values for templates/<cloud>/ci.tf.j2.

GitHub Actions jobs of the fleet repository authenticate without stored keys: to AWS with the
account's GitHub OIDC provider and two roles, to GCP with a Workload Identity Federation pool and
two service accounts. The apply identity is trusted only from the GitHub environment
`<client>-<env>` (approvals per client), the read-only plan identity only from `<client>-<env>-plan`.
What differs per cloud is computed by the cloud's CI module (clouds registry: ci_render_module).
"""

from __future__ import annotations

import importlib
from typing import Any

from dsaas_infra import clouds
from dsaas_infra.spec import ci_names
from dsaas_infra.spec.resolved import ResolvedSpec

GITHUB_ISSUER = ci_names.GITHUB_ISSUER
GITHUB_OIDC_HOST = ci_names.GITHUB_OIDC_HOST


def enabled(spec: ResolvedSpec) -> bool:
    return spec.ci is not None and spec.ci.create_identity


def files(spec: ResolvedSpec) -> list[tuple[str, str]]:
    return [("ci.tf", f"{spec.cloud}/ci.tf.j2")] if enabled(spec) else []


def context(spec: ResolvedSpec, ctx: Any) -> dict[str, Any]:
    """The `ci` template variable: the shared names plus what the cloud's CI module computes from `ctx`."""
    if not enabled(spec):
        return {}
    assert spec.ci is not None
    ci: dict[str, Any] = {"repository": spec.ci.repository, "environments": ci_names.environments(spec),
                          "subjects": ci_names.github_subjects(spec), "issuer": GITHUB_ISSUER,
                          "default_branch": spec.ci.default_branch}
    module = importlib.import_module(clouds.of(spec).ci_render_module)
    ci.update(module.build(spec, ctx))
    return {"ci": ci}
