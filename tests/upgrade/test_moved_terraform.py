"""A rename in the templates: the upgrade's moved {} block is accepted by a real Terraform (null
provider) and its plan moves the resource instead of destroying and recreating it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dsaas_infra.render.writer import write_blueprint
from dsaas_infra.upgrade.changes import apply_upgrade, plan_upgrade
from dsaas_infra.upgrade.moved import MOVED_FILE, Move, moved_file, renames
from tests.terraform.conftest import write_cli_config


@pytest.fixture(scope="module")
def tf(terraform_bin, tmp_path_factory):
    env = dict(os.environ)
    env.update(TF_CLI_CONFIG_FILE=str(write_cli_config(tmp_path_factory.mktemp("tfcli") / "terraformrc")),
               CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    env.pop("TF_PLUGIN_CACHE_DIR", None)

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([terraform_bin, *args], cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result
    return run


def _plan(tf, out: Path) -> dict[str, dict]:
    tf(out, "plan", "-no-color", "-out", "upgrade.tfplan")
    plan = json.loads(tf(out, "show", "-json", "upgrade.tfplan").stdout)
    return {rc["address"]: rc for rc in plan["resource_changes"]}


def test_a_renamed_resource_is_moved_not_replaced(tf, tmp_path, v1, v2):
    out = tmp_path / "bp"
    write_blueprint(v1, out, version="0.1.0")
    tf(out, "init", "-no-color", "-input=false")
    tf(out, "apply", "-no-color", "-auto-approve")
    up = plan_upgrade(out, v2, "0.2.0")
    assert up.moves == [Move("null_resource.raw_bucket", "null_resource.data_raw")]
    apply_upgrade(up)
    assert "from = null_resource.raw_bucket" in (out / MOVED_FILE).read_text()
    tf(out, "fmt", "-check", MOVED_FILE)
    changes = _plan(tf, out)
    moved = changes["null_resource.data_raw"]
    assert moved["previous_address"] == "null_resource.raw_bucket"
    assert moved["change"]["actions"] == ["no-op"]
    assert changes["null_resource.curated_bucket"]["change"]["actions"] == ["no-op"]
    assert changes["null_resource.alarm"]["change"]["actions"] == ["create"]
    # The one destroy is the resource v2 dropped on purpose.
    deleted = sorted(a for a, rc in changes.items() if "delete" in rc["change"]["actions"])
    assert deleted == ["null_resource.legacy"]
    # Control: without the moved block the same upgrade would destroy and recreate it.
    (out / MOVED_FILE).unlink()
    changes = _plan(tf, out)
    assert changes["null_resource.raw_bucket"]["change"]["actions"] == ["delete"]
    assert changes["null_resource.data_raw"]["change"]["actions"] == ["create"]


def test_renames_follow_references_and_ignore_changed_bodies():
    old = {"main.tf": b'resource "a_b" "x" {\n  v = 1\n}\n\nresource "a_c" "y" {\n  ref = a_b.x.id\n}\n\n'
                      b'resource "a_b" "z" {\n  v = 2\n}\n\nmodule "net" {\n  source = "./net"\n}\n'}
    new = {"main.tf": b'resource "a_b" "x2" {\n  v = 1\n}\n\nresource "a_c" "y2" {\n  ref = a_b.x2.id\n}\n\n'
                      b'resource "a_b" "z2" {\n  v = 3\n}\n\nmodule "network" {\n  source = "./net"\n}\n'}
    assert renames(old, new) == [Move("a_b.x", "a_b.x2"), Move("a_c.y", "a_c.y2"), Move("module.net", "module.network")]


def test_two_identical_candidates_are_ambiguous_and_not_moved():
    old = {"main.tf": b'resource "a_b" "x" {\n  v = 1\n}\n'}
    new = {"main.tf": b'resource "a_b" "p" {\n  v = 1\n}\n\nresource "a_b" "q" {\n  v = 1\n}\n'}
    assert renames(old, new) == []


def test_moved_blocks_already_in_the_file_are_not_repeated():
    moves = [Move("a_b.x", "a_b.y")]
    first = moved_file(None, moves)
    assert first is not None and first.count(b"moved {") == 1
    assert moved_file(first, moves) is None
    second = moved_file(first, [*moves, Move("a_b.y", "a_b.z")])
    assert second is not None and second.count(b"moved {") == 2
