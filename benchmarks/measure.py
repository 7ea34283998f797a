"""What the benchmark scripts share: run a command the way a user runs it, measure that process
alone, and print a table whose figures are read against a baseline measured in the same run.

`run` starts the command from a small launcher process, which waits for it with os.wait4 and
reports the command's own wall time, CPU (user + system) and peak memory (max RSS): a process
forked from the benchmark itself (which may hold an emulator with 10,000 alerts) would carry
the benchmark's memory into its peak. The command's environment is a user's: Python's bytecode
cache on (PYTHONDONTWRITEBYTECODE, set in some containers, removed) and output buffered
(PYTHONUNBUFFERED removed); `warm_up` runs a command once so the cache is written.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Row = tuple[str, str, str, "bool | None"]  # benchmark, result, target, met (None: no target)

# `python -c pass` on this machine (2-core CI container) when it is quiet. The targets
# given in seconds or MB become ratios to the baseline measured in the same run through these:
# 2 s of CPU is 2 / 0.03 = 67x the baseline's CPU, 300 MB is 300 / 11 = 27x its peak. A busy
# machine slows the baseline too, so the verdict reads the code, not the load.
QUIET_BASELINE_SECONDS = 0.03
QUIET_BASELINE_MB = 11.0
BASELINE = [sys.executable, "-c", "pass"]


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    cpu: float  # seconds, user + system, of the command's process (its threads included)
    peak_mb: float  # its maximum resident set size, MiB
    returncode: int
    output: str  # stdout and stderr


def cli() -> list[str]:
    """The installed console script (what people run), else `python -m sentry_alerts`."""
    script = Path(sys.executable).with_name("sentry-alerts")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentry_alerts"]


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    env.update(extra or {})
    return env


_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"wall": time.perf_counter() - started, "status": status,
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""


def run(command: Sequence[str], *, env: Mapping[str, str] | None = None) -> Measured:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "usage.json"
        done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(report), *command],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=environment(env), check=False)
        usage = json.loads(report.read_text())
    return Measured(usage["wall"], usage["cpu"], usage["maxrss_kb"] / 1024,
                    os.waitstatus_to_exitcode(usage["status"]),
                    done.stdout.decode("utf-8", "replace"))


def expect(measured: Measured, command: Sequence[str], code: int = 0) -> Measured:
    if measured.returncode != code:
        raise SystemExit(f"{' '.join(command)} exited {measured.returncode} (expected {code}):\n"
                         f"{measured.output[-2000:]}")
    return measured


def warm_up(command: Sequence[str], *, env: Mapping[str, str] | None = None) -> None:
    run(command, env=env)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    """One line about where the figures come from."""
    cores = os.cpu_count()
    try:
        load = f", load average {os.getloadavg()[0]:.1f}"
    except OSError:
        load = ""
    return (f"python {platform.python_version()}, {cores} cores ({platform.machine()}"
            f"{', ' + _cpu_model() if _cpu_model() else ''}){load}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def table(rows: Sequence[Row]) -> int:
    """Print `| benchmark | result | target | ok |`; 1 when a target was missed."""
    print("| benchmark | result | target | ok |")
    print("|---|---|---|---|")
    for name, value, target, ok in rows:
        verdict = "-" if ok is None else ("ok" if ok else "MISSED")
        print(f"| {name} | {value} | {target} | {verdict} |", flush=True)
    return 0 if all(ok is not False for *_, ok in rows) else 1


__all__ = ["BASELINE", "QUIET_BASELINE_MB", "QUIET_BASELINE_SECONDS", "Measured", "Row", "cli",
           "environment", "expect", "machine", "median", "run", "table", "warm_up"]
