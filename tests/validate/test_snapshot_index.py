"""Schema snapshots read through the per-type index in the user cache are the shipped snapshots, entry for entry."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from dsaas_infra import schemas

REPO = Path(__file__).resolve().parents[2]


def shipped(provider: str) -> dict:
    return json.loads(gzip.decompress(resources.files("dsaas_infra.schemas").joinpath(f"{provider}.json.gz")
                                      .read_bytes()))


@pytest.mark.parametrize("provider", schemas.available())
def test_the_indexed_snapshot_is_the_shipped_one(provider, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = shipped(provider)
    for attempt in ("built", "read back"):
        schemas.load.cache_clear()
        snapshot = schemas.load(provider)
        assert snapshot is not None
        assert {k: (dict(v.items()) if k in schemas.LAZY_SECTIONS else v) for k, v in snapshot.items()} == expected, \
            attempt
    assert len(list((tmp_path / "dsaas-infra" / "schemas").glob(f"{provider}-*.marshal"))) == 1
    schemas.load.cache_clear()


def test_a_damaged_index_is_rebuilt_and_an_unwritable_cache_parses_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    schemas.load.cache_clear()
    schemas.load("null")
    (index,) = (tmp_path / "dsaas-infra" / "schemas").glob("null-*.marshal")
    index.write_bytes(b"\x00garbage")
    schemas.load.cache_clear()
    assert schemas.load("null")["resources"].keys() == shipped("null")["resources"].keys()
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    schemas.load.cache_clear()
    assert schemas.load("null") == shipped("null")
    schemas.load.cache_clear()


def test_validate_reads_only_the_types_a_blueprint_uses(tmp_path):
    code = ("from dsaas_infra import schemas; s = schemas.load('aws'); s['resources']['aws_s3_bucket']; "
            "print(len(s['resources']._decoded))")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                             check=True, timeout=120)
    assert out.stdout.strip() == "1"
