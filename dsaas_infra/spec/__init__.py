"""The client spec: YAML loading with positions, the user-facing pydantic model, the resolved spec."""

from dsaas_infra.spec.loader import load_spec, load_spec_text
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.resolved import AwsSpec, GcpSpec, ResolvedSpec

__all__ = ["AwsSpec", "ClientSpec", "GcpSpec", "ResolvedSpec", "load_spec", "load_spec_text"]
