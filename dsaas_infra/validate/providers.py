"""Which providers a blueprint needs, and whether this machine has them without touching the network."""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.schema import provider_of

REGISTRY = "registry.terraform.io"
TOFU_REGISTRY = "registry.opentofu.org"  # where OpenTofu resolves short sources such as hashicorp/aws
_MIRROR = re.compile(r"filesystem_mirror\s*\{[^}]*?path\s*=\s*\"([^\"]+)\"", re.S)
_CACHE = re.compile(r"plugin_cache_dir\s*=\s*\"([^\"]+)\"")
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass
class Plan:
    found: dict[str, Path] = field(default_factory=dict)  # provider address -> mirror directory
    missing: list[str] = field(default_factory=list)
    network: bool = False


def address(source: str, registry: str = REGISTRY) -> str:
    parts = source.lower().split("/")
    if len(parts) == 1:
        parts = ["hashicorp", *parts]
    return "/".join([registry, *parts] if len(parts) == 2 else parts)


def required(bp: Blueprint, registry: str = REGISTRY) -> set[str]:
    """Provider addresses from required_providers plus those implied by resource type prefixes."""
    declared: dict[str, str] = {}
    for module in bp.modules.values():
        for tf in module.top("terraform"):
            for req in tf.children("required_providers"):
                for local, attr in req.attributes.items():
                    value = attr.value if isinstance(attr.value, dict) else {}
                    declared[local] = address(str(value.get("source", local)), registry)
    needed = set(declared.values())
    for module in bp.modules.values():
        for block in module.blocks:
            if block.type in ("resource", "data", "ephemeral") and len(block.labels) == 2:
                local = provider_of(block)
                if local != "terraform":  # terraform_data / terraform_remote_state are built in
                    needed.add(declared.get(local, address(local, registry)))
    return needed


def platform_dir() -> str:
    return f"{platform.system().lower()}_{_ARCH.get(platform.machine().lower(), platform.machine().lower())}"


def candidate_dirs(env: dict[str, str]) -> list[Path]:
    dirs = []
    if env.get("DSAAS_TF_PLUGIN_MIRROR"):
        dirs.append(Path(env["DSAAS_TF_PLUGIN_MIRROR"]))
    config = Path(env.get("TF_CLI_CONFIG_FILE") or Path(env.get("HOME", "~")).expanduser() / ".terraformrc")
    if config.is_file():
        text = config.read_text(errors="replace")
        dirs.extend(Path(p).expanduser() for p in _MIRROR.findall(text) + _CACHE.findall(text))
    if env.get("TF_PLUGIN_CACHE_DIR"):
        dirs.append(Path(env["TF_PLUGIN_CACHE_DIR"]).expanduser())
    home = Path(env.get("HOME", "~")).expanduser()
    dirs += [home / ".terraform.d/plugins", home / ".local/share/terraform/plugins",
             Path("/usr/local/share/terraform/plugins"), Path("/usr/share/terraform/plugins")]
    return dirs


def has_provider(directory: Path, provider: str, os_arch: str) -> bool:
    base = directory / provider
    kind = provider.rsplit("/", 1)[-1]
    unpacked = any(base.glob(f"*/{os_arch}/terraform-provider-{kind}*"))
    packed = any(base.glob(f"terraform-provider-{kind}_*_{os_arch}.zip"))
    return unpacked or packed


def locate(needed: list[str], env: dict[str, str]) -> Plan:
    plan = Plan(network=env.get("DSAAS_TF_NETWORK", "").lower() in ("1", "true", "yes"))
    dirs, os_arch = candidate_dirs(env), platform_dir()
    for provider in needed:
        where = next((d for d in dirs if has_provider(d, provider, os_arch)), None)
        if where is None:
            plan.missing.append(provider)
        else:
            plan.found[provider] = where
    return plan


def write_cli_config(plan: Plan, path: Path) -> Path | None:
    """A CLI config that installs the found providers from their mirrors, and nothing from the network
    unless the plan allows it. None when nothing is mirrored and the user's own config should apply."""
    if not plan.found:
        return None
    by_dir: dict[Path, list[str]] = {}
    for provider, directory in sorted(plan.found.items()):
        by_dir.setdefault(directory, []).append(provider)
    lines = ["provider_installation {"]
    for directory, provs in by_dir.items():
        lines += ["  filesystem_mirror {", f"    path    = {json.dumps(str(directory.resolve()))}",
                  f"    include = {json.dumps(provs)}", "  }"]
    if plan.network:
        lines += ["  direct {", f"    exclude = {json.dumps(sorted(plan.found))}", "  }"]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path
