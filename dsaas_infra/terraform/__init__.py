"""Running Terraform (or OpenTofu): argument builders, the process runner, plan views and plan files."""
