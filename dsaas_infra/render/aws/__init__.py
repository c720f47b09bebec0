"""The AWS blueprint: context, files and the per-phase builders."""
