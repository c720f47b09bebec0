"""The Jinja2 environment for blueprint templates, built once per process."""

from __future__ import annotations

import functools
import importlib.resources

import jinja2

from dsaas_infra.render.escape import hcl_string, markdown_text, mermaid_label
from dsaas_infra.render.hcl import hcl_key, hcl_value


def templates_root() -> jinja2.loaders.FileSystemLoader:
    root = importlib.resources.files("dsaas_infra") / "templates"
    return jinja2.FileSystemLoader(str(root))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=templates_root(),
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
