"""Every default the maturity table sets has a reason for `init` to show."""

from dsaas_infra.assess.reasons import REASONS
from dsaas_infra.spec.maturity import DEFAULTS


def test_every_maturity_default_has_a_reason():
    missing = [(p, s) for p, settings in DEFAULTS.items() for s in settings if (p, s) not in REASONS]
    assert not missing, f"add a reason to dsaas_infra/assess/reasons.py for {missing}"
