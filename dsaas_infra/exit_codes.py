"""The exit statuses of every command, in one place (the README's exit-status tables say the same)."""

from __future__ import annotations

OK = 0
FAILED = 1  # findings at error severity, a failed operation, a confirmation not given
USAGE = 2  # bad input or usage: invalid spec, unknown option, refusing to overwrite hand edits
CHANGES = 2  # plan --detailed-exitcode: changes present; drift: drift found (as Terraform's -detailed-exitcode)
STALE = 1  # render/upgrade --check or --diff: something would change; upgrade: a conflict to resolve
INTERNAL = 3  # a bug: the traceback is written to a log file whose path is printed
INTERRUPTED = 130  # Ctrl-C

# Under plan --detailed-exitcode and in drift, CHANGES (2) means "changes" or "drift": bad input
# then exits FAILED instead of USAGE, as Terraform's errors do under -detailed-exitcode.
USAGE_WHEN_2_MEANS_CHANGES = FAILED

# Statuses of several clients from best to worst (fleet runs report the worst): an error outranks
# changes (or drift), which outrank none; an interruption outranks everything.
SEVERITY = {OK: 0, CHANGES: 1, FAILED: 2, INTERRUPTED: 3}


def worst(codes: list[int]) -> int:
    """The status of a run over several clients: the worst of theirs (OK for none)."""
    return max(codes, key=lambda c: SEVERITY.get(c, SEVERITY[FAILED]), default=OK)
