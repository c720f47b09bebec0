"""The user cache stays bounded: entries unused for a month go, then the least recently used until the
folder fits its size; pruning runs at most once a day per folder; a cache hit counts as a use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import jinja2

from dsaas_infra import usercache
from dsaas_infra.render.environment import _BytecodeCache
from dsaas_infra.usercache import DAY, Bound, prune, prune_if_due, writable_dir

REPO = Path(__file__).resolve().parents[1]
NOW = 1_800_000_000.0


def entry(directory: Path, name: str, size: int, age_days: float) -> Path:
    path = directory / name
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_entries_unused_past_the_age_bound_are_removed(tmp_path):
    entry(tmp_path, "old.json", 10, 31)
    entry(tmp_path, "recent.json", 10, 29)
    removed = prune(tmp_path, Bound(max_bytes=10_000, max_age_days=30), now=NOW)
    assert [p.name for p in removed] == ["old.json"]
    assert names(tmp_path) == ["recent.json"]


def test_over_the_size_bound_the_least_recently_used_go_first(tmp_path):
    for i, age in enumerate([5, 1, 3, 2, 4]):
        entry(tmp_path, f"e{i}.json", 100, age)
    prune(tmp_path, Bound(max_bytes=250, max_age_days=30), now=NOW)
    assert names(tmp_path) == ["e1.json", "e3.json"]  # the two used most recently (1 and 2 days ago)


def test_a_folder_entry_counts_with_everything_under_it(tmp_path):
    folder = tmp_path / "stale-dir"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f").write_bytes(b"x" * 300)
    os.utime(folder, (NOW - 2 * DAY, NOW - 2 * DAY))
    entry(tmp_path, "new.json", 100, 1)
    prune(tmp_path, Bound(max_bytes=200, max_age_days=30), now=NOW)
    assert names(tmp_path) == ["new.json"]


def test_pruning_runs_at_most_once_a_day(tmp_path):
    bound = Bound(max_bytes=10_000, max_age_days=30)
    assert prune_if_due(tmp_path, bound, now=NOW)
    entry(tmp_path, "old.json", 10, 40)
    assert not prune_if_due(tmp_path, bound, now=NOW + DAY / 2)  # one stat, nothing removed
    assert "old.json" in names(tmp_path)
    assert prune_if_due(tmp_path, bound, now=NOW + DAY + 1)
    assert names(tmp_path) == [usercache.MARKER]


def test_opening_a_bounded_cache_folder_prunes_it(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    folder = tmp_path / "dsaas-infra" / "validate"
    folder.mkdir(parents=True)
    old = folder / "stale.json"
    old.write_text("{}")
    os.utime(old, (time.time() - 40 * DAY,) * 2)
    fresh = folder / "fresh.json"
    fresh.write_text("{}")
    assert writable_dir("validate", env) == folder
    assert names(folder) == [usercache.MARKER, "fresh.json"]


def test_every_bounded_folder_is_one_the_tool_writes():
    # the names the commands pass to writable_dir: a bound for a folder nothing writes would bound nothing
    sources = "\n".join(p.read_text() for p in (REPO / "dsaas_infra").rglob("*.py"))
    for name in usercache.BOUNDS:
        assert f'writable_dir("{name}"' in sources, name


def test_a_template_loaded_from_the_cache_counts_as_used(tmp_path):
    templates, cache = tmp_path / "t", tmp_path / "cache"
    templates.mkdir()
    cache.mkdir()
    (templates / "x.j2").write_text("{{ v }}")

    def env() -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                                  bytecode_cache=_BytecodeCache(str(cache), "%s.jinja"))

    env().get_template("x.j2")
    (compiled,) = cache.iterdir()
    os.utime(compiled, (time.time() - 40 * DAY,) * 2)
    assert env().get_template("x.j2").render(v=1) == "1"
    prune(cache, usercache.BOUNDS["jinja"])
    assert compiled.exists()  # used just now: not pruned for its age


def test_a_validate_cache_hit_counts_as_used(tmp_path):
    blueprint = tmp_path / "acme"
    blueprint.mkdir()
    (blueprint / "main.tf").write_text('resource "aws_s3_bucket" "raw" {\n  bucket = "acme-raw"\n}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSAAS_", "TF_"))}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path), CHECKPOINT_DISABLE="1")
    cmd = [sys.executable, "-m", "dsaas_infra", "validate", str(blueprint), "--skip", "security", "--skip", "format",
           "--skip", "terraform", "-q"]
    subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, check=True, timeout=300)
    (stored,) = (tmp_path / "cache" / "dsaas-infra" / "validate").glob("*.json")
    os.utime(stored, (time.time() - 40 * DAY,) * 2)
    subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, check=True, timeout=300)  # a hit
    assert stored.stat().st_mtime > time.time() - DAY
    prune(stored.parent, usercache.BOUNDS["validate"])
    assert stored.exists()


def test_stub_provider_mirrors_are_a_bounded_folder_and_old_ones_go(tmp_path):
    # One mirror per installation (interpreter, package, snapshots): every upgrade adds one. Mirrors
    # unused for a month go, those of earlier versions (stub-providers-<key> at the root) with them.
    from dsaas_infra.validate.plan_stage import stub_mirror

    env = {"XDG_CACHE_HOME": str(tmp_path)}
    root = tmp_path / "dsaas-infra"
    old_mirror = root / "stub-providers" / "0123456789abcdef"
    legacy_old, legacy_recent = root / "stub-providers-aaaa", root / "stub-providers-bbbb"
    for folder in (old_mirror, legacy_old, legacy_recent):
        (folder / ".schemas").mkdir(parents=True)
        (folder / ".schemas" / "aws-6.0.0.pb").write_bytes(b"x" * 100)
    for folder, age in ((old_mirror, 40), (legacy_old, 40), (legacy_recent, 2)):
        os.utime(folder, (time.time() - age * DAY,) * 2)
    mirror = stub_mirror(env)
    assert mirror.parent == root / "stub-providers"
    assert not old_mirror.exists() and not legacy_old.exists()
    assert legacy_recent.exists()  # an earlier version may still use it
    assert stub_mirror({**env, "DSAAS_STUB_MIRROR": "/x"}) == Path("/x")  # a mirror the user names: left alone


def test_a_stub_provider_mirror_in_use_counts_as_used(tmp_path):
    from dsaas_infra.validate.plan_stage import stub_mirror

    env = {"XDG_CACHE_HOME": str(tmp_path)}
    mirror = stub_mirror(env)
    mirror.mkdir()
    os.utime(mirror, (time.time() - 40 * DAY,) * 2)
    assert stub_mirror(env) == mirror
    assert mirror.stat().st_mtime > time.time() - DAY
    prune(mirror.parent, usercache.BOUNDS["stub-providers"])
    assert mirror.exists()
