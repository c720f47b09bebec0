"""`dsaas-infra validate`: blueprint directories or specs -> staged findings report and exit status."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from dsaas_infra import __version__
from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.validate import (
    output_json,
    output_junit,
    output_sarif,
    output_text,
    parallel,
    pipeline,
    progress,
    tools,
)

FORMATS = ("text", "json", "sarif", "junit")
SPEC_SUFFIXES = (".yaml", ".yml")


def run(paths: list[Path], fmt: str = "text", skip: Sequence[str] = (), output: Path | None = None,
        strict: bool = False, terraform_bin: str | None = None, checkov_bin: str | None = None,
        jobs: int | None = None, enable: Sequence[str] = (), quiet: bool = False, no_cache: bool = False) -> int:
    paths = _tf_files_to_blueprints([Path(p) for p in paths])
    _check_usage(paths, fmt, skip, terraform_bin, checkov_bin)
    unknown = [s for s in enable if s not in pipeline.OPT_IN]
    if unknown:
        raise UsageError(f"unknown stage {', '.join(map(repr, unknown))} for --with; opt-in stages: "
                         f"{', '.join(pipeline.OPT_IN)}")
    context = pipeline.Context(terraform_bin=terraform_bin, checkov_bin=checkov_bin,
                               enable=tuple(pipeline.OPT_IN) if strict else tuple(enable))
    with tempfile.TemporaryDirectory(prefix="dsaas-validate-") as tmp:
        targets = _targets([Path(p) for p in paths], Path(tmp))
        cache = None if no_cache else _open_cache(tuple(skip), context)
        report = parallel.run(targets, tuple(skip), context, jobs, progress.for_stderr(quiet), cache)
    _emit(report, fmt, output, strict)
    return report.exit_code(strict)


def _open_cache(skip: tuple[str, ...], context):
    """The results of earlier runs ($XDG_CACHE_HOME/dsaas-infra/validate), or None if it cannot be written."""
    from dsaas_infra.usercache import writable_dir
    from dsaas_infra.validate.cache import ResultCache

    directory = writable_dir("validate", context.env)
    return ResultCache.open(directory, skip, context) if directory is not None else None


def _tf_files_to_blueprints(paths: list[Path]) -> list[Path]:
    """A .tf file stands for its blueprint directory (what pre-commit passes); each once, in order."""
    out = [p.parent if p.suffix == ".tf" and p.is_file() else p for p in paths]
    return list(dict.fromkeys(out))


def _check_usage(paths, fmt, skip, terraform_bin, checkov_bin) -> None:
    if not paths:
        raise UsageError("validate needs at least one blueprint directory or spec file")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    unknown = [s for s in skip if s not in pipeline.STAGES]
    if unknown:
        raise UsageError(f"unknown stage {', '.join(map(repr, unknown))} for --skip; stages: "
                         f"{', '.join(pipeline.STAGES)}")
    # The lookups the stages use: a bad --terraform/--checkov (or $DSAAS_*) value stops here with
    # a UsageError; a tool that is simply not installed is a skipped stage later.
    tools.locate_terraform(terraform_bin, os.environ)
    tools.locate_checkov(checkov_bin, os.environ)
    for path in map(Path, paths):
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if not path.is_dir() and path.suffix not in SPEC_SUFFIXES:
            raise UsageError(f"{path}: not a blueprint directory or a .yaml/.yml spec")
        # Without .tf files every stage would "pass": most likely the wrong directory.
        if path.is_dir() and not any(path.glob("*.tf")):
            raise UsageError(f"{path}: no .tf files here; give a rendered blueprint directory or a spec")


def _targets(paths: list[Path], tmp: Path) -> list[tuple[Path, str]]:
    """(directory, label) per path, each path once (`validate out out` is one blueprint); a spec is
    rendered first (a bad spec raises SpecError: exit 2)."""
    targets = []
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)  # the first spelling names it
    for i, path in enumerate(unique.values()):
        if path.is_dir():
            targets.append((path, os.path.normpath(path)))
            continue
        # imported for a spec only: validating directories needs neither the spec model nor the renderer
        from dsaas_infra.blueprint_dir import write_source
        from dsaas_infra.render import render_blueprint, write_blueprint
        from dsaas_infra.spec import load_spec

        out = tmp / f"{i}-{path.stem}"
        spec = load_spec(path)
        write_blueprint(render_blueprint(spec), out)
        write_source(out, spec, path)  # lets the budget stage find the spec
        targets.append((out, f"{os.path.normpath(path)}[rendered]"))
    return targets


def _emit(report, fmt: str, output: Path | None, strict: bool) -> None:
    if fmt == "text":
        if output is None:
            console = Console(highlight=False)
            if not console.is_terminal:
                console = Console(highlight=False, width=200)  # CI logs: one finding per line
            output_text.render(report, console)
            if strict and report.unavailable() and not report.count("error"):
                console.print(_strict_note(report), markup=False)
            return
        buffer = io.StringIO()
        output_text.render(report, Console(file=buffer, width=200, no_color=True, highlight=False))
        _write(output, buffer.getvalue())
    else:
        text = {"json": lambda: output_json.render(report, strict),
                "sarif": lambda: output_sarif.render(report, __version__),
                "junit": lambda: output_junit.render(report)}[fmt]()
        if output is None:
            sys.stdout.write(text)
            return
        _write(output, text)
    err = Console(stderr=True, highlight=False)
    err.print(f"report written to {output}: {output_text.summary(report)}", markup=False)
    if strict and report.unavailable():
        err.print(_strict_note(report), markup=False)


def _write(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise OperationError(f"cannot write {output}: {e.strerror or e}") from e


def _strict_note(report) -> str:
    return "--strict: these stages could not run and count as errors: " + ", ".join(
        f"{s.stage} ({s.skipped_reason})" for s in report.unavailable())
