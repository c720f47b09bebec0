"""phases.data.datasets and phases.training.dataset: the default keeps one dataset, bad names are one
located line (exit 2), and SPEC018 refuses duplicates, reserved names and an unknown training dataset."""

import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec, load_spec_text
from tests.spec.conftest import GOOD_AWS

ROOT = Path(__file__).resolve().parents[2]
DATA = 'data: {enabled: true, schedule: "0 3 * * *", raw_retention_days: 365}'
TRAINING = "training: {enabled: true, size: medium, gpu: none, users: [alice, bob]}"


def _spec(datasets: str | None = None, training: str | None = None):
    text = GOOD_AWS
    if datasets is not None:
        text = text.replace(DATA, DATA[:-1] + f", datasets: {datasets}}}")
    if training is not None:
        text = text.replace(TRAINING, TRAINING[:-1] + f", dataset: {training}}}")
    return load_spec_text(text, "acme.yaml")


def _lines(**kwargs) -> list[str]:
    with pytest.raises(SpecError) as info:
        _spec(**kwargs)
    return info.value.lines()


@pytest.mark.parametrize("stem", ["aws-proactive", "gcp-proactive", "gcp-reactive"])
def test_the_default_is_one_dataset_called_training_and_the_training_set_comes_from_it(stem):
    spec = load_spec(ROOT / "blueprints" / f"{stem}.yaml")
    assert spec.phases.data.datasets == ["training"] and spec.phases.training.dataset == "training"


def test_the_training_dataset_defaults_to_the_first_dataset():
    spec = _spec(datasets="[sales, customers]")
    assert spec.phases.data.datasets == ["sales", "customers"] and spec.phases.training.dataset == "sales"
    assert _spec(datasets="[sales, customers]", training="customers").phases.training.dataset == "customers"


@pytest.mark.parametrize("name", ["Sales", "sales-eu", "2024", "a__b", "trailing_", "x" * 41, '"sales/eu"'])
def test_a_bad_dataset_name_is_one_located_line(name):
    lines = _lines(datasets=f"[ok, {name}]")
    assert len(lines) == 1, lines
    assert lines[0].startswith("acme.yaml:14:") and " phases.data.datasets[1]: " in lines[0], lines


def test_an_empty_dataset_list_is_refused():
    (line,) = _lines(datasets="[]")
    assert line.startswith("acme.yaml:14:") and "phases.data.datasets" in line


@pytest.mark.parametrize("datasets, training, fragment", [
    ("[sales, sales]", None, "phases.data.datasets[1]: dataset 'sales' is listed twice [SPEC018]"),
    ("[inference]", None, "phases.data.datasets[0]: dataset name 'inference' is reserved"),
    ("[sales, sales_quarantine]", None, "is the quarantine table of dataset 'sales' [SPEC018]"),
    ("[sales]", "customers", "phases.training.dataset: 'customers' is not one of phases.data.datasets"),
])
def test_spec018_dataset_rules(datasets, training, fragment):
    lines = _lines(datasets=datasets, training=training)
    assert len(lines) == 1 and fragment in lines[0], lines
    assert lines[0].startswith("acme.yaml:"), lines


@pytest.mark.parametrize("datasets", ["[Sales]", "[sales, sales]"])
def test_a_bad_dataset_list_is_one_located_line_exit_2(tmp_path, datasets):
    path = tmp_path / "acme.yaml"
    path.write_text(GOOD_AWS.replace(DATA, DATA[:-1] + f", datasets: {datasets}}}"))
    result = subprocess.run([sys.executable, "-m", "dsaas_infra", "render", str(path), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:14:") and "phases.data.datasets" in lines[0], lines
    assert not (tmp_path / "out").exists()
