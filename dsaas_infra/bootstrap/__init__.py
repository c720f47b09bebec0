"""Create the remote Terraform state storage idempotently; never delete or weaken what exists."""
