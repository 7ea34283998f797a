"""Benchmark: validating a 5,000-transaction policy.

Run: .venv/bin/python benchmarks/bench_validate.py   (or `make bench` for every benchmark)
Targets (issue 2): validate 5,000 transactions < 1 s. The CLI's start-up (`--help`) is
measured in bench_startup.py.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TRANSACTIONS = 5_000
ROUNDS = 5


def big_policy(n: int = TRANSACTIONS) -> str:
    lines = [
        "version: 1",
        "name: big",
        "defaults:",
        "  project: backend",
        "  environment: production",
        "  window: 5m",
        "  notify:",
        '    - slack: "#ops-alerts"',
        "transactions:",
    ]
    for i in range(n):
        lines += [
            f"  - transaction: GET /api/v1/resource-{i}/items",
            "    sla: {p95: 500ms}",
            "    alert: {critical: 750ms, warning: 600ms}",
        ]
        if i % 10 == 0:
            lines.append(f"    runbook: https://wiki.example.com/runbooks/{i}")
    return "\n".join(lines) + "\n"


def cli() -> list[str]:
    script = Path(sys.executable).with_name("sentry-alerts")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentry_alerts"]


def timed(fn: Callable[[], object], rounds: int = ROUNDS) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run_cli(*args: str, expect: int = 0) -> None:
    done = subprocess.run([*cli(), *args], capture_output=True, text=True, check=False)
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}")


def main() -> int:
    from sentry_alerts.policy.loader import check_bytes

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(big_policy())
        raw = path.read_bytes()
        result = check_bytes(raw, str(path))
        assert result.policy is not None and len(result.policy.specs) == TRANSACTIONS, result.errors[:3]

        rows = [
            (f"validate {TRANSACTIONS:,} transactions, in process ({len(raw) / 1e6:.2f} MB)", 1.0,
             timed(lambda: check_bytes(raw, str(path)))),
            (f"`sentry-alerts validate` {TRANSACTIONS:,} transactions (whole command)", None,
             timed(lambda: run_cli("validate", str(path)))),
        ]

    print(f"## validate (python {sys.version.split()[0]}, best and median of {ROUNDS} runs)\n")
    print("| benchmark | target | best | median | result |")
    print("|---|---|---|---|---|")
    failed = False
    for name, target, times in rows:
        best, median = min(times), statistics.median(times)
        verdict = "-" if target is None else ("ok" if median < target else "SLOW")
        failed |= verdict == "SLOW"
        target_text = "-" if target is None else f"< {target:g} s"
        print(f"| {name} | {target_text} | {best:.3f} s | {median:.3f} s | {verdict} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
