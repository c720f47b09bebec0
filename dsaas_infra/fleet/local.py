"""Run one job per client on a bounded pool of processes; buffer each client's output, show it
whole, keep a progress bar on a terminal and end with one summary table (or JSON)."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from dsaas_infra import exit_codes
from dsaas_infra.errors import DsaasError

STYLE = {"ok": "green", "no changes": "green", "no drift": "green", "changes": "yellow",
         "drift": "yellow", "failed": "bold red", "passed": "green"}


@dataclass
class ClientResult:
    client: str
    blueprint: str
    status: str  # e.g. "no changes", "changes", "drift", "failed"
    exit_code: int
    summary: str = ""
    output: str = ""
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 2)
        return data


@dataclass(frozen=True)
class Task:
    client: str
    blueprint: str
    spec: str = ""  # the spec file, when known (preflight needs it)


# A job: (task, buffer) -> (status, exit_code, summary, detail). It writes everything it would
# print to the buffer; a DsaasError it raises is this client's failure, not the fleet's.
Job = Callable[[Task, io.StringIO], tuple[str, int, str, dict]]


worst = exit_codes.worst


def run_one(job: Job, task: Task) -> ClientResult:
    """Run ``job`` for one client in this process; its failures stay its own."""
    buffer = io.StringIO()
    started = time.perf_counter()
    try:
        # Whatever the job or Terraform print (stderr included) belongs to this client's output.
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            status, code, summary, detail = job(task, buffer)
    except DsaasError as e:
        lines = e.lines()
        for line in lines:
            buffer.write(f"error: {line}\n")
        status, code, summary, detail = "failed", (exit_codes.INTERRUPTED if e.exit_code == exit_codes.INTERRUPTED
                                                else exit_codes.FAILED), lines[0], {}
    except Exception as e:  # noqa: BLE001 - one client's crash must not hide the others' results
        status, code, summary, detail = "failed", exit_codes.FAILED, f"unexpected {type(e).__name__}: {e}", {}
        buffer.write(f"error: {summary}\n")
    return ClientResult(task.client, task.blueprint, status, code, summary, buffer.getvalue(),
                        time.perf_counter() - started, detail)


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_all(job: Job, tasks: list[Task], jobs: int, console: Console, *, show_output: bool = True,
            title: str = "") -> list[ClientResult]:
    """Run ``job`` for every task, at most ``jobs`` at once; results in the tasks' order."""
    results: dict[int, ClientResult] = {}
    progress = None
    if console.is_terminal and len(tasks) > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=True)
    bar = None

    def finished(i: int, result: ClientResult) -> None:
        results[i] = result
        if show_output:
            out = progress.console if progress else console
            out.print(Rule(Text(f"{result.client}: {result.status}", style=STYLE.get(result.status, ""))))
            if result.output:
                out.print(Text(result.output.rstrip("\n")), soft_wrap=True)
        if progress is not None and bar is not None:
            progress.advance(bar)

    if progress is not None:
        progress.start()
        bar = progress.add_task(title or "clients", total=len(tasks))
    try:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                finished(i, run_one(job, task))
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=_context()) as pool:
                pending: dict[Future, int] = {pool.submit(run_one, job, t): i for i, t in enumerate(tasks)}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = pending.pop(future)
                        try:
                            result = future.result()
                        except Exception as e:  # noqa: BLE001 - a worker died (killed, out of memory)
                            result = ClientResult(tasks[i].client, tasks[i].blueprint, "failed", exit_codes.FAILED,
                                                  f"worker process failed: {type(e).__name__}: {e}")
                        finished(i, result)
    finally:
        if progress is not None:
            progress.stop()
    return [results[i] for i in range(len(tasks))]


def summary_table(results: list[ClientResult], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("client")
    table.add_column("status")
    table.add_column("summary", overflow="fold")
    table.add_column("seconds", justify="right")
    table.add_column("blueprint", overflow="fold")
    for r in sorted(results, key=lambda r: r.client):
        table.add_row(Text(r.client), Text(r.status, STYLE.get(r.status, "")), Text(r.summary),
                      f"{r.seconds:.1f}", Text(r.blueprint))
    return table


def to_json(command: str, results: list[ClientResult]) -> str:
    doc = {"command": command, "exit_code": worst([r.exit_code for r in results]),
           "clients": [r.to_json() for r in sorted(results, key=lambda r: r.client)]}
    return json.dumps(doc, indent=2) + "\n"
