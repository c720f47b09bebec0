"""Specs nested absurdly deep are one located error (exit 2), never a RecursionError (issue 12)."""

import subprocess
import sys

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec.loader import load_spec_text
from dsaas_infra.spec.yaml_positions import MAX_DEPTH

DEEP = {
    "flow_3000": "apiVersion: dsaas-infra/v1\nclient: " + "[" * 3000 + "]" * 3000 + "\n",
    "flow_600_maps": "client: " + "{a: " * 600 + "1" + "}" * 600 + "\n",
    "block_600": "".join(" " * i + f"k{i}:\n" for i in range(600)) + " " * 600 + "x: 1\n",
    "just_over": "client: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_is_one_located_spec_error(name):
    with pytest.raises(SpecError) as e:
        load_spec_text(DEEP[name], "deep.yaml")
    lines = e.value.lines()
    assert len(lines) == 1 and f"nested deeper than {MAX_DEPTH} levels" in lines[0]
    assert lines[0].startswith("deep.yaml:"), lines


def test_cli_exit_2_on_a_500_level_spec(tmp_path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("client: " + "[" * 520 + "]" * 520 + "\n")
    for command in (["render", str(spec), "--out", str(tmp_path / "out")], ["validate", str(spec)]):
        result = subprocess.run([sys.executable, "-m", "dsaas_infra", *command], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "nested deeper than" in result.stderr and "Traceback" not in result.stderr
