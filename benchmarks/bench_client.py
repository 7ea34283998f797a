"""Benchmark: the Sentry client and monitors backend against the emulator (saas-2026 profile,
rate limits 40 req/s and 25 concurrent per endpoint).

Run: .venv/bin/python benchmarks/bench_client.py   (or `make bench` for every benchmark)
Targets (issue 4):
- 1,000 creates under the SaaS rate limit: wall time within 1.3x of the limit's floor
  (1,000 / 40 req/s = 25 s), with zero failures.
- A no-change plan for 1,000 alerts (connect, list, lookups, materialise all): list pages plus a
  handful of lookups, never one request per alert.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentry_alerts.emulator import ADMIN_TOKEN, run_emulator  # noqa: E402
from sentry_alerts.model import AlertSpec, EmailTarget, SlackTarget  # noqa: E402
from sentry_alerts.sentry.connect import connect  # noqa: E402

ALERTS = 1_000
RATE = 40  # requests per second per endpoint (saas-2026 profile, notes §1.5)
PARALLEL = 25


def specs(n: int) -> list[AlertSpec]:
    targets = (SlackTarget("#ops-alerts"), EmailTarget("team", "sre"))
    return [AlertSpec(policy="bench", key=f"k{i}", name=f"p95 GET /api/r{i} > 750ms",
                      project="backend", transaction=f"GET /api/r{i}", statistic="p95",
                      window_minutes=5, critical_ms=750, warning_ms=600,
                      environment="production", targets=targets, owner="team:backend")
            for i in range(n)]


def main() -> int:
    rows: list[tuple[str, str, str, bool]] = []
    with run_emulator(profile="saas-2026") as emu:
        conn = connect(url=emu.url, token=ADMIN_TOKEN, org="acme")
        backend = conn.backend
        backend.list_alerts()
        desired = [backend.materialize(s, "spans") for s in specs(ALERTS)]
        emu.request_log.clear()
        started = time.monotonic()
        failures = 0
        with ThreadPoolExecutor(PARALLEL) as pool:
            for future in [pool.submit(backend.create, d) for d in desired]:
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - counted and reported
                    failures += 1
        elapsed = time.monotonic() - started
        floor = ALERTS / RATE
        refused = sum(1 for _, _, status in emu.calls() if status == 429)
        ok = failures == 0 and elapsed <= 1.3 * floor
        rows.append((f"apply {ALERTS} creates (saas-2026, {PARALLEL} threads)",
                     f"{elapsed:.1f} s ({elapsed / floor:.2f}x the {floor:.0f} s floor; "
                     f"{failures} failed, {refused} answered 429)",
                     f"<= {1.3 * floor:.1f} s, 0 failed", ok))

        # A no-change plan: a fresh connection lists and materialises everything again.
        emu.request_log.clear()
        started = time.monotonic()
        fresh = connect(url=emu.url, token=ADMIN_TOKEN, org="acme")
        listing = fresh.backend.list_alerts()
        again = [fresh.backend.materialize(s, "spans") for s in specs(ALERTS)]
        elapsed = time.monotonic() - started
        live = {a.marker.key: a for a in listing.alerts if a.marker}
        changed = sum(1 for d in again if d.compared() != live[d.marker.key].compared())
        requests_sent = len(emu.calls())
        pages = len(emu.calls("GET", "/detectors/")) + len(emu.calls("GET", "/workflows/"))
        ok = changed == 0 and requests_sent <= pages + 10 and listing.complete
        rows.append((f"no-change plan, {ALERTS} alerts",
                     f"{requests_sent} requests ({pages} list pages), {elapsed:.2f} s, "
                     f"{changed} false changes", "list pages + <= 10 lookups, 0 changes", ok))

    print("| benchmark | result | target | met |")
    print("|---|---|---|---|")
    for name, result, target, met in rows:
        print(f"| {name} | {result} | {target} | {'yes' if met else 'NO'} |")
    return 0 if all(met for *_, met in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
