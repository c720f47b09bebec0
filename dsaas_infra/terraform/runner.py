"""Find terraform/tofu and run it: the one function in dsaas-infra that starts Terraform."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dsaas_infra.errors import Interrupted, OperationError, ToolMissingError, UsageError

ENV_VAR = "DSAAS_TERRAFORM"
# The CLI's --terraform help promises this order: OpenTofu first when both are installed.
SEARCH_ORDER = ("tofu", "terraform")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STDERR = object()  # sentinel: "the sys.stderr of the moment" (pytest swaps it)


class TerraformError(OperationError):
    """Terraform ran and failed; carries its diagnostics (stderr) for callers that explain them."""

    def __init__(self, argv: list[str], returncode: int, diagnostics: str, cwd: Path):
        self.argv = argv
        self.returncode = returncode
        self.diagnostics = diagnostics
        self.cwd = cwd
        super().__init__(self.lines()[0])

    def plain_lines(self) -> list[str]:
        """Terraform's stderr without colour escapes and without its diagnostic box drawing."""
        text = _ANSI.sub("", self.diagnostics)
        out = []
        for line in text.splitlines():
            line = line.strip().lstrip("│╷╵").strip()
            if line:
                out.append(line)
        return out

    def summaries(self) -> list[str]:
        """Terraform's one-line diagnostic headlines ("Error: ..."), in order; each with the first
        line of its detail when there is one (the headline alone is often too terse to act on)."""
        lines = self.plain_lines()
        out = []
        for i, line in enumerate(lines):
            if line.startswith("Error:"):
                detail = next((d for d in lines[i + 1:i + 2] if not d.startswith(("Error:", "on ", "with "))), "")
                out.append(f"{line} {detail}".strip() if detail else line)
        return out

    def lines(self) -> list[str]:
        name = f"{Path(self.argv[0]).name} {self.argv[1] if len(self.argv) > 1 else ''}".strip()
        summaries = self.summaries()
        if not summaries:
            summaries = self.plain_lines()[-1:] or ["(no diagnostics on stderr)"]
        head = f"{name} failed (exit {self.returncode}) in {self.cwd}: {summaries[0]}"
        return [head, *(f"  {s}" for s in dict.fromkeys(summaries[1:]))]


@dataclass(frozen=True)
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_executable(origin: str, candidate: str, env: Mapping[str, str]) -> str:
    """A tool the user named (a path, or a name on PATH); a bad name is a usage error (exit 2)."""
    if os.sep in candidate:
        if _executable(candidate):
            return candidate
        raise UsageError(f"{origin}={candidate}: not an executable file")
    found = shutil.which(candidate, path=env.get("PATH"))
    if found:
        return found
    raise UsageError(f"{origin}={candidate}: no executable of that name on PATH")


def find_terraform(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """--terraform, then $DSAAS_TERRAFORM (a name or a path: a bad one is a UsageError), then
    tofu or terraform on PATH (ToolMissingError when neither is there)."""
    env = os.environ if env is None else env
    for origin, candidate in (("--terraform", explicit), (ENV_VAR, env.get(ENV_VAR))):
        if candidate:
            return find_executable(origin, candidate, env)
    for name in SEARCH_ORDER:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    raise ToolMissingError(
        "no terraform or tofu binary on PATH (install one, or use --terraform PATH / set DSAAS_TERRAFORM)"
    )


def _pump(source: TextIO, sinks: list[TextIO], keep: list[str] | None) -> None:
    for line in source:
        for sink in sinks:
            sink.write(line)
            sink.flush()
        if keep is not None:
            keep.append(line)


def run_terraform(
    binary: str,
    args: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
    echo: TextIO | None = None,
    echo_stderr: object = _STDERR,
) -> Result:
    """Run ``binary args`` in ``cwd``; stream stdout to ``echo`` and stderr to our stderr.

    Terraform runs in its own process group so that a terminal's Ctrl-C reaches only us: we
    forward exactly one SIGINT, which Terraform treats as "stop gracefully and release the
    state lock" (a second one, which it would get from the terminal as well, means "abort
    now"). A second Ctrl-C is forwarded too, so the user can still force it. SIGTERM (a CI
    job being cancelled) is forwarded the same way. After an interrupt, whatever Terraform's
    exit status, we raise ``Interrupted`` (exit 130).
    """
    argv = [binary, *args]
    full_env = dict(os.environ if env is None else env)
    # No prompts and no "now run terraform apply" hints meant for humans typing commands.
    full_env.setdefault("TF_IN_AUTOMATION", "1")
    full_env["TF_INPUT"] = "0"
    err_sink = sys.stderr if echo_stderr is _STDERR else echo_stderr
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1, start_new_session=True,
        )
    except OSError as e:
        raise ToolMissingError(f"cannot run {binary}: {e.strerror or e}") from e

    interrupts: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        interrupts.append(signum)
        if len(interrupts) == 1:
            sys.stderr.write(
                "\ndsaas-infra: interrupt received: asking Terraform to stop gracefully and release "
                "the state lock (press Ctrl-C again to abort it)\n"
            )
        try:
            proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, forward)
    out_lines: list[str] = []
    err_lines: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, [echo] if echo else [], out_lines if capture else None)),
        threading.Thread(target=_pump, args=(proc.stderr, [err_sink] if err_sink else [], err_lines)),
    ]
    try:
        for t in pumps:
            t.start()
        returncode = proc.wait()
        for t in pumps:
            t.join()
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    if interrupts:
        raise Interrupted(
            f"interrupted: {Path(binary).name} {args[0]} stopped (exit {returncode}) after being asked "
            "to release the state lock"
        )
    result = Result(argv, returncode, "".join(out_lines), "".join(err_lines))
    if returncode != 0:
        raise TerraformError(argv, returncode, result.stderr, Path(cwd))
    return result
