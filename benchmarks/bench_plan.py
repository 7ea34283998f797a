"""Benchmark: plan and apply for a 1,000-transaction policy, through the same functions the CLI
runs (`plan_policy`, `apply_plan`), against the emulator's saas-2026 profile (rate limits
40 req/s and 25 concurrent per endpoint).

Run: .venv/bin/python benchmarks/bench_plan.py   (or `make bench` for every benchmark)
Targets (issue 4):
- apply 1,000 creates with the CLI's default parallelism (8): within 1.3x of the rate limit's
  floor (1,000 / 40 req/s = 25 s), zero failures;
- a no-change plan afterwards: list pages plus a handful of lookups (at most 40 requests here),
  never one request per alert, and zero changes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentry_alerts.apply import DEFAULT_PARALLELISM, apply_plan  # noqa: E402
from sentry_alerts.emulator import ALERTS_TOKEN, run_emulator  # noqa: E402
from sentry_alerts.plan import plan_policy  # noqa: E402
from sentry_alerts.render.text import render_plan  # noqa: E402

ALERTS = 1_000
RATE = 40
MAX_PLAN_REQUESTS = 40


def policy_text(n: int) -> str:
    head = """\
version: 1
name: bench-plan
organization: acme
defaults:
  project: backend
  environment: production
  owner: team:backend
  name: "{transaction} latency"
  notify:
    - slack: "#ops-alerts"
transactions:
"""
    body = "".join(f"  - transaction: GET /api/r{i}\n"
                   f"    sla: {{p95: 500ms}}\n"
                   f"    alert: {{critical: 750ms, warning: 600ms}}\n" for i in range(n))
    return head + body


def main() -> int:
    rows: list[tuple[str, str, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp, run_emulator(profile="saas-2026") as emu:
        path = Path(tmp) / "bench.yaml"
        path.write_text(policy_text(ALERTS))

        def plan():
            return plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme")

        started = time.monotonic()
        first = plan()
        plan_empty = time.monotonic() - started
        rows.append((f"plan {ALERTS} creates (empty org)", f"{plan_empty:.2f} s", "-", True))

        started = time.monotonic()
        text = render_plan(first.plan)
        render = time.monotonic() - started
        rows.append((f"render that plan as text ({len(text.splitlines())} lines)",
                     f"{render:.3f} s", "-", True))

        emu.request_log.clear()
        started = time.monotonic()
        result = apply_plan(first.plan, first.connection.backend,
                            parallelism=DEFAULT_PARALLELISM)
        elapsed = time.monotonic() - started
        floor = ALERTS / RATE
        failed = len(result.failed)
        refused = sum(1 for _, _, status in emu.calls() if status == 429)
        ok = failed == 0 and result.count("created") == ALERTS and elapsed <= 1.3 * floor
        rows.append((f"apply {ALERTS} creates (parallelism {DEFAULT_PARALLELISM})",
                     f"{elapsed:.1f} s ({elapsed / floor:.2f}x the {floor:.0f} s floor; "
                     f"{failed} failed, {refused} answered 429)",
                     f"<= {1.3 * floor:.1f} s, 0 failed", ok))

        emu.request_log.clear()
        started = time.monotonic()
        again = plan()
        elapsed = time.monotonic() - started
        requests = len(emu.calls())
        summary = again.plan.summary()
        ok = requests <= MAX_PLAN_REQUESTS and not again.plan.has_changes \
            and summary["unchanged"] == ALERTS
        rows.append((f"no-change plan, {ALERTS} alerts",
                     f"{requests} requests, {elapsed:.2f} s, {summary['unchanged']} unchanged",
                     f"<= {MAX_PLAN_REQUESTS} requests, 0 changes", ok))

    print("| benchmark | result | target | ok |")
    print("|---|---|---|---|")
    for name, value, target, ok in rows:
        print(f"| {name} | {value} | {target} | {'ok' if ok else 'MISSED'} |")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
