"""Benchmark: `sentry-alerts validate` of 5,000 and 50,000 transactions, as ratios to
`python -c pass` measured in the same run (the machine's speed and load cancel out).

Run: .venv/bin/python benchmarks/bench_validate.py   (or `make bench` for every benchmark)
Targets (issue 11):
- `sentry-alerts validate` of 5,000 transactions, the whole command as a user runs it: within
  15x `python -c pass` (medians of interleaved runs);
- 50,000 transactions in one file (about 6 MB, within the default size limit): validated, under
  300 MB peak memory (the command's own max RSS), read as a ratio to `python -c pass`'s peak in
  the same run (measure.py: 300 MB over this machine's 11 MB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    QUIET_BASELINE_MB,
    Row,
    cli,
    expect,
    machine,
    median,
    run,
    table,
    warm_up,
)

TRANSACTIONS = 5_000
LARGE = 50_000
ROUNDS = 9
MAX_RATIO = 15
MAX_PEAK_MB = 300


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


def in_process(raw: bytes, name: str) -> float:
    """check_bytes alone (no start-up): the median of ROUNDS, each result dropped before the
    next (as a command ends with it)."""
    from sentry_alerts.policy.loader import check_bytes

    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = check_bytes(raw, name)
        times.append(time.perf_counter() - start)
        assert result.policy is not None and len(result.policy.specs) == TRANSACTIONS
        del result
    return median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(big_policy())
        small = Path(folder) / "one.yaml"
        small.write_text(big_policy(1))
        large = Path(folder) / "large.yaml"
        large.write_text(big_policy(LARGE))
        raw = path.read_bytes()

        baseline_cmd = [sys.executable, "-c", "pass"]
        validate_cmd = [*cli(), "validate", str(path)]
        small_cmd = [*cli(), "validate", str(small)]
        warm_up(validate_cmd)
        # Interleaved, so that a burst of load on the shared machine hits all of them alike.
        baseline, validate, one = [], [], []
        for _ in range(ROUNDS):
            baseline.append(expect(run(baseline_cmd), baseline_cmd))
            validate.append(expect(run(validate_cmd), validate_cmd))
            one.append(expect(run(small_cmd), small_cmd))
        base = median([m.wall for m in baseline])
        whole = median([m.wall for m in validate])
        startup = median([m.wall for m in one])
        inside = in_process(raw, str(path))
        large_cmd = [*cli(), "validate", str(large)]
        large_run = expect(run(large_cmd), large_cmd)
        large_ok = f"ok: checked 1 file, {LARGE} transactions" in large_run.output
        large_mb = large.stat().st_size / 1e6

    print(f"## validate ({machine()}; medians of {ROUNDS} interleaved runs; ratios to "
          "`python -c pass` in the same run)\n")
    ratio = whole / base
    base_peak = median([m.peak_mb for m in baseline])
    max_peak = MAX_PEAK_MB / QUIET_BASELINE_MB
    rows: list[Row] = [
        ("`python -c pass` (the baseline)",
         f"{base:.3f} s; CPU {median([m.cpu for m in baseline]):.3f} s; "
         f"peak {max(m.peak_mb for m in baseline):.0f} MB", "-", None),
        (f"`sentry-alerts validate` {TRANSACTIONS:,} transactions, whole command "
         f"({len(raw) / 1e6:.2f} MB)",
         f"{ratio:.1f}x ({whole:.3f} s; CPU {median([m.cpu for m in validate]):.3f} s; "
         f"peak {max(m.peak_mb for m in validate):.0f} MB)",
         f"<= {MAX_RATIO}x", ratio <= MAX_RATIO),
        ("  of which starting up (`validate` of 1 transaction)",
         f"{startup / base:.1f}x ({startup:.3f} s)", "-", None),
        (f"  of which checking {TRANSACTIONS:,} (in process, `check_bytes`)",
         f"{inside / base:.1f}x ({inside:.3f} s)", "-", None),
        (f"`sentry-alerts validate` {LARGE:,} transactions in one file ({large_mb:.1f} MB, "
         "within the default size limit)",
         f"peak {large_run.peak_mb / base_peak:.0f}x the baseline's ({large_run.peak_mb:.0f} MB); "
         f"{large_run.wall / base:.0f}x ({large_run.wall:.2f} s)"
         f"{'' if large_ok else '; NOT VALIDATED'}",
         f"<= {max_peak:.0f}x ({MAX_PEAK_MB} MB)",
         large_ok and large_run.peak_mb / base_peak <= max_peak),
    ]
    return table(rows)


if __name__ == "__main__":
    sys.exit(main())
