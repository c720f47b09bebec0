"""Local fleet runs with a stub terraform: fan-out, bounded concurrency, buffered output,
failure isolation, the summary and the worst exit status; preflight of every client first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra.fleet.local import worst
from tests.cloud_fixtures import moto, moto_url  # noqa: F401 - fixtures
from tests.spec.conftest import GOOD_AWS

STUB = Path(__file__).resolve().parent / "stub_terraform.py"
VERSIONS = 'terraform {\n  required_version = ">= 1.0"\n}\n'


def cli(env, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def stub_env(tmp_path):
    log = tmp_path / "calls.jsonl"
    log.touch()
    env = dict(os.environ, DSAAS_TERRAFORM=str(STUB), STUB_LOG=str(log), COLUMNS="200",
               PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path))
    return env, log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def blueprints(root: Path, names: list[str], fail: tuple[str, ...] = ()) -> list[Path]:
    out = []
    for name in names:
        bp = root / "clients" / name
        bp.mkdir(parents=True)
        (bp / "versions.tf").write_text(VERSIONS)
        (bp / "data.tf").write_text('resource "null_resource" "raw" {}\n')
        if name in fail:
            (bp / "FAIL").touch()
        out.append(bp)
    return out


def test_every_client_is_planned_at_most_jobs_at_once(tmp_path, stub_env):
    env, log = stub_env
    env["STUB_SLEEP"] = "1"
    names = [f"c{i}" for i in range(5)]
    blueprints(tmp_path, names)
    result = cli(env, "plan", tmp_path / "clients", "--skip-preflight", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    plans = [c for c in calls(log) if c["argv"][0] == "plan"]
    assert sorted(Path(c["cwd"]).name for c in plans) == names
    # Never more than 2 plans at once, and really 2 at some point.
    events = sorted([(c["start"], 1) for c in plans] + [(c["end"], -1) for c in plans])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2
    # Each client ran init, plan and show in that order in one worker.
    for name in names:
        mine = [c["argv"][0] for c in calls(log) if Path(c["cwd"]).name == name]
        assert mine == ["init", "plan", "show"]


def test_output_is_shown_whole_per_client_and_failures_are_isolated(tmp_path, stub_env):
    env, log = stub_env
    env["STUB_SLEEP"] = "0.3"
    blueprints(tmp_path, ["alpha", "beta", "gamma", "delta"], fail=("beta",))
    result = cli(env, "plan", tmp_path / "clients", "--skip-preflight", "--jobs", "3")
    assert result.returncode == 1  # the worst of the clients
    out = result.stdout
    # Each client's block is contiguous: its header, then its own init and plan lines.
    for name in ("alpha", "gamma", "delta"):
        block = out.split(f" {name}: changes ")[1].split("───── ")[0].split("plan: 4 client(s)")[0]
        assert f"stub init for {name}" in block and f"stub plan for {name}" in block
        assert all(other not in block for other in {"alpha", "gamma", "delta", "beta"} - {name})
    beta = out.split(" beta: failed ")[1]
    assert "Error: stub failure in beta" in beta
    # The others were still planned after beta failed.
    assert sorted(Path(c["cwd"]).name for c in calls(log) if c["argv"][0] == "show") == ["alpha", "delta", "gamma"]
    table = out[out.index("plan: 4 client(s)"):]
    rows = [line for line in table.splitlines() if line.startswith("│ ")]
    assert [r.split("│")[1].strip() for r in rows if r.split("│")[1].strip()] == ["alpha", "beta", "delta", "gamma"]
    assert "Traceback" not in out + result.stderr


def test_json_summary_and_detailed_exitcode(tmp_path, stub_env):
    env, _ = stub_env
    blueprints(tmp_path, ["alpha", "beta"])
    result = cli(env, "plan", tmp_path / "clients", "--skip-preflight", "--format", "json", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)  # stdout is the JSON document alone
    assert [(c["client"], c["status"], c["exit_code"]) for c in doc["clients"]] == [
        ("alpha", "changes", 2), ("beta", "changes", 2)]
    assert doc["clients"][0]["detail"]["totals"]["create"] == 1
    assert "stub plan for alpha" in doc["clients"][0]["output"]


def test_drift_runs_every_blueprint_with_a_refresh_only_plan(tmp_path, stub_env):
    env, log = stub_env
    blueprints(tmp_path, ["alpha", "beta", "gamma"], fail=("gamma",))
    result = cli(env, "drift", tmp_path / "clients", "--skip-preflight", "--format", "json", "--jobs", "2")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert [(c["client"], c["status"]) for c in doc["clients"]] == [
        ("alpha", "drift"), ("beta", "drift"), ("gamma", "failed")]
    attrs = doc["clients"][0]["detail"]["phases"]["data"][0]["attributes"]
    assert attrs == ["triggers.k"]
    plans = [c["argv"] for c in calls(log) if c["argv"][0] == "plan"]
    assert len(plans) == 3 and all("-refresh-only" in a for a in plans)


@pytest.mark.parametrize("codes, expected", [([0, 0], 0), ([0, 2], 2), ([2, 1, 0], 1), ([], 0), ([130, 1], 130)])
def test_the_worst_exit_status_wins(codes, expected):
    assert worst(codes) == expected


def _spec(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "specs" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD_AWS.replace("name: acme", f"name: {name}").replace("us-east-1", "eu-west-1"))
    return path


def test_preflight_of_every_client_runs_before_any_terraform(tmp_path, stub_env, moto):  # noqa: F811
    env, log = stub_env
    env.update({k: v for k, v in os.environ.items() if k.startswith("AWS_")})
    specs = [_spec(tmp_path, n) for n in ("alpha", "beta", "gamma")]
    for spec in specs[:2]:  # gamma has no state bucket: its preflight fails
        done = cli(env, "bootstrap", spec)
        assert done.returncode == 0, done.stderr
    out = tmp_path / "build"
    refused = cli(env, "plan", tmp_path / "specs", "--out", out, "--jobs", "2")
    assert refused.returncode == 1
    assert "preflight failed for 1 of 3 client(s): gamma-prod; no Terraform ran" in refused.stderr
    assert calls(log) == [] and not out.exists()  # nothing rendered, no Terraform started
    done = cli(env, "bootstrap", specs[2])
    assert done.returncode == 0, done.stderr
    planned = cli(env, "plan", tmp_path / "specs", "--out", out, "--jobs", "2")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "preflight passed for 3 client(s)" in planned.stdout
    assert sorted(p.name for p in out.iterdir()) == ["alpha-prod", "beta-prod", "gamma-prod"]
    assert sorted(Path(c["cwd"]).name for c in calls(log) if c["argv"][0] == "plan") == [
        "alpha-prod", "beta-prod", "gamma-prod"]
