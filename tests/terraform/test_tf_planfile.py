"""Blueprint hashing for saved plans: what counts as the blueprint, and what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaas_infra.terraform import planfile


def make(tmp_path, files):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return tmp_path


def test_hashes_cover_the_blueprint_but_not_terraforms_working_data(tmp_path):
    make(tmp_path, {
        "main.tf": "a", "README.md": "b", "lambda/deploy.py": "c", ".terraform.lock.hcl": "d",
        ".dsaas-infra-manifest.json": "e",
        ".terraform/providers/x": "x", ".dsaas/plan.tfplan": "x", ".dsaas/plan.json": "x",
        "terraform.tfstate": "x", "terraform.tfstate.backup": "x", ".terraform.tfstate.lock.info": "x",
        "other.tfplan": "x", "crash.log": "x", "build/deploy.zip": "x", ".dsaas-staging-abc/main.tf": "x",
    })
    assert sorted(planfile.blueprint_hashes(tmp_path)) == [
        ".dsaas-infra-manifest.json", ".terraform.lock.hcl", "README.md", "lambda/deploy.py", "main.tf"]


def test_hashes_of_files_on_disk_and_in_memory_agree(tmp_path):
    files = {"main.tf": b"x", "lambda/deploy.py": b"y"}
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    assert planfile.blueprint_hashes(tmp_path) == planfile.blueprint_hashes_of(files)


@pytest.mark.parametrize("recorded, current, expected", [
    ({"a": "1"}, {"a": "1"}, []),
    ({"a": "1"}, {"a": "2"}, ["a (changed)"]),
    ({"a": "1"}, {"a": "1", "b": "1"}, ["b (added)"]),
    ({"a": "1", "b": "1"}, {"a": "1"}, ["b (removed)"]),
])
def test_differences(recorded, current, expected):
    assert planfile.differences(recorded, current) == expected


def test_digest_changes_with_any_file(tmp_path):
    make(tmp_path, {"main.tf": "a", "data.tf": "b"})
    before = planfile.digest(planfile.blueprint_hashes(tmp_path))
    (tmp_path / "data.tf").write_text("c")
    assert planfile.digest(planfile.blueprint_hashes(tmp_path)) != before


def test_record_round_trip_and_forget(tmp_path):
    make(tmp_path, {"main.tf": "a"})
    record = planfile.PlanRecord.for_blueprint(tmp_path)
    planfile.write_record(tmp_path, record)
    planfile.plan_path(tmp_path).write_bytes(b"plan")
    assert planfile.read_record(tmp_path) == record
    planfile.forget_plan(tmp_path)
    assert planfile.read_record(tmp_path) is None
    assert not planfile.plan_path(tmp_path).exists()


def test_unreadable_record_is_no_record(tmp_path):
    planfile.record_path(tmp_path).parent.mkdir()
    planfile.record_path(tmp_path).write_text("{not json")
    assert planfile.read_record(tmp_path) is None


def test_stale_render_names_the_files_a_changed_spec_renders_differently():
    recorded = planfile.blueprint_hashes_of({"main.tf": b"a", "data.tf": b"b"})
    assert planfile.stale_render(recorded, {"main.tf": b"a", "data.tf": b"b"}) == []
    assert planfile.stale_render(recorded, {"main.tf": b"a", "data.tf": b"c", "new.tf": b"d"}) == [
        "data.tf", "new.tf"]


def test_writing_the_record_or_source_where_it_cannot_be_is_one_error_line(tmp_path):
    from dsaas_infra.blueprint_dir import write_source
    from dsaas_infra.errors import OperationError
    from dsaas_infra.spec import load_spec

    (tmp_path / ".dsaas").write_text("a file where the work folder should be")
    record = planfile.PlanRecord.for_blueprint(tmp_path)
    with pytest.raises(OperationError, match=r"^cannot write .*/\.dsaas/plan\.json: File exists$"):
        planfile.write_record(tmp_path, record)
    with pytest.raises(OperationError, match=r"^cannot write .*/\.dsaas: File exists$"):
        planfile.work_dir(tmp_path)
    spec = Path(__file__).resolve().parents[2] / "blueprints" / "aws-reactive.yaml"
    with pytest.raises(OperationError, match=r"^cannot write .*/\.dsaas/source\.json: File exists$"):
        write_source(tmp_path, load_spec(spec), spec)
