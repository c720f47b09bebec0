"""dsaas-infra: render, validate and run Terraform blueprints for DSaaS clients."""

__version__ = "0.2.0"
