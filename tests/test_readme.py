"""The README documents the maturity table and the sizes exactly as the code applies them."""

from pathlib import Path

from dsaas_infra.spec import sizes
from dsaas_infra.spec.maturity import CLOUD_DEFAULTS, DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(f"{v['name']} {v['weight']}%" for v in value)
    if isinstance(value, str):
        return f"`{value}`"
    return str(value)


def test_maturity_table_matches_defaults():
    for phase, settings in DEFAULTS.items():
        for setting, by_level in settings.items():
            row = f"| `{phase}.{setting}` | " + " | ".join(
                _cell(by_level[level]) for level in ("reactive", "proactive", "managed")
            ) + " |"
            assert row in README, f"README maturity table is missing or wrong: {row}"


def test_gcp_default_table_matches_the_cloud_overrides():
    for phase, settings in CLOUD_DEFAULTS["gcp"].items():
        for setting, by_level in settings.items():
            row = f"| `{phase}.{setting}` | " + " | ".join(
                "never" if by_level[level] is None else _cell(by_level[level])
                for level in ("reactive", "proactive", "managed")
            ) + " |"
            assert row in README.split("| GCP setting |")[1], f"README GCP default table is missing or wrong: {row}"


def test_aws_default_table_matches_the_cloud_overrides():
    for phase, settings in CLOUD_DEFAULTS["aws"].items():
        for setting, by_level in settings.items():
            row = f"| `{phase}.{setting}` | " + " | ".join(
                "never" if by_level[level] is None else _cell(by_level[level])
                for level in ("reactive", "proactive", "managed")
            ) + " |"
            assert row in README, f"README AWS default table is missing or wrong: {row}"


def test_size_table_matches_mapping():
    for size in sizes.SIZES:
        row = f"| `{size}` | {sizes.AWS_TRAINING[size]} | {sizes.AWS_INFERENCE[size]} | {sizes.GCP_MACHINE[size]} |"
        assert row in README, row
    for gpu, (machine, accel) in sizes.GCP_GPU.items():
        row = f"| `{gpu}` | {sizes.AWS_GPU[gpu]} | {sizes.AWS_GPU[gpu]} | {machine} + {accel} |"
        assert row in README, row


def test_quickstart_names_the_test_command_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in README and "scripts/test.sh" in ci
