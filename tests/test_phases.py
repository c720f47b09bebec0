"""The phase table is what the renderer, the outputs, the plan summaries and `phases` use."""

from __future__ import annotations

import dataclasses
import importlib.resources
from pathlib import Path

import jinja2
import pytest

from dsaas_infra import phases
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = importlib.resources.files("dsaas_infra") / "templates"
EXAMPLES = sorted((ROOT / "blueprints").glob("*.yaml"))


def test_order_and_names():
    assert phases.PHASES == ("data", "training", "deployment", "access")
    assert phases.ORDER == (*phases.PHASES, phases.SHARED)
    assert set(phases.clouds()) == {"aws", "gcp"}


def test_every_template_the_table_names_exists_and_no_outputs_template_is_unnamed():
    named = set()
    for phase in phases.TABLE:
        for cloud, cp in phase.clouds.items():
            for name in cp.files:
                assert (TEMPLATES / cloud / f"{name}.j2").is_file(), (cloud, name)
            assert cp.outputs is not None and (TEMPLATES / cp.outputs).is_file(), (cloud, phase.name)
            named.add(cp.outputs)
    on_disk = {f"{cloud}/outputs/{f.name}" for cloud in phases.clouds()
               for f in (TEMPLATES / cloud / "outputs").iterdir()}
    assert on_disk == named


def test_no_template_ignores_a_missing_include():
    for path in Path(str(TEMPLATES)).rglob("*.j2"):
        assert "ignore missing" not in path.read_text(), path


def test_a_file_is_in_one_phase_on_every_cloud(monkeypatch):
    assert phases.phase_of_file("monitoring.tf") == "deployment"
    assert phases.phase_of_file("network.tf") == "training"
    assert phases.phase_of_file("kms.tf") == phases.SHARED
    table = (dataclasses.replace(phases.TABLE[0], clouds={"aws": phases.CloudPhase((), ("x.tf",))}),
             dataclasses.replace(phases.TABLE[1], clouds={"gcp": phases.CloudPhase((), ("x.tf",))}))
    monkeypatch.setattr(phases, "TABLE", table)
    with pytest.raises(ValueError, match="x.tf is in phase data on one cloud and training on another"):
        phases._phase_by_file()


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[object, dict[str, bytes]]]:
    return {p.stem: (spec := load_spec(p), render_blueprint(spec)) for p in EXAMPLES}


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_rendered_phase_files_come_from_the_table(example, rendered):
    """Each .tf file of an enabled phase's table entry is what the blueprint has for that phase;
    every output of a phase's outputs template lands in outputs.tf."""
    spec, files = rendered[example]
    # Known: GCP renders network.tf whatever the phases (Dataflow workers run in it too), while
    # plan/cost summaries, which know the file and not the cloud, count it as training.
    shared_here = {"gcp": {"network.tf"}}.get(spec.cloud, set())
    enabled = [p for p in phases.PHASES if getattr(spec.phases, p).enabled]
    for name in files:
        if name.endswith(".tf") and "/" not in name and phases.phase_of_file(name) != phases.SHARED \
                and name not in shared_here:
            phase = phases.phase_of_file(name)
            assert phase in enabled, (name, phase)
            assert name in phases.of(spec.cloud, phase).files
    outputs = files["outputs.tf"].decode()
    for template in phases.output_templates(spec.cloud, enabled):
        first = next(line for line in (TEMPLATES / template).read_text().splitlines() if line.startswith("output "))
        assert first in outputs, (template, first)


def test_a_disabled_phase_has_no_outputs():
    assert phases.output_templates("aws", ["data"]) == ["aws/outputs/data.tf.j2"]
    assert phases.output_templates("gcp", ["access", "data"]) == ["gcp/outputs/data.tf.j2",
                                                                   "gcp/outputs/access.tf.j2"]


def test_a_missing_outputs_template_is_an_error(monkeypatch):
    spec = load_spec(ROOT / "blueprints" / "aws-reactive.yaml")
    data = phases.TABLE[0]
    renamed = dataclasses.replace(
        data, clouds={**data.clouds, "aws": dataclasses.replace(data.clouds["aws"], outputs="aws/outputs/gone.tf.j2")})
    monkeypatch.setattr(phases, "TABLE", (renamed, *phases.TABLE[1:]))
    with pytest.raises(jinja2.TemplateNotFound, match="aws/outputs/gone.tf.j2"):
        render_blueprint(spec)


def test_an_unknown_cloud_or_phase_is_named():
    with pytest.raises(KeyError, match="no phase 'data' on cloud 'azure'"):
        phases.of("azure", "data")
    with pytest.raises(KeyError, match="no phase 'serving'"):
        phases.tf_files("aws", "serving")


def test_phases_command_shows_the_table():
    from typer.testing import CliRunner

    from dsaas_infra.cli import app

    result = CliRunner().invoke(app, ["phases", "--cloud", "gcp"])
    assert result.exit_code == 0
    for phase in phases.TABLE:
        assert phase.name in result.output
        assert phase.clouds["gcp"].services[0].split(" ")[0] in result.output
