"""The HCL parser's compiled grammar lives in the user's cache directory, built once, never in site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import hcl2

REPO = Path(__file__).resolve().parents[2]
PARSE = ("from pathlib import Path; from dsaas_infra.validate.tf_module import parse_file; "
         "import sys; print(parse_file(Path(sys.argv[1]))[0].type)")
# hclfast.py leaves block comments to python-hcl2's grammar: these files are parsed with lark
LARK_ONLY = "/* parsed by python-hcl2 */\n"


def run(env: dict[str, str], tf: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PARSE, str(tf)], env=env, capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_grammar_is_cached_in_the_user_cache_dir_once(tmp_path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(LARK_ONLY + 'resource "null_resource" "n" {}\n')
    package_cache = Path(hcl2.__file__).parent / ".lark_cache.bin"
    before = package_cache.stat().st_mtime_ns if package_cache.exists() else None
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    first = run(env, tf)
    assert first.returncode == 0 and first.stdout.strip() == "resource", first.stderr
    cached = list((tmp_path / "cache" / "dsaas-infra").iterdir())
    assert [p.name for p in cached] == [f"hcl2-{hcl2.__version__}-lark-{__import__('lark').__version__}.grammar.bin"]
    stamp = cached[0].stat().st_mtime_ns
    second = run(env, tf)
    assert second.returncode == 0 and second.stdout.strip() == "resource", second.stderr
    assert cached[0].stat().st_mtime_ns == stamp  # loaded, not rebuilt
    # python-hcl2's own cache next to its code (a read-only install cannot write it) is not used
    after = package_cache.stat().st_mtime_ns if package_cache.exists() else None
    assert after == before


def test_an_unwritable_cache_dir_still_parses(tmp_path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(LARK_ONLY + 'locals {\n  a = 1\n}\n')
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would go")
    result = run(dict(os.environ, XDG_CACHE_HOME=str(blocker)), tf)
    assert result.returncode == 0 and result.stdout.strip() == "locals", result.stderr
    assert result.stderr == ""
