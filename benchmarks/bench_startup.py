"""Benchmark: how fast `sentry-alerts --help` and every subcommand's `--help` answer, as
ratios to `python -c pass` measured in the same run (interleaved), so that a slow or busy
machine is told apart from a slow start-up.

Run: .venv/bin/python benchmarks/bench_startup.py   (or `make bench` for every benchmark)
Targets (issue 11): `sentry-alerts --help` under 0.15 s, every subcommand's `--help` under
0.2 s, on this machine, whose `python -c pass` takes 0.03 s when it is quiet (measure.py): as
ratios to the baseline measured in the same run, `--help` within 5x and a subcommand's within
6.7x (the medians of the runs, whole process, as a person types it).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    QUIET_BASELINE_SECONDS,
    Row,
    cli,
    expect,
    machine,
    median,
    run,
    table,
    warm_up,
)

ROUNDS = 15
TOP_RATIO = 0.15 / QUIET_BASELINE_SECONDS
SUBCOMMAND_RATIO = 0.2 / QUIET_BASELINE_SECONDS
SUBCOMMANDS = ("validate", "schema", "emulator", "demo", "plan", "apply", "guide",
               "monitoring-plan", "sample-service", "loadtest", "loadtest run", "import", "drift")


def main() -> int:
    commands = [("`python -c pass` (the baseline)", None, [sys.executable, "-c", "pass"]),
                ("`sentry-alerts --help`", TOP_RATIO, [*cli(), "--help"])]
    commands += [(f"`sentry-alerts {name} --help`", SUBCOMMAND_RATIO,
                  [*cli(), *name.split(), "--help"]) for name in SUBCOMMANDS]
    for _, _, argv in commands:
        warm_up(argv)
    walls: list[list[float]] = [[] for _ in commands]
    for _ in range(ROUNDS):  # interleaved: a burst of load hits every command alike
        for i, (_, _, argv) in enumerate(commands):
            walls[i].append(expect(run(argv), argv).wall)
    base = median(walls[0])
    rows: list[Row] = []
    for (name, target, _), times in zip(commands, walls, strict=True):
        ratio = median(times) / base
        result = f"{ratio:.1f}x ({median(times):.3f} s; best {min(times):.3f} s)"
        rows.append((name, result, "-" if target is None else f"<= {target:.1f}x",
                     None if target is None else ratio <= target))
    print(f"## CLI start-up ({machine()}; medians of {ROUNDS} interleaved runs; ratios to "
          "`python -c pass` in the same run)\n")
    return table(rows)


if __name__ == "__main__":
    sys.exit(main())
