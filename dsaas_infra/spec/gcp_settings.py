"""The spec's `gcp:` key as users write it: project, region, network, Apigee, CI identity (validated by pydantic)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from dsaas_infra.spec import naming
from dsaas_infra.spec.regions import GCP_REGIONS
from dsaas_infra.spec.strict import Strict


class GcpNetwork(Strict):
    network: Annotated[
        str,
        StringConstraints(
            pattern=r"^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/global/networks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
        ),
    ] = Field(description="self link: projects/PROJECT/global/networks/NAME")
    subnetwork: Annotated[
        str,
        StringConstraints(
            pattern=r"^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/regions/[a-z0-9-]+/subnetworks/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
        ),
    ] = Field(description="self link: projects/PROJECT/regions/REGION/subnetworks/NAME")
    pods_range_name: str = "pods"
    services_range_name: str = "services"


class GcpApigee(Strict):
    organization: Literal["shared", "dedicated"] = Field(
        "shared",
        description="shared: the provider's Apigee organisation (one environment, group, products "
                    "and apps per client); dedicated: an organisation of this client's own",
    )
    project_id: str | None = Field(
        None, description="shared: project of the provider's Apigee organisation (its id is the org name)"
    )
    instance: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")] | None = Field(
        None, description="shared: the organisation's runtime instance the client's environment attaches to"
    )
    environment_type: Literal["BASE", "INTERMEDIATE", "COMPREHENSIVE"] | None = Field(
        None, description="pay-as-you-go environment type; default INTERMEDIATE "
        "(the proxy uses an Extensible policy; BASE cannot run it)"
    )


class GcpVpcSc(Strict):
    access_policy: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] = Field(
        description="numeric id of the organisation's access policy (accessPolicies/ID)"
    )
    perimeter: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,49}$")] = Field(
        description="the existing service perimeter (created once by the organisation) the project joins"
    )


class GcpSettings(Strict):
    project_id: str = Field(description="6-30 chars, GCP project id rules")
    region: str
    network: GcpNetwork | None = None
    egress: Literal["nat", "restricted"] | None = Field(
        None, description="created VPC: nat (Cloud NAT to the internet) or restricted (no internet route; "
        "Google APIs through restricted.googleapis.com only); default restricted at managed, nat otherwise"
    )
    vpc_sc: GcpVpcSc | None = Field(
        None, description="VPC Service Controls: add the project to an existing perimeter (off by default: "
        "a perimeter needs an organisation-level access policy)"
    )
    apigee: GcpApigee = Field(default_factory=GcpApigee)
    workload_identity_provider: Annotated[str, StringConstraints(pattern=naming.GCP_WIF_PROVIDER)] | None = Field(
        None, description="projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER "
        "the fleet's CI authenticates with (Workload Identity Federation)"
    )
    ci_service_account: Annotated[str, StringConstraints(pattern=naming.GCP_SERVICE_ACCOUNT)] | None = Field(
        None, description="service account CI impersonates to apply"
    )
    ci_plan_service_account: Annotated[str, StringConstraints(pattern=naming.GCP_SERVICE_ACCOUNT)] | None = Field(
        None, description="read-only service account for pull-request plans and drift; default ci_service_account"
    )
    project_number: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = Field(
        None, description="the project's number, quoted (gcloud projects describe PROJECT "
        "--format='value(projectNumber)'): with ci.create_identity the fleet's CI names the created "
        "Workload Identity Federation provider by it"
    )
    billing_account: Annotated[str, StringConstraints(pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")] | None = Field(
        None, description="billing account of the project (XXXXXX-XXXXXX-XXXXXX): with budget.monthly_usd the "
        "blueprint creates a billing budget that alerts the notification channels"
    )
    model_approvers: list[Annotated[str, StringConstraints(pattern=naming.GCP_IAM_MEMBER)]] = Field(
        default_factory=list, max_length=20,
        description="IAM members (group:, user:, serviceAccount:) who approve model versions for deployment "
        "(manual approval): a custom role that can only read models and set their `approved` alias",
    )

    @field_validator("project_id")
    @classmethod
    def _project(cls, v: str) -> str:
        if not re.fullmatch(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", v):
            raise ValueError(
                "GCP project ids are 6-30 lowercase letters, digits or '-', starting with a "
                "letter and not ending with '-'"
            )
        if "google" in v or v.startswith(("ssl", "null", "undefined")):
            raise ValueError("GCP project ids must not contain 'google' or use reserved words")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in GCP_REGIONS:
            raise ValueError(f"unknown GCP region {v!r}; e.g. us-central1, europe-west1")
        return v
