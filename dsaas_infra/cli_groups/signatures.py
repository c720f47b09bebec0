"""Each command's signature read once while typer builds the app (a patch of typer.main's lookup)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def read_once() -> None:
    """typer 0.29 reads every command's parameters (``inspect.signature`` with string annotations
    evaluated, then ``get_type_hints``) twice while building the app: once for the click
    parameters, once for the callback's parameter names. Both readings are the same function of
    the same callback, and neither caller changes the result, so the second one reuses the first
    (about 20 ms of the 0.24 s of CPU of ``--help``; benchmarks/startup_bench.py)."""
    from typer import main

    original = main.get_params_from_function
    if getattr(original, "_read_once", False):
        return
    seen: dict[Callable[..., Any], Any] = {}

    def get_params_from_function(func: Callable[..., Any]):
        params = seen.get(func)
        if params is None:
            params = seen[func] = original(func)
        return params

    get_params_from_function._read_once = True  # type: ignore[attr-defined]
    # Patching typer.main's name on purpose: typer offers no hook for it.
    main.get_params_from_function = get_params_from_function
