"""`render DIR` and many specs: folders searched recursively, one blueprint per client-env,
all-or-nothing, rendered in worker processes exactly as in one process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra.errors import SpecError, UsageError
from dsaas_infra.render import parallel, render_blueprint
from dsaas_infra.spec import load_spec
from dsaas_infra.spec.discover import spec_files
from tests.conftest import BLUEPRINTS, example_specs
from tests.spec.conftest import GOOD_AWS


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args],
                          capture_output=True, text=True, timeout=120)


def _spec(path: Path, name: str, env: str = "prod") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD_AWS.replace("name: acme", f"name: {name}").replace("environment: prod", f"environment: {env}"))
    return path


def test_the_examples_render_as_one_fleet(tmp_path):
    out = tmp_path / "fleet"
    result = run("render", str(BLUEPRINTS), "--out", str(out))
    assert result.returncode == 0, result.stderr
    specs = {f"{s.client.name}-{s.client.environment}": s for s in map(load_spec, example_specs())}
    assert sorted(p.name for p in out.iterdir()) == sorted(specs)
    assert len(specs) == len(example_specs())
    for name, spec in specs.items():
        on_disk = {p.relative_to(out / name).as_posix(): p.read_bytes()
                   for p in (out / name).rglob("*") if p.is_file()
                   and not p.name.startswith(".dsaas") and ".dsaas" not in p.parts}
        assert on_disk == render_blueprint(spec), name


def test_a_folder_is_searched_recursively_for_yaml_and_yml(tmp_path):
    root = tmp_path / "specs"
    a = _spec(root / "a.yaml", "alpha")
    b = _spec(root / "eu" / "prod" / "b.yml", "beta")
    _spec(root / ".git" / "c.yaml", "gamma")  # hidden folders are not searched
    (root / "notes.txt").write_text("not a spec")
    assert spec_files([root]) == [a, b]
    # The same spec named twice (as a file and inside its folder) counts once.
    assert spec_files([a, root]) == [a, b]


def test_rendered_blueprints_inside_the_folder_are_not_searched(tmp_path):
    root = tmp_path / "repo"
    _spec(root / "specs" / "a.yaml", "alpha")
    assert run("render", str(root / "specs"), "--out", str(root / "clients")).returncode == 0
    (root / "clients" / "alpha-prod" / "stray.yaml").write_text("apiVersion: nope\n")
    assert [p.name for p in spec_files([root])] == ["a.yaml"]


def test_an_empty_folder_and_a_missing_path_are_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no \\*.yaml or \\*.yml"):
        spec_files([tmp_path / "empty"])
    result = run("render", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "no *.yaml" in result.stderr
    missing = run("render", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_a_folder_with_one_spec_still_renders_into_client_env(tmp_path):
    _spec(tmp_path / "specs" / "a.yaml", "alpha")
    result = run("render", str(tmp_path / "specs"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "alpha-prod" / "versions.tf").is_file()


def test_two_specs_for_one_client_env_in_a_folder_name_both_files(tmp_path):
    a = _spec(tmp_path / "specs" / "a.yaml", "alpha")
    b = _spec(tmp_path / "specs" / "sub" / "again.yaml", "alpha")
    _spec(tmp_path / "specs" / "z.yaml", "zeta")
    result = run("render", str(tmp_path / "specs"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert str(a) in result.stderr and str(b) in result.stderr and "both render to" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_bad_spec_of_a_batch_is_reported_and_nothing_is_written(tmp_path):
    specs = [_spec(tmp_path / f"s{i}.yaml", f"client{i}") for i in range(6)]
    specs[1].write_text(GOOD_AWS.replace("name: acme", "name: BAD"))
    specs[4].write_text(GOOD_AWS.replace("schedule:", "shedule:"))
    result = run("render", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"error: {specs[1]}:") and lines[1].startswith(f"error: {specs[4]}:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_workers_render_exactly_what_one_process_renders(tmp_path):
    paths = [_spec(tmp_path / f"s{i:02d}.yaml", f"client{i:02d}") for i in range(6)] + example_specs()
    alone = parallel.render_specs(paths, jobs=1)
    pooled = parallel.render_specs(paths, jobs=2)
    assert [r.path for r in pooled] == paths  # argument order is kept
    assert [r.files for r in pooled] == [r.files for r in alone]
    assert [r.spec for r in pooled] == [r.spec for r in alone]


def test_many_specs_are_rendered_in_other_processes(tmp_path, monkeypatch):
    """With fork, the workers run this wrapper: each records its pid."""
    pids = tmp_path / "pids"
    pids.mkdir()
    real = parallel._render_one

    def recording(path):
        (pids / str(os.getpid())).touch()
        return real(path)

    monkeypatch.setattr(parallel, "_render_one", recording)
    paths = [_spec(tmp_path / f"s{i:02d}.yaml", f"client{i:02d}") for i in range(8)]
    assert len(parallel.render_specs(paths, jobs=2)) == 8
    seen = {int(p.name) for p in pids.iterdir()}
    assert os.getpid() not in seen and len(seen) == 2


def test_a_bad_spec_in_a_worker_is_a_spec_error_not_a_crash(tmp_path):
    paths = [_spec(tmp_path / f"s{i}.yaml", f"client{i}") for i in range(5)]
    paths[3].write_text("apiVersion: [\n")
    with pytest.raises(SpecError) as info:
        parallel.render_specs(paths, jobs=2)
    assert [p.file for p in info.value.problems] == [str(paths[3])]
