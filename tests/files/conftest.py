"""The shipped Lambda code runs against the shared moto server of tests/cloud_fixtures.py."""

from cloud_fixtures import moto, moto_url  # noqa: F401
