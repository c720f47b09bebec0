"""The one error hierarchy of dsaas-infra; only the CLI layer maps it to exit statuses."""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra import exit_codes


class DsaasError(Exception):
    """Base of every error dsaas-infra reports to the user (exit status 1)."""

    exit_code = exit_codes.FAILED

    def lines(self) -> list[str]:
        """The message, one line per problem."""
        return [str(self)]


class UserInputError(DsaasError):
    """The user gave bad input or a bad invocation (exit status 2)."""

    exit_code = exit_codes.USAGE


class UsageError(UserInputError):
    """A command was called in a way that cannot work."""


@dataclass(frozen=True)
class SpecProblem:
    """One located problem in a client spec."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class SpecError(UserInputError):
    """A client spec is invalid; carries one located problem per line."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class OutputConflictError(UserInputError):
    """Rendering would overwrite files that were edited by hand since the last render."""

    def lines(self) -> list[str]:
        return str(self).splitlines()


class OperationError(DsaasError):
    """An operation (Terraform, a cloud check) failed (exit status 1)."""


class ToolMissingError(OperationError):
    """A required external tool (terraform, checkov) cannot be found."""


class Cancelled(DsaasError):
    """The user did not give the confirmation a change needs; nothing was changed (exit status 1)."""


class Interrupted(DsaasError):
    """The user interrupted the command (exit status 130)."""

    exit_code = exit_codes.INTERRUPTED
