"""Benchmark: how fast `sentry-alerts --help` and every subcommand's `--help` answer.

Run: .venv/bin/python benchmarks/bench_startup.py   (or `make bench` for every benchmark)
Targets (issue 11): `sentry-alerts --help` under 0.15 s, every subcommand's `--help` under 0.2 s
(the median of the runs, whole process, as a person types it). Each row also shows the ratio to
`python -c pass` measured in the same run, so a slow or busy machine can be told apart from a
slow start-up.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 15
TOP_TARGET = 0.15
SUBCOMMAND_TARGET = 0.2
SUBCOMMANDS = ("validate", "schema", "emulator", "demo", "plan", "apply", "guide",
               "monitoring-plan", "sample-service", "loadtest", "loadtest run", "import", "drift")


def cli() -> list[str]:
    """The installed console script (what people run), else `python -m sentry_alerts`."""
    script = Path(sys.executable).with_name("sentry-alerts")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentry_alerts"]


def timed(argv: list[str], rounds: int = ROUNDS) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
    return times


def main() -> int:
    baseline = timed([sys.executable, "-c", "pass"])
    base = statistics.median(baseline)
    rows = [("`python -c pass` (baseline)", None, baseline),
            ("`sentry-alerts --help`", TOP_TARGET, timed([*cli(), "--help"]))]
    rows += [(f"`sentry-alerts {name} --help`", SUBCOMMAND_TARGET,
              timed([*cli(), *name.split(), "--help"])) for name in SUBCOMMANDS]

    print(f"## CLI start-up (python {sys.version.split()[0]}, best and median of {ROUNDS} runs; "
          "ratio = median / the baseline's median)\n")
    print("| command | target (median) | best | median | ratio to baseline | result |")
    print("|---|---|---|---|---|---|")
    failed = False
    for name, target, times in rows:
        best, median = min(times), statistics.median(times)
        verdict = "-" if target is None else ("ok" if median < target else "SLOW")
        failed |= verdict == "SLOW"
        target_text = "-" if target is None else f"< {target:g} s"
        print(f"| {name} | {target_text} | {best:.3f} s | {median:.3f} s | "
              f"{median / base:.1f}x | {verdict} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
