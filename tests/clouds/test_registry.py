"""The cloud registry: a cloud registered in a test is served by every consumer; an unknown cloud is an
error everywhere, never treated as one of the known two."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dsaas_infra import clouds
from dsaas_infra.clouds.aws import AwsCloud
from dsaas_infra.cost.estimate import estimate
from dsaas_infra.cost.prices import load_prices
from dsaas_infra.preflight.results import CheckResult
from dsaas_infra.preflight.run import run_preflight
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.resolve import check_rules, deprecations, resolve

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dsaas_infra"
CALLS: list[str] = []


class FakeCloud(AwsCloud):
    """A third cloud; it borrows the AWS settings key of the spec but answers everything itself."""

    name = "fake"
    title = "Fake Cloud"
    render_module = "tests.clouds.fake_render"
    regions = frozenset({"moon-1"})
    instance_type = re.compile(r"^fk\.[a-z]+$")
    instance_type_example = "fk.small"

    def account(self, spec):
        return "fake-account"

    def region(self, spec):
        return "moon-1"

    def default_state_bucket(self, spec):
        return "fake-state-bucket"

    def resolved_spec(self, spec, **common):
        return dataclasses.replace(super().resolved_spec(spec, **common), cloud="fake")

    def check_state_bucket(self, name):
        CALLS.append(f"bucket {name}")

    def spec_rules(self, spec):
        return [(("fake",), "a fake rule")]

    def deprecations(self, spec):
        return [(("fake",), "a fake deprecation")]

    def preflight(self, spec):
        return [CheckResult("fake-check", "fake check", "pass", "served by the fake cloud")]

    def bootstrap(self, spec):
        CALLS.append("bootstrap")
        return []

    def cost_rules(self):
        def rule(ctx):
            CALLS.append(f"cost rule in {ctx.region}")
        return [rule]

    def local_credentials(self, env):
        return True, "fake credentials"


def _written(example: str, cloud: str) -> ClientSpec:
    """An example spec as written, its cloud replaced (the model's validation knows only aws and gcp)."""
    written = ClientSpec.model_validate(yaml.safe_load((ROOT / "blueprints" / f"{example}.yaml").read_text()))
    written = written.model_copy(update={"cloud": cloud})
    written.state.bucket = None
    return written


@pytest.fixture
def fake_written(monkeypatch):
    monkeypatch.setitem(clouds.REGISTRY, "fake", FakeCloud())
    CALLS.clear()
    return _written("aws-reactive", "fake")


@pytest.fixture
def fake(fake_written):
    spec = resolve(fake_written)
    assert spec is not None
    return spec


def test_a_registered_cloud_is_served_everywhere(fake_written, fake):
    assert fake.cloud == "fake" and fake.state.bucket == "fake-state-bucket"
    assert deprecations(fake) == [(("fake",), "a fake deprecation")]
    training = dataclasses.replace(fake.phases.training, instance_type="ml.m5.xlarge")
    problems = check_rules(fake_written, dataclasses.replace(fake, phases=dataclasses.replace(
        fake.phases, training=training)))
    assert (("fake",), "a fake rule [SPEC015]") in problems
    assert (("phases", "training", "instance_type"),
            "'ml.m5.xlarge' is not a fake instance type (e.g. fk.small) [SPEC004]") in problems
    # The spec still has an aws: key: another registered cloud's settings are not allowed.
    assert (("aws",), "only allowed when cloud is aws (cloud is fake) [SPEC003]") in problems
    assert "bucket fake-state-bucket" in CALLS
    files = render_blueprint(fake)
    assert list(files) == [".gitignore"]
    assert run_preflight(fake)[0].detail == "served by the fake cloud"
    est = estimate(fake, files, load_prices())
    assert est.region == "moon-1" and "cost rule in moon-1" in CALLS
    assert clouds.of(fake).bootstrap(fake) == [] and "bootstrap" in CALLS


def test_doctor_checks_every_registered_cloud(fake):
    from dsaas_infra.commands.doctor import run_checks

    ids = [r.id for r in run_checks(["fake"], env={"PATH": ""})]
    assert "fake-credentials" in ids and "fake-sdk" in ids and "aws-credentials" in ids


def test_an_unknown_cloud_is_an_error_not_the_other_cloud():
    spec = dataclasses.replace(load_spec(ROOT / "blueprints" / "gcp-reactive.yaml"), cloud="azure")  # type: ignore[arg-type]
    written = _written("gcp-reactive", "azure")
    for consumer in (render_blueprint, run_preflight, lambda s: check_rules(None, s), lambda s: resolve(written),
                     deprecations, lambda s: estimate(s, {}, load_prices())):
        with pytest.raises(clouds.UnknownCloudError, match=r"unknown cloud 'azure' \(known: aws, gcp\)"):
            consumer(spec)


def test_an_unknown_cloud_in_a_spec_exits_2(tmp_path):
    text = (ROOT / "blueprints" / "gcp-reactive.yaml").read_text().replace("cloud: gcp", "cloud: azure")
    spec = tmp_path / "azure.yaml"
    spec.write_text(text)
    result = subprocess.run([sys.executable, "-m", "dsaas_infra", "render", str(spec), "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and "cloud" in result.stderr and "Traceback" not in result.stderr


def test_no_two_way_branch_on_the_cloud_name_outside_the_registry():
    """Comparisons with a cloud's name live in dsaas_infra/clouds/ only (the CI identity modules, which
    another change is reworking, are listed until they move)."""
    pending = {
               "fleet/github.py"}  # github.py: `if:` expressions of the generated workflow, not Python
    pattern = re.compile(r"""(==|!=)\s*["'](aws|gcp)["']|["'](aws|gcp)["']\s*(==|!=)|\bis_(aws|gcp)\b""")
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("clouds/") or rel in pending:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{rel}:{n}: {line.strip()}")
    assert hits == []
