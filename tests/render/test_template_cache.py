"""The compiled-template cache: used across processes, never stale, never an error when unwritable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2

from dsaas_infra.render.environment import _BytecodeCache, bytecode_cache

REPO = Path(__file__).resolve().parents[2]


def env_for(templates: Path, cache: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                              bytecode_cache=_BytecodeCache(str(cache), "%s.jinja"))


def test_an_edited_template_is_recompiled_not_served_stale(tmp_path):
    templates, cache = tmp_path / "t", tmp_path / "cache"
    templates.mkdir()
    cache.mkdir()
    (templates / "x.j2").write_text("one {{ v }}")
    assert env_for(templates, cache).get_template("x.j2").render(v=1) == "one 1"
    assert len(list(cache.iterdir())) == 1
    (templates / "x.j2").write_text("two {{ v }}")
    # a new environment (a new process) finds the cached entry, sees the source changed, recompiles
    assert env_for(templates, cache).get_template("x.j2").render(v=2) == "two 2"


def test_an_unwritable_cache_is_no_error(tmp_path):
    templates, cache = tmp_path / "t", tmp_path / "cache"
    templates.mkdir()
    cache.mkdir()
    (templates / "x.j2").write_text("ok")
    cache.chmod(0o500)
    try:
        assert env_for(templates, cache).get_template("x.j2").render() == "ok"
    finally:
        cache.chmod(0o700)


def test_no_cache_when_the_cache_home_cannot_be_created(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert bytecode_cache() is None


def test_a_render_fills_the_cache_and_the_next_one_renders_the_same_bytes(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    outs = []
    for i in range(2):
        out = tmp_path / f"bp{i}"
        subprocess.run([sys.executable, "-m", "dsaas_infra", "render", str(REPO / "blueprints" / "gcp-managed.yaml"),
                        "--out", str(out)], check=True, capture_output=True, env=env, cwd=REPO, timeout=120)
        outs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert list((tmp_path / "cache" / "dsaas-infra" / "jinja").glob("*.jinja"))
    assert outs[0] == outs[1]
