"""The runner with a real Terraform: finding the binary, streaming, and failures carrying diagnostics."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from dsaas_infra.errors import ToolMissingError, UsageError
from dsaas_infra.terraform import args
from dsaas_infra.terraform.runner import TerraformError, find_terraform, run_terraform


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("on_path, expected", [
    (["terraform", "tofu"], "tofu"),
    (["terraform"], "terraform"),
    (["tofu"], "tofu"),
])
def test_find_on_path_prefers_tofu(tmp_path, on_path, expected):
    for name in on_path:
        executable(tmp_path / "bin" / name)
    found = find_terraform(None, {"PATH": str(tmp_path / "bin")})
    assert found == str(tmp_path / "bin" / expected)


def test_flag_beats_environment_beats_path(tmp_path):
    flag = executable(tmp_path / "a" / "tf-flag")
    env_bin = executable(tmp_path / "b" / "tf-env")
    executable(tmp_path / "bin" / "terraform")
    env = {"PATH": str(tmp_path / "bin"), "DSAAS_TERRAFORM": str(env_bin)}
    assert find_terraform(str(flag), env) == str(flag)
    assert find_terraform(None, env) == str(env_bin)


def test_flag_may_name_a_binary_on_path(tmp_path):
    executable(tmp_path / "bin" / "tofu-1.8")
    assert find_terraform("tofu-1.8", {"PATH": str(tmp_path / "bin")}) == str(tmp_path / "bin" / "tofu-1.8")


@pytest.mark.parametrize("explicit, env, message", [
    ("/nonexistent/terraform", {}, "--terraform=/nonexistent/terraform: not an executable file"),
    ("tofu-9", {"PATH": "/nonexistent"}, "--terraform=tofu-9: no executable of that name on PATH"),
    (None, {"DSAAS_TERRAFORM": "/nonexistent/tf"}, "DSAAS_TERRAFORM=/nonexistent/tf: not an executable file"),
])
def test_a_bad_explicit_terraform_is_a_usage_error(explicit, env, message):
    with pytest.raises(UsageError, match=message) as info:
        find_terraform(explicit, env)
    assert info.value.exit_code == 2


def test_nothing_found_by_search_is_a_missing_tool():
    with pytest.raises(ToolMissingError, match="no terraform or tofu binary on PATH") as info:
        find_terraform(None, {"PATH": "/nonexistent"})
    assert info.value.exit_code == 1


def test_streams_stdout_and_captures_it(terraform_bin, tf_env, tmp_path):
    echo = io.StringIO()
    result = run_terraform(terraform_bin, ["version"], cwd=tmp_path, env=tf_env, capture=True, echo=echo)
    assert result.returncode == 0
    assert result.stdout.startswith("Terraform v") or result.stdout.startswith("OpenTofu v")
    assert echo.getvalue() == result.stdout


@pytest.fixture(scope="module")
def planned_phases(terraform_bin, tf_env, null_fixtures, tmp_path_factory):
    """The `phases` fixture initialised and planned once for this module (init is the slow part)."""
    work = tmp_path_factory.mktemp("runner") / "phases"
    shutil.copytree(null_fixtures / "phases", work)
    run_terraform(terraform_bin, args.init_args(), cwd=work, env=tf_env, echo=io.StringIO())
    out = io.StringIO()
    run_terraform(terraform_bin, args.plan_args(work / "p.tfplan"), cwd=work, env=tf_env, echo=out)
    return work, out.getvalue()


def test_init_and_plan_with_the_real_null_provider(planned_phases):
    work, plan_output = planned_phases
    assert (work / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "null" / "2.1.2").is_dir()
    assert "Plan: 8 to add, 0 to change, 0 to destroy." in plan_output
    assert (work / "p.tfplan").is_file()


def test_show_json_is_captured_whole(planned_phases, terraform_bin, tf_env):
    work, _ = planned_phases
    result = run_terraform(terraform_bin, args.show_json_args(work / "p.tfplan"), cwd=work, env=tf_env,
                           capture=True)
    data = json.loads(result.stdout)
    assert len(data["resource_changes"]) == 8


def test_failure_carries_terraforms_diagnostics(terraform_bin, tf_env, fixture_copy):
    work = fixture_copy("broken")
    run_terraform(terraform_bin, args.init_args(), cwd=work, env=tf_env, echo=io.StringIO())
    shown = io.StringIO()
    with pytest.raises(TerraformError) as info:
        run_terraform(terraform_bin, args.plan_args(work / "p.tfplan"), cwd=work, env=tf_env,
                      echo=io.StringIO(), echo_stderr=shown)
    err = info.value
    assert err.returncode == 1
    assert err.exit_code == 1  # an OperationError
    assert "Reference to undeclared resource" in err.diagnostics
    assert 'null_resource.missing' in err.diagnostics
    # The full diagnostics were shown as Terraform wrote them; the error itself is one line.
    assert shown.getvalue() == err.diagnostics
    name = os.path.basename(terraform_bin)
    assert err.lines() == [f"{name} plan failed (exit 1) in {work}: Error: Reference to undeclared resource"]


def test_a_binary_that_cannot_start_is_a_tool_error(tmp_path):
    with pytest.raises(ToolMissingError, match="cannot run"):
        run_terraform(str(tmp_path / "missing-terraform"), ["version"], cwd=tmp_path)


def test_a_coloured_failure_still_names_terraforms_error(terraform_bin, tf_env, fixture_copy):
    """On a terminal Terraform draws its diagnostics in colour: the one-line error must still carry
    the "Error: ..." headline, not an escape sequence or the box's last line."""
    work = fixture_copy("broken")
    run_terraform(terraform_bin, args.init_args(), cwd=work, env=tf_env, echo=io.StringIO())
    with pytest.raises(TerraformError) as info:
        run_terraform(terraform_bin, args.plan_args(work / "p.tfplan", color=True), cwd=work, env=tf_env,
                      echo=io.StringIO(), echo_stderr=io.StringIO())
    err = info.value
    assert "\x1b[" in err.diagnostics  # Terraform really coloured it
    assert err.lines()[0].endswith(": Error: Reference to undeclared resource")
    assert "\x1b" not in "".join(err.lines())
