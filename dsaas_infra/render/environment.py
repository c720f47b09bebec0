"""The Jinja2 environment for blueprint templates, built once per process."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import jinja2

from dsaas_infra.render.escape import hcl_string, markdown_text, mermaid_label
from dsaas_infra.render.hcl_value import hcl_key, hcl_value


def templates_root() -> jinja2.loaders.FileSystemLoader:
    root = importlib.resources.files("dsaas_infra") / "templates"
    return jinja2.FileSystemLoader(str(root))


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates; a cache file that cannot be written is no error.

    Jinja keys each entry by template name and checks the source's checksum (and the Python
    version) on load, so an edited template or another interpreter recompiles instead of using
    stale code."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from dsaas_infra.usercache import touch

        super().load_bytecode(bucket)
        if bucket.code is not None:  # used: pruning (usercache.BOUNDS) goes by last use
            touch(Path(self._get_cache_filename(bucket)))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiling the templates is a fifth of a render's CPU: compile once per machine, not per process."""
    from dsaas_infra.usercache import writable_dir

    directory = writable_dir("jinja")
    return _BytecodeCache(str(directory), "%s.jinja") if directory is not None else None


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=templates_root(),
        bytecode_cache=bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["hcl"] = hcl_value
    env.filters["hcl_string"] = hcl_string
    env.filters["hcl_key"] = hcl_key
    env.filters["md"] = markdown_text
    env.filters["mermaid"] = mermaid_label
    return env
