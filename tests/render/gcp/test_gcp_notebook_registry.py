"""What the GCP README says notebooks may do with Artifact Registry is exactly what their IAM allows."""

from __future__ import annotations

import pytest

from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.parsed_blueprint import parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}


@pytest.mark.parametrize("stem", sorted(GCP_SPECS))
def test_notebooks_may_push_and_pull_in_the_models_repository_and_nothing_else(stem):
    bp = parse(load_spec(GCP_SPECS[stem]))
    registry = {n: b for (t, n), b in bp.resources.items()
                if t.startswith("google_artifact_registry_repository_iam")
                and b["member"] == "${google_service_account.workbench.member}"}
    assert {n: (b["repository"], b["role"]) for n, b in registry.items()} == {
        "workbench_writer": ("${google_artifact_registry_repository.models.name}", "roles/artifactregistry.writer")}
    # No project-wide Artifact Registry role either.
    project_roles = [b for (t, _), b in bp.resources.items() if t == "google_project_iam_member"
                     and "workbench" in str(b.get("member"))]
    assert not any("artifactregistry" in str(b.get("role")) + str(b.get("for_each")) for b in project_roles)
    readme = bp.text("README.md")
    repo = bp.resources[("google_artifact_registry_repository", "models")]["repository_id"]
    assert repo == "${local.name_prefix}-models"
    if bp.spec.phases.training.users:
        name = f"{bp.spec.client.name}-{bp.spec.client.environment}-models"
        assert f"push and pull them in `{name}`" in readme.replace("\n  ", " ")
        assert "`roles/artifactregistry.writer` on that repository alone" in readme.replace("\n  ", " ")
    # The README promises no package repository the blueprint does not create.
    assert "install packages from an Artifact Registry" not in readme
    if "Workloads cannot reach the internet" in readme:  # restricted egress (managed)
        assert "the blueprint creates no package\nrepository" in readme
