"""`dsaas-infra drift` end to end: the real CLI, a real Terraform and the real null provider.

A null_resource whose id is blanked in the state is what the provider reports as gone on refresh:
Terraform's resource_drift names it (the null provider's read changes nothing else, so attribute
changes are covered by tests/terraform/test_tf_drift.py on resource_drift documents).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.commands.test_plan_apply_destroy import FIXTURES, cli, tf_env  # noqa: F401 - fixture


def _apply(env, work):
    for argv in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        done = subprocess.run([env["DSAAS_TERRAFORM"], *argv], cwd=work, env=env, capture_output=True, text=True,
                              timeout=180)
        assert done.returncode == 0, done.stderr


def _blank_id(work, address):
    state_file = work / "terraform.tfstate"
    state = json.loads(state_file.read_text())
    for r in state["resources"]:
        if f"{r['type']}.{r['name']}" == address:
            r["instances"][0]["attributes"]["id"] = ""
    state["serial"] += 1
    state_file.write_text(json.dumps(state))


@pytest.fixture(scope="module")
def applied(tf_env, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("drift")
    clean, drifted = root / "clean", root / "drifted"
    for work in (clean, drifted):
        shutil.copytree(FIXTURES / "phases", work)
        _apply(tf_env, work)
    _blank_id(drifted, "null_resource.raw")
    return clean, drifted


def test_a_clean_blueprint_has_no_drift(tf_env, applied):  # noqa: F811
    clean, _ = applied
    result = cli(tf_env, "drift", clean, "--skip-preflight")
    assert result.returncode == 0, result.stderr
    assert "no drift" in result.stdout


def test_a_drifted_null_resource_is_exit_2_and_json_names_its_address(tf_env, applied):  # noqa: F811
    _, drifted = applied
    before = (drifted / "terraform.tfstate").read_bytes()
    result = cli(tf_env, "drift", drifted, "--skip-preflight", "--format", "json")
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["command"] == "drift" and doc["exit_code"] == 2
    [client] = doc["clients"]
    assert client["status"] == "drift" and client["exit_code"] == 2
    data = client["detail"]["phases"]["data"]
    assert [(r["address"], r["action"], r["file"]) for r in data] == [("null_resource.raw", "delete", "data.tf")]
    assert list(client["detail"]["phases"]) == ["data"]
    # Refresh-only: the state is not touched.
    assert (drifted / "terraform.tfstate").read_bytes() == before


def test_text_output_and_the_fleet_exit_status_is_the_worst(tf_env, applied, tmp_path):  # noqa: F811
    clean, drifted = applied
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "broken", broken)
    result = cli(tf_env, "drift", clean, drifted, broken, "--skip-preflight", "--jobs", "2")
    assert result.returncode == 1, result.stderr  # an error outranks drift
    out = result.stdout
    assert "null_resource.raw (data.tf): deleted outside Terraform" in out
    assert "drift: 3 client(s)" in out
    for name, status in (("clean", "no drift"), ("drifted", "drift"), ("broken", "failed")):
        assert any(line.startswith(f"│ {name}") and status in line for line in out.splitlines()), out
    assert "Traceback" not in out + result.stderr
    ok = cli(tf_env, "drift", clean, drifted, "--skip-preflight", "--jobs", "2")
    assert ok.returncode == 2, ok.stderr


def test_bad_input_is_exit_1_not_2(tf_env, tmp_path):  # noqa: F811
    result = cli(tf_env, "drift", tmp_path / "missing", "--skip-preflight")
    assert result.returncode == 1
    assert "no such spec file or blueprint directory" in result.stderr
