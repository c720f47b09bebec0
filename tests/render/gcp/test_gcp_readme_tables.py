"""The GCP README's phase and loop tables name only what the rendered HCL deploys, per example."""

from __future__ import annotations

import pytest

from dsaas_infra.loop import STEPS
from dsaas_infra.render import render_blueprint
from dsaas_infra.render.gcp.readme import (
    BATCH_EVIDENCE,
    LOOP_EVIDENCE,
    MONITOR_PARTS,
    PHASE_SERVICES,
    rendered_addresses,
)
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.markdown_tables import table

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}
EVIDENCE = {svc: evidence for rows in PHASE_SERVICES.values() for svc, evidence in rows}


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, bytes]]:
    return {stem: render_blueprint(load_spec(path)) for stem, path in GCP_SPECS.items()}


@pytest.mark.parametrize("stem", sorted(GCP_SPECS))
def test_every_service_in_the_phase_table_is_deployed(stem, rendered):
    files = rendered[stem]
    addresses = rendered_addresses(files)
    rows = {r[0].strip("`"): r[3] for r in table(files["README.md"].decode(), "phase")}
    assert set(rows) == set(PHASE_SERVICES)
    for phase, cell in rows.items():
        named = [] if cell == "none at this level" else cell.split(", ")
        for svc in named:
            assert svc in EVIDENCE, f"{stem}: {phase} names {svc!r}, which has no evidence in PHASE_SERVICES"
            assert EVIDENCE[svc] in addresses, f"{stem}: README names {svc} but {EVIDENCE[svc]} is not rendered"
        # ... and nothing deployed is left out.
        assert named == [svc for svc, evidence in PHASE_SERVICES[phase] if evidence in addresses]


@pytest.mark.parametrize("stem", sorted(GCP_SPECS))
def test_the_loop_table_says_which_steps_are_not_at_this_level(stem, rendered):
    files = rendered[stem]
    addresses = rendered_addresses(files)
    rows = {r[0]: r[3] for r in table(files["README.md"].decode(), "step")}
    assert list(rows) == [s.name for s in STEPS]
    for name, (evidence, absent) in LOOP_EVIDENCE.items():
        step = next(s for s in STEPS if s.name == name)
        if name == "deploy" and evidence not in addresses and BATCH_EVIDENCE[0] in addresses:
            absent = BATCH_EVIDENCE[1]  # the batch tier: the run scores in batch instead
        assert rows[name] == (step.gcp if evidence in addresses else absent).replace("\\", ""), (stem, name)
    # The batch tier is the reactive example's (no endpoint); the others serve from the endpoint.
    assert (BATCH_EVIDENCE[0] in addresses) == (stem == "gcp-reactive")
    monitor = [p for p, evidence in MONITOR_PARTS if evidence in addresses]
    assert rows["monitor"] == ", ".join(monitor)


def test_reactive_names_no_endpoint_api_or_drift_monitoring(rendered):
    readme = rendered["gcp-reactive"]["README.md"].decode()
    phases = {r[0].strip("`"): r[3] for r in table(readme, "phase")}
    assert "Vertex AI endpoint" not in phases["deployment"] and "model monitoring" not in phases["deployment"]
    assert phases["access"] == "none at this level"
    loop = {r[0]: r[3] for r in table(readme, "step")}
    assert loop["deploy"].startswith("no endpoint at this level") and loop["serve"].startswith("no API")
    assert "drift" not in loop["monitor"]


def test_every_evidence_address_exists_in_the_managed_example(rendered):
    """A renamed resource would silently drop its service from every README: catch it here."""
    addresses = rendered_addresses(rendered["gcp-managed"])
    evidence = set(EVIDENCE.values()) | {e for e, _ in LOOP_EVIDENCE.values()} | {e for _, e in MONITOR_PARTS}
    assert evidence - addresses == set()
