"""Offline, staged validation of rendered blueprints (``dsaas-infra validate``)."""
