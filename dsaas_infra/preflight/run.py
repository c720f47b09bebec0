"""Run the preflight checks of a spec's cloud; the cloud libraries are imported only here."""

from __future__ import annotations

import importlib

from dsaas_infra.errors import ToolMissingError
from dsaas_infra.preflight.results import CheckResult
from dsaas_infra.spec.model import ClientSpec


def cloud_module(cloud: str, package: str = "preflight"):
    """Import dsaas_infra.<package>.<cloud>; a missing SDK is a missing tool, not a crash."""
    try:
        return importlib.import_module(f"dsaas_infra.{package}.{cloud}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(("boto", "google")):
            raise ToolMissingError(
                f"{cloud} support needs {e.name} (pip install 'dsaas-infra[cloud]')"
            ) from e
        raise


def run_preflight(spec: ClientSpec) -> list[CheckResult]:
    return cloud_module(spec.cloud).run_checks(spec)
