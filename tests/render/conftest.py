"""The state machine executions run against the shared moto server of tests/cloud_fixtures.py."""

from cloud_fixtures import moto, moto_url  # noqa: F401
