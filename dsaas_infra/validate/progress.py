"""Progress of a validate run on stderr: per blueprint and per stage, so long runs are never silent.

A terminal gets a rich progress bar (the per-blueprint result lines scroll above it); anything else
(CI logs, pipes) gets one plain line per event; ``quiet`` prints nothing. The report itself still goes
to stdout or the output file at the end.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape

from dsaas_infra.validate.findings import ERROR, StageResult

if TYPE_CHECKING:
    from rich.progress import TaskID


def describe(result: StageResult) -> str:
    errors = result.count(ERROR)
    if result.status == "failed":
        return f"{result.stage} failed ({errors} error{'s' if errors != 1 else ''})"
    return f"{result.stage} {result.status}"


class Progress:
    """Plain lines (also the base: the rich variant only changes how they are shown)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.done = 0

    def start(self, blueprints: int, steps: int) -> None:
        self.total = steps
        self._line(f"validate: {blueprints} blueprint{'s' if blueprints != 1 else ''}")

    def blueprint_done(self, index: int, count: int, label: str, results: list[StageResult]) -> None:
        self.done += len(results)
        self._line(f"[{index}/{count}] {label}: " + ", ".join(describe(r) for r in results))

    def stage_started(self, stage: str, blueprints: int) -> None:
        self._line(f"{stage}: running over {blueprints} blueprint{'s' if blueprints != 1 else ''}...")

    def stage_done(self, result: StageResult) -> None:
        self.done += 1
        reason = f": {result.skipped_reason}" if result.skipped_reason else ""
        self._line(f"{describe(result)}{reason} ({result.seconds:.1f} s)")

    def close(self) -> None:
        pass

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class QuietProgress(Progress):
    def _line(self, text: str) -> None:
        pass


class RichProgress(Progress):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar
        self.console = Console(file=self.stream, highlight=False)
        self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=self.console, transient=True)
        self.task: TaskID | None = None

    def start(self, blueprints: int, steps: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("validate", total=steps)

    def blueprint_done(self, index: int, count: int, label: str, results: list[StageResult]) -> None:
        self.bar.console.print(escape(f"[{index}/{count}] {label}: " + ", ".join(describe(r) for r in results)))
        if self.task is not None:
            self.bar.advance(self.task, len(results))

    def stage_started(self, stage: str, blueprints: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, description=f"{stage} ({blueprints} blueprints)")

    def stage_done(self, result: StageResult) -> None:
        reason = f": {result.skipped_reason}" if result.skipped_reason else ""
        self.bar.console.print(escape(f"{describe(result)}{reason} ({result.seconds:.1f} s)"))
        if self.task is not None:
            self.bar.advance(self.task, 1)

    def close(self) -> None:
        self.bar.stop()


def for_stderr(quiet: bool = False) -> Progress:
    if quiet:
        return QuietProgress()
    return RichProgress() if sys.stderr.isatty() else Progress()
