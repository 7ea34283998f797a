"""Helpers for the Sentry client and backend tests: connect to an emulator with fast timings,
and specs to materialise."""

from __future__ import annotations

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.model import AlertSpec, EmailTarget, SlackTarget
from sentry_alerts.sentry.connect import Connection, connect


def fast_connect(emu, *, backend: str = "auto", token: str = ADMIN_TOKEN, org: str = "acme",
                 **options) -> Connection:
    """connect() with short polling, settling and retry waits so tests stay fast."""
    options.setdefault("poll_interval", 0.02)
    options.setdefault("uncertain_settle", 0.05)
    options.setdefault("retry_budget", 15.0)
    options.setdefault("task_deadline", 5.0)
    conn = connect(url=emu.url, token=token, org=org, backend=backend, **options)
    conn.client.backoff_base = 0.02
    conn.client.backoff_max = 0.2
    return conn


def spec(key: str = "checkout", *, critical: float = 750, warning: float | None = 500,
         resolve: float | None = None, targets=None, owner: str | None = "team:backend",
         transaction: str | None = None, dataset: str = "auto", policy: str = "critical-endpoints",
         window: int = 5, environment: str | None = "production") -> AlertSpec:
    tx = transaction or f"POST /api/{key}"
    return AlertSpec(
        policy=policy, key=key, name=f"p95 {tx} > {critical:g}ms", project="backend",
        transaction=tx, statistic="p95", window_minutes=window, critical_ms=critical,
        warning_ms=warning, resolve_ms=resolve, environment=environment,
        targets=tuple(targets) if targets is not None else (
            SlackTarget("ops-alerts"), EmailTarget("team", "sre"),
            EmailTarget("user", "Alice@acme.example")),
        owner=owner, dataset=dataset,  # type: ignore[arg-type]
    )


def differences(desired, live) -> dict:
    d, lv = desired.compared(), live.compared()
    return {k: (d[k], lv[k]) for k in d if d[k] != lv[k]}
