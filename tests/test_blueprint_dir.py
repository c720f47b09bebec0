"""SPEC|DIR targets: where a spec renders, and what a directory remembers about its spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.blueprint_dir import render, resolve
from dsaas_infra.errors import UsageError

SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: staging, owner: ml@acme.example, maturity: reactive}
cloud: aws
aws: {region: eu-west-1, account_id: "111122223333"}
"""


@pytest.fixture
def spec_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "acme.yaml"
    path.write_text(SPEC)
    return path


def test_spec_renders_into_build_client_env_and_records_its_source(spec_file, tmp_path):
    ws = resolve(spec_file, None)
    assert ws.dir == Path("build/acme-staging")
    assert ws.client == "acme" and ws.spec is not None
    assert not ws.dir.exists()  # resolving writes nothing
    render(ws)
    assert (tmp_path / "build/acme-staging/backend.tf").is_file()
    source = json.loads((tmp_path / "build/acme-staging/.dsaas/source.json").read_text())
    assert source == {"spec": str(spec_file.resolve()), "client": "acme", "environment": "staging",
                      "cloud": "aws"}


def test_a_planned_directory_knows_its_spec_but_is_not_rendered_again(spec_file, tmp_path):
    render(resolve(spec_file, tmp_path / "out"))
    spec_file.write_text(SPEC.replace("eu-west-1", "eu-central-1"))
    before = (tmp_path / "out" / "backend.tf").read_bytes()
    ws = resolve(tmp_path / "out", None)
    assert ws.client == "acme" and not ws.from_spec
    assert ws.spec is not None and ws.spec.aws.region == "eu-central-1"  # for preflight
    assert ws.spec_path == spec_file.resolve()
    render(ws)
    assert (tmp_path / "out" / "backend.tf").read_bytes() == before


def test_a_directory_whose_spec_is_gone_keeps_the_client_name(spec_file, tmp_path):
    render(resolve(spec_file, tmp_path / "out"))
    spec_file.unlink()
    ws = resolve(tmp_path / "out", None)
    assert (ws.client, ws.spec, ws.spec_path) == ("acme", None, None)


def test_a_directory_without_a_record_is_named_by_its_folder(tmp_path):
    (tmp_path / "blue").mkdir()
    (tmp_path / "blue" / "main.tf").write_text("")
    ws = resolve(tmp_path / "blue", None)
    assert (ws.client, ws.spec) == ("blue", None)
    render(ws)  # a directory is used as it is
    assert sorted(p.name for p in (tmp_path / "blue").iterdir()) == ["main.tf"]


@pytest.mark.parametrize("setup, out, message", [
    (lambda d: (d / "main.tf").write_text(""), "elsewhere", "--out only applies to a spec"),
    (lambda d: None, None, "no .tf files here"),
])
def test_bad_directory_targets(tmp_path, setup, out, message):
    target = tmp_path / "t"
    target.mkdir()
    setup(target)
    with pytest.raises(UsageError, match=message):
        resolve(target, Path(out) if out else None)


def test_missing_target(tmp_path):
    with pytest.raises(UsageError, match="no such spec file or blueprint directory"):
        resolve(tmp_path / "nope.yaml", None)
