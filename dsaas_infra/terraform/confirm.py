"""Ask a person to confirm a change at the terminal; refuse when there is no terminal to ask."""

from __future__ import annotations

import sys

from dsaas_infra.errors import Interrupted, UsageError


def require_tty(what: str, flags: str) -> None:
    # Without a terminal nobody can see the summary before answering: CI must say so explicitly.
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} without a terminal to confirm on; review the plan, then use {flags}")


def ask(prompt: str, expected: str) -> bool:
    """True only if the person types exactly ``expected``."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt as e:
        raise Interrupted("interrupted: nothing was changed") from e
    return answer.strip() == expected
