"""The one place that turns exceptions into messages and exit statuses."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator

from dsaas_infra import exit_codes
from dsaas_infra.errors import DsaasError, UserInputError


def _err(line: str) -> None:
    sys.stderr.write(f"error: {line}\n")


@contextlib.contextmanager
def error_handler(usage_status: int = exit_codes.USAGE) -> Iterator[None]:
    """Run a command; report any error as one line per problem and exit with its status.

    ``usage_status`` is the status of bad input: USAGE, except where a command's 2 means
    something else (plan --detailed-exitcode, drift: exit_codes.USAGE_WHEN_2_MEANS_CHANGES).

    Unexpected errors never dump a traceback on the terminal (it could hold credentials
    from local variables); the traceback goes to a log file whose path is printed.
    """
    try:
        yield
    except DsaasError as e:
        for line in e.lines():
            _err(line)
        raise SystemExit(usage_status if isinstance(e, UserInputError) else e.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(exit_codes.INTERRUPTED) from None
    except Exception as e:  # noqa: BLE001 - last resort: log the traceback, print one line
        fd, path = tempfile.mkstemp(prefix="dsaas-infra-crash-", suffix=".log")
        with os.fdopen(fd, "w") as f:
            traceback.print_exc(file=f)
        _err(f"unexpected {type(e).__name__}: {e} (traceback written to {path})")
        raise SystemExit(exit_codes.INTERNAL) from None
