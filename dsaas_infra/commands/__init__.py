"""One module per CLI command: typed arguments in, exit status out."""
