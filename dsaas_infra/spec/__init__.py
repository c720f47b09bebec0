"""The client spec: YAML loading with positions, the pydantic model, maturity defaults."""

from dsaas_infra.spec.loader import load_spec, load_spec_text
from dsaas_infra.spec.model import ClientSpec

__all__ = ["ClientSpec", "load_spec", "load_spec_text"]
