"""The GCP blueprint: context, files and the per-phase builders."""
