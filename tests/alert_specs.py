"""Hand-built alert specs for the pure plan and render tests (no tests here)."""

from __future__ import annotations

from sentry_alerts.model import AlertSpec, SlackTarget


def alert_spec(**fields) -> AlertSpec:
    """An AlertSpec with the unit tests' usual values: project backend, p95 over 5 minutes in
    production, notifying #ops-alerts, owned by team:backend. `fields` gives the rest (policy,
    key, name, transaction, critical_ms) and overrides any of these."""
    values = dict(project="backend", statistic="p95", window_minutes=5, environment="production",
                  targets=(SlackTarget("#ops-alerts"),), owner="team:backend")
    values.update(fields)
    return AlertSpec(**values)
