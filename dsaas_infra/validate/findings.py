"""What every validation stage reports: rules, located findings and a per-stage result."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsaas_infra import exit_codes

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Rule:
    """A stable rule id with a name and a one-line description (SARIF uses all three)."""

    id: str
    name: str
    description: str
    severity: str = ERROR


@dataclass(frozen=True)
class Finding:
    stage: str
    rule_id: str
    severity: str
    message: str
    file: str | None = None
    line: int | None = None
    address: str | None = None
    guideline: str | None = None
    end_line: int | None = None
    suppression: str | None = None  # a deliberate, reasoned suppression (checkov:skip=ID:reason): the reason

    def location(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.rule_id, self.message)


@dataclass
class StageResult:
    """One stage's outcome: ``skipped`` always carries a reason; ``user_skipped`` marks --skip."""

    stage: str
    findings: list[Finding] = field(default_factory=list)
    skipped_reason: str | None = None
    user_skipped: bool = False
    seconds: float = 0.0
    rules: dict[str, Rule] = field(default_factory=dict)
    details: dict = field(default_factory=dict)  # stage-specific data for machine reports (plan: inventory)

    @property
    def status(self) -> str:
        if self.skipped_reason is not None:
            return SKIPPED
        return FAILED if any(f.severity == ERROR for f in self.findings) else PASSED

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class Report:
    targets: list[str]
    stages: list[StageResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.stages for f in s.findings]

    def count(self, severity: str) -> int:
        return sum(s.count(severity) for s in self.stages)

    def unavailable(self) -> list[StageResult]:
        """Stages that could not run (a missing tool), as opposed to ones skipped on request."""
        return [s for s in self.stages if s.status == SKIPPED and not s.user_skipped]

    def exit_code(self, strict: bool = False) -> int:
        if self.count(ERROR):
            return exit_codes.FAILED
        return exit_codes.FAILED if strict and self.unavailable() else exit_codes.OK
