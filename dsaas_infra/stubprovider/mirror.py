"""A Terraform filesystem mirror of stub providers: one small launcher per provider plus its cached schema."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from dsaas_infra import schemas

REGISTRY = "registry.terraform.io"


def snapshot_path(provider: str) -> Path:
    return Path(schemas.__file__).resolve().parent / f"{provider}.json.gz"


def stub_version(provider: str) -> str | None:
    snap = schemas.load(provider)
    return snap["version"] if snap else None


def build(directory: Path, providers: list[str], os_arch: str) -> dict[str, str]:
    """Install stubs for ``providers`` (type names: aws, google, ...) under ``directory``; returns the provider
    address -> version of each stub written. Providers without a snapshot are left out. Idempotent."""
    from dsaas_infra.stubprovider.schema import provider_schema

    root = Path(__file__).resolve().parents[2]  # the directory holding the dsaas_infra package
    cache_dir = directory / ".schemas"
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for provider in sorted(set(providers)):
        snap = schemas.load(provider)
        if snap is None:
            continue
        version = snap["version"]
        address = f"{REGISTRY}/hashicorp/{provider}"
        target = directory / address / version / os_arch / f"terraform-provider-{provider}_v{version}"
        cache = cache_dir / f"{provider}-{version}.pb"
        if not cache.is_file():
            _atomic(cache, provider_schema(snap).SerializeToString())
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            code = (f"import sys; sys.path.insert(0, {str(root)!r}); "
                    "from dsaas_infra.stubprovider.server import main; raise SystemExit(main())")
            args = " ".join(shlex.quote(a) for a in (sys.executable, "-c", code, provider,
                                                     str(snapshot_path(provider)), str(cache)))
            _atomic(target, f"#!/bin/sh\n# stub {provider} provider (dsaas-infra validate --with plan)\n"
                            f"exec {args}\n".encode(), 0o755)
        written[address] = version
    return written


def _atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temporary file and a rename: parallel validate workers may build the same mirror."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    os.replace(tmp, path)
