"""Render a validated spec into the files of one blueprint, in memory."""

from __future__ import annotations

import importlib
import importlib.resources
import os

from dsaas_infra import clouds
from dsaas_infra.render import ci
from dsaas_infra.render.environment import environment
from dsaas_infra.render.hclfmt import format_hcl
from dsaas_infra.spec.resolved import ResolvedSpec


def render_blueprint(spec: ResolvedSpec) -> dict[str, bytes]:
    """Map each output path (POSIX, relative) to its bytes; same spec, same bytes."""
    # The cloud's render module (clouds registry): build_context(spec) -> dict, files(ctx) ->
    # [(output, template)], optionally derived_files(ctx, rendered) -> {output: bytes}.
    module = importlib.import_module(clouds.of(spec).render_module)
    ctx = module.build_context(spec)
    variables = ctx.template_vars()
    variables.update(ci.context(spec, ctx))
    env = environment()
    out: dict[str, bytes] = {}
    for output, template in _sources(module, ctx, spec):
        if template.endswith(".j2"):
            text = env.get_template(template).render(variables)
            if output.endswith(".tf"):
                text = format_hcl(text)
            out[output] = text.encode("utf-8")
        else:
            # Shipped as they are (e.g. Lambda handler source): no templating.
            out[output] = _static(template)
    # Files built from the rendered ones (e.g. an archive of shipped sources), if the cloud has any.
    derived = getattr(module, "derived_files", None)
    if derived is not None:
        out.update(derived(ctx, out))
    if "README.md" in out:
        if ci.enabled(spec):
            out["README.md"] += env.get_template(f"{spec.cloud}/ci.md.j2").render(variables).encode("utf-8")
        out["README.md"] += _cost_section(spec, out, env).encode("utf-8")
    return dict(sorted(out.items()))


# Static sources read once per process while unchanged (a fleet copies the same files into every
# blueprint): path -> ((mtime_ns, size), bytes).
_STATIC: dict[str, tuple[tuple[int, int], bytes]] = {}


def _static(template: str) -> bytes:
    path = importlib.resources.files("dsaas_infra") / "templates" / template
    stat = os.stat(str(path))
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _STATIC.get(template)
    if cached is None or cached[0] != stamp:
        cached = _STATIC[template] = (stamp, path.read_bytes())
    return cached[1]


def file_sources(spec: ResolvedSpec) -> dict[str, str]:
    """Each output's source under templates/: a .j2 template is rendered, any other source is
    copied as it is; outputs built from other files (derived_files) have none."""
    module = importlib.import_module(clouds.of(spec).render_module)
    return dict(_sources(module, module.build_context(spec), spec))


def _sources(module, ctx, spec: ResolvedSpec) -> list[tuple[str, str]]:
    """(output, template) of every file: a .j2 template is rendered, any other source shipped as it is."""
    return [*module.files(ctx), *ci.files(spec)]


def _cost_section(spec: ResolvedSpec, files: dict[str, bytes], env) -> str:
    """The client README's cost table: estimated from the .tf files just rendered."""
    from dsaas_infra import __version__
    from dsaas_infra.cost.estimate import estimate
    from dsaas_infra.cost.prices import load_prices
    from dsaas_infra.cost.report import markdown_context

    ctx = markdown_context(estimate(spec, files, load_prices()))
    return env.get_template("common/cost.md.j2").render(version=__version__, **ctx)
