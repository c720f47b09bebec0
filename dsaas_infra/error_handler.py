"""The one place that turns exceptions into messages and exit statuses."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator

from dsaas_infra.errors import DsaasError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _err(line: str) -> None:
    sys.stderr.write(f"error: {line}\n")


@contextlib.contextmanager
def error_handler() -> Iterator[None]:
    """Run a command; report any error as one line per problem and exit with its status.

    Unexpected errors never dump a traceback on the terminal (it could hold credentials
    from local variables); the traceback goes to a log file whose path is printed.
    """
    try:
        yield
    except DsaasError as e:
        for line in e.lines():
            _err(line)
        raise SystemExit(e.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as e:  # noqa: BLE001 - last resort: log the traceback, print one line
        fd, path = tempfile.mkstemp(prefix="dsaas-infra-crash-", suffix=".log")
        with os.fdopen(fd, "w") as f:
            traceback.print_exc(file=f)
        _err(f"unexpected {type(e).__name__}: {e} (traceback written to {path})")
        raise SystemExit(3) from None
