"""Upgrade a rendered blueprint to a new render while keeping its hand edits (three-way merge)."""
