"""The bootstrap tests run against the shared cloud stand-ins of tests/cloud_fixtures.py."""

from cloud_fixtures import aws_spec, fake_gcp, fake_gcp_server, gcp_spec, moto, moto_url  # noqa: F401
