"""Shared by the benchmarks: CPU time of a command's whole process tree and its wall time, medians of
paired runs, and a line describing the machine they ran on. Not a test: numbers, never assertions."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "dsaas_infra"]


def bench_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell gives: bytecode files written and used (an installed package has
    them; PYTHONDONTWRITEBYTECODE would recompile every module on every run), checkpoint calls off."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(CHECKPOINT_DISABLE="1", PYTHONPATH=str(REPO), **extra)
    return env


def measure(cmd: list[str], env: dict[str, str] | None = None, before: Callable[[], None] | None = None,
            ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user+sys of the command and every process it waited for)."""
    if before is not None:
        before()
    start_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env or bench_env(), cwd=REPO, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    end_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return wall, (end_usage.ru_utime - start_usage.ru_utime) + (end_usage.ru_stime - start_usage.ru_stime)


def paired(runs: int, cases: dict[str, tuple[list[str], dict]], warm_up: bool = True) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) per case; each round runs every case once, the order rotating between rounds so
    that background load on a shared machine hits all cases alike. ``cases``: label -> (command,
    keyword arguments of ``measure``)."""
    if warm_up:  # bytecode and template caches, the HCL grammar cache: what a user's second run has
        for cmd, kwargs in cases.values():
            measure(cmd, **kwargs)
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    labels = list(cases)
    for i in range(runs):
        for label in labels[i % len(labels):] + labels[:i % len(labels)]:
            cmd, kwargs = cases[label]
            samples[label].append(measure(cmd, **kwargs))
    return {label: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
            for label, s in samples.items()}


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cores} core(s) available, {model}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average at start {load}")


def table(rows: dict[str, tuple[float, float]], note: dict[str, str] | None = None) -> str:
    note = note or {}
    width = max(len(k) for k in rows) + 2
    lines = [f"{'':<{width}}{'CPU s':>8}{'wall s':>9}  "]
    for label, (wall, cpu) in rows.items():
        lines.append(f"{label:<{width}}{cpu:>8.3f}{wall:>9.3f}  {note.get(label, '')}")
    return "\n".join(lines)
