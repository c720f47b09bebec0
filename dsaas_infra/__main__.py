"""Entry point for ``python -m dsaas_infra``."""

from dsaas_infra.cli import main

if __name__ == "__main__":
    main()
