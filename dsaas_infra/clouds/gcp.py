"""Google Cloud in the cloud registry: where its rules, renderer, preflight, bootstrap and prices live."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsaas_infra.spec import gcp_rules, naming
from dsaas_infra.spec.regions import GCP_REGIONS
from dsaas_infra.spec.resolved import GcpSpec, ResolvedSpec
from dsaas_infra.spec.sizes import GCP_MACHINE_TYPE

ADC = Path(".config/gcloud/application_default_credentials.json")

if TYPE_CHECKING:
    from dsaas_infra.bootstrap.steps import Step
    from dsaas_infra.clouds import Problem
    from dsaas_infra.preflight.results import CheckResult
    from dsaas_infra.spec.model import ClientSpec


class GcpCloud:
    name = "gcp"
    title = "Google Cloud"
    render_module = "dsaas_infra.render.gcp.build"
    ci_render_module = "dsaas_infra.render.gcp.ci"
    regions = GCP_REGIONS
    instance_type = GCP_MACHINE_TYPE
    instance_type_example = "n2-standard-4"
    sdk_prefixes: tuple[str, ...] = ("google",)
    sdk_modules: tuple[str, ...] = ("google.cloud.storage", "google.cloud.resourcemanager_v3", "google.auth")
    supports_iam_auth = False  # consumers use Apigee API keys
    ci_trusts_branch = True  # the WIF provider's condition admits apply only from ci.default_branch

    def settings(self, spec: ClientSpec) -> Any | None:
        return spec.gcp

    def account(self, spec: ResolvedSpec) -> str:
        assert isinstance(spec, GcpSpec)
        return spec.gcp.project_id

    def region(self, spec: ResolvedSpec) -> str:
        assert isinstance(spec, GcpSpec)
        return spec.gcp.region

    def default_state_bucket(self, spec: ClientSpec) -> str:
        assert spec.gcp is not None
        return f"{spec.gcp.project_id}-{spec.client.environment}-tfstate"

    def check_state_bucket(self, name: str) -> None:
        naming.check_gcs_bucket(name)

    def resolved_spec(self, spec: ClientSpec, **common: Any) -> ResolvedSpec:
        assert spec.gcp is not None
        return GcpSpec(gcp=spec.gcp, **common)

    def spec_rules(self, spec: ResolvedSpec) -> list[Problem]:
        assert isinstance(spec, GcpSpec)
        return gcp_rules.check(spec)

    def budget_rules(self, spec: ResolvedSpec) -> list[Problem]:
        assert isinstance(spec, GcpSpec)
        return gcp_rules.budget(spec)

    ci_leg_keys: tuple[str, ...] = ("workload_identity_provider", "service_account", "plan_service_account")

    def ci_leg(self, ci: Mapping[str, str]) -> dict[str, str]:
        return {k: ci[k] for k in self.ci_leg_keys}

    def ci_identity(self, spec: ResolvedSpec, missing: Callable[[str, str], Exception]) -> dict[str, str]:
        from dsaas_infra.spec import ci_names

        assert isinstance(spec, GcpSpec)
        if spec.ci is not None and spec.ci.create_identity:
            provider = ci_names.gcp_provider_name(spec)
            if provider is None:
                raise missing("gcp.project_number", "with ci.create_identity the fleet's CI logs in to the provider "
                              "the blueprint creates, which is named by the project's number: set "
                              "gcp.project_number (gcloud projects describe PROJECT --format='value(projectNumber)')")
            accounts = ci_names.gcp_service_accounts(spec)
            return {"workload_identity_provider": provider, "service_account": accounts["apply"],
                    "plan_service_account": accounts["plan"]}
        if not spec.gcp.workload_identity_provider or not spec.gcp.ci_service_account:
            raise missing("gcp.workload_identity_provider", "a fleet client needs its Workload Identity Federation "
                          "provider and service account: set gcp.workload_identity_provider and "
                          "gcp.ci_service_account, or ci.create_identity: true")
        return {"workload_identity_provider": spec.gcp.workload_identity_provider,
                "service_account": spec.gcp.ci_service_account,
                "plan_service_account": spec.gcp.ci_plan_service_account or spec.gcp.ci_service_account}

    def ci_rules(self, spec: ResolvedSpec) -> list[Problem]:
        from dsaas_infra.spec import ci_rules

        assert isinstance(spec, GcpSpec)
        return ci_rules.check_gcp(spec)

    def deprecations(self, spec: ResolvedSpec) -> list[Problem]:
        return []

    def preflight(self, spec: ResolvedSpec) -> list[CheckResult]:
        from dsaas_infra.preflight import gcp

        assert isinstance(spec, GcpSpec)
        return gcp.run_checks(spec)

    def bootstrap(self, spec: ResolvedSpec) -> list[Step]:
        from dsaas_infra.bootstrap import gcp

        assert isinstance(spec, GcpSpec)
        return gcp.bootstrap(spec)

    def local_credentials(self, env: Mapping[str, str]) -> tuple[bool, str]:
        path = env.get("GOOGLE_APPLICATION_CREDENTIALS")
        if path:
            if Path(path).is_file():
                return True, "GOOGLE_APPLICATION_CREDENTIALS names a file"
            return False, "GOOGLE_APPLICATION_CREDENTIALS names no file"
        home = Path(env.get("HOME") or Path.home())
        config = Path(env["CLOUDSDK_CONFIG"]) / ADC.name if env.get("CLOUDSDK_CONFIG") else home / ADC
        if config.is_file():
            return True, "Application Default Credentials (gcloud auth application-default login)"
        return False, "none found: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS"

    def cost_rules(self) -> Sequence[Callable[..., None]]:
        from dsaas_infra.cost import rules_gcp

        return rules_gcp.RULES


GCP = GcpCloud()
