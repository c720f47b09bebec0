"""apply runs only the plan file `plan` saved, made for this blueprint (issue 12): real Terraform,
real null provider, the real CLI."""

from __future__ import annotations

import json
import shutil

from dsaas_infra.terraform.plancheck import file_sha256
from tests.commands.test_plan_apply_destroy import (  # noqa: F401 (fixtures)
    FIXTURES,
    assert_clean_error,
    blueprint,
    cli,
    state_addresses,
    tf_env,
)


def _other_plan(tf_env, work):
    """A plan made for another configuration: the same blueprint plus one more null_resource."""
    other = work.parent / "other"
    shutil.copytree(FIXTURES / "phases", other)
    (other / "extra.tf").write_text('resource "null_resource" "extra" {}\n')
    assert cli(tf_env, "plan", other, "--skip-preflight").returncode == 0
    return other


def test_the_plan_record_holds_the_plan_files_hash(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    record = json.loads((work / ".dsaas" / "plan.json").read_text())
    assert record["plan_sha256"] == file_sha256(work / ".dsaas" / "plan.tfplan")


def test_apply_refuses_a_plan_file_copied_in_from_another_configuration(tf_env, blueprint):
    """The reproduction: a plan made for another configuration, copied into .dsaas/plan.tfplan,
    was applied (exit 0) and created an extra null_resource."""
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    other = _other_plan(tf_env, work)
    shutil.copy(other / ".dsaas" / "plan.tfplan", work / ".dsaas" / "plan.tfplan")
    errors = assert_clean_error(cli(tf_env, "apply", work, "--auto-approve"), 2)
    assert errors == [f"error: {work / '.dsaas' / 'plan.tfplan'} is not the plan `dsaas-infra plan` saved "
                      "(its sha256 differs from the plan record): "
                      f"run `dsaas-infra plan {work}` again and review it"]
    assert state_addresses(work) == []


def test_apply_refuses_a_plan_whose_configuration_is_not_the_blueprints(tf_env, blueprint):
    """Even with a record rewritten to the foreign plan's hash, `terraform show -json` tells."""
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    other = _other_plan(tf_env, work)
    shutil.copy(other / ".dsaas" / "plan.tfplan", work / ".dsaas" / "plan.tfplan")
    record_path = work / ".dsaas" / "plan.json"
    record = json.loads(record_path.read_text())
    record["plan_sha256"] = file_sha256(work / ".dsaas" / "plan.tfplan")
    record_path.write_text(json.dumps(record))
    errors = assert_clean_error(cli(tf_env, "apply", work, "--auto-approve"), 2)
    assert errors == [f"error: the saved plan was not made for {work} (its configuration differs: "
                      "null_resource.extra (only in the plan)): "
                      f"run `dsaas-infra plan {work}` again and review it"]
    assert state_addresses(work) == []
    # The same plan applied where it belongs still works: the check is not refusing everything.
    result = cli(tf_env, "apply", other, "--auto-approve")
    assert result.returncode == 0, result.stderr
    assert "null_resource.extra" in state_addresses(other)


def test_a_record_without_a_plan_hash_is_not_trusted(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    record_path = work / ".dsaas" / "plan.json"
    record = json.loads(record_path.read_text())
    del record["plan_sha256"]
    record_path.write_text(json.dumps(record))
    errors = assert_clean_error(cli(tf_env, "apply", work, "--auto-approve"), 2)
    assert "is not the plan `dsaas-infra plan` saved" in errors[0]
    assert state_addresses(work) == []
