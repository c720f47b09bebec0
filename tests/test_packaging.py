"""The wheel ships the templates and schema snapshots (`pip install .` without -e must work)."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_and_schemas(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(tmp_path.glob("dsaas_infra-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    source_templates = {
        "dsaas_infra/templates/" + p.relative_to(REPO / "templates").as_posix()
        for p in (REPO / "templates").rglob("*") if p.is_file()
    }
    assert source_templates and source_templates <= names, sorted(source_templates - names)[:5]
    assert "dsaas_infra/templates/common/gitignore.j2" in names
    assert any(n.startswith("dsaas_infra/schemas/") and n.endswith(".json.gz") for n in names)
    assert "dsaas_infra/cost/prices.yaml" in names
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)
