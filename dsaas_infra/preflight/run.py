"""Run the preflight checks of a spec's cloud; the cloud libraries are imported only here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dsaas_infra import clouds
from dsaas_infra.errors import ToolMissingError
from dsaas_infra.preflight.results import CheckResult
from dsaas_infra.spec.resolved import ResolvedSpec


@contextlib.contextmanager
def cloud_sdk(cloud: clouds.Cloud) -> Iterator[None]:
    """A missing SDK of ``cloud`` is a missing tool (exit 1 with how to install it), not a crash."""
    try:
        yield
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(cloud.sdk_prefixes):
            raise ToolMissingError(
                f"{cloud.name} support needs {e.name} (pip install 'dsaas-infra[cloud]')"
            ) from e
        raise


def run_preflight(spec: ResolvedSpec) -> list[CheckResult]:
    cloud = clouds.of(spec)
    with cloud_sdk(cloud):
        return cloud.preflight(spec)
