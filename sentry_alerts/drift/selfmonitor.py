"""The drift job reports on itself to Sentry, with sentry-sdk, when a DSN is given.

- A Sentry Crons check-in per run: `in_progress` when it starts, then `ok` (the check ran,
  whether or not it found drift) or `error` (it could not tell), with its duration. Each
  check-in carries `monitor_config`, so the cron monitor is created or updated (upserted) with
  the schedule: a drift job that silently stops running is then itself alerted on (missed).
- Drift found: one event per run, warning level, with the changed alerts in the `drift`
  context; its fingerprint is the org and the policy, so every run's drift of one policy forms
  one issue.
- A crash (a bug of ours, not a refused request) is captured with the command's context.
- Nothing is sent that still holds a secret: `before_send` and `before_breadcrumb` scrub every
  event, check-in and breadcrumb by value (scrub.py); local variables are never attached.

This is the only module that imports sentry_sdk, and only when a DSN is given: without one the
SDK is never loaded, so nothing leaves the machine. The DSN is ours (`--monitor-dsn` /
SENTRY_ALERTS_DSN), never SENTRY_DSN, which belongs to the user's application; the SDK reads
no other SENTRY_* variable either (release, environment and debug are passed explicitly).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from sentry_alerts import __version__
from sentry_alerts.drift.scrub import Scrubber
from sentry_alerts.errors import SentryAlertsError

DEFAULT_SCHEDULE = "0 * * * *"  # hourly; set --monitor-schedule to the job's real schedule
_CRONTAB = re.compile(r"^\s*(\S+\s+){4}\S+\s*$")
_CRON_FIELD = re.compile(r"^[0-9*/,A-Za-z-]+$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*(m|min|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)"
                       r"\s*$")
_UNITS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
_SLUG = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class MonitorSettings:
    dsn: str
    slug: str
    schedule: dict[str, Any]
    # Minutes Sentry waits for a late check-in, and lets one run before it counts as failed.
    checkin_margin: int = 10
    max_runtime: int = 30

    def monitor_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "checkin_margin": self.checkin_margin,
                "max_runtime": self.max_runtime, "failure_issue_threshold": 1,
                "recovery_threshold": 1, "timezone": "UTC"}


def parse_schedule(text: str) -> dict[str, Any]:
    """A crontab line (`*/30 * * * *`) or an interval (`30m`, `1h`, `1d`, `1w`), as Sentry's
    monitor_config schedule."""
    interval = _INTERVAL.match(text.lower())
    if interval:
        value, unit = int(interval.group(1)), _UNITS[interval.group(2)[0]]
        if value >= 1:
            return {"type": "interval", "value": value, "unit": unit}
    if _CRONTAB.match(text) and all(_CRON_FIELD.match(f) for f in text.split()):
        return {"type": "crontab", "value": " ".join(text.split())}
    raise SentryAlertsError(
        f"--monitor-schedule {text!r} is neither a crontab line (five fields, e.g. "
        "'*/30 * * * *') nor an interval (e.g. 30m, 1h, 1d); give the schedule the drift job "
        "runs on, so Sentry can tell when a run is missed.")


def monitor_settings(dsn: str | None, slug: str | None, schedule: str | None,
                     policy_path: str) -> MonitorSettings | None:
    """None without a DSN (the SDK is then never loaded). The default slug is
    `sentry-alerts-drift-<policy file name>`: known before the policy is read, so a run that
    cannot read it still checks in to the same monitor."""
    if not dsn or not dsn.strip():
        return None
    stem = policy_path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    chosen = slug or f"sentry-alerts-drift-{stem}"
    cleaned = _SLUG.sub("-", chosen.lower()).strip("-")[:50]
    if not cleaned:
        raise SentryAlertsError(f"--monitor-slug {chosen!r} has no letters or digits; use e.g. "
                                "sentry-alerts-drift-checkout.")
    return MonitorSettings(dsn.strip(), cleaned, parse_schedule(schedule or DEFAULT_SCHEDULE))


@dataclass
class SelfMonitor:
    """One run's reporting. `start` inits the SDK and sends `in_progress`; `finish` sends the
    last check-in, flushes and closes the SDK again (so a test process is left as it was)."""

    settings: MonitorSettings
    scrubber: Scrubber
    context: dict[str, Any] = field(default_factory=dict)
    check_in_id: str | None = None
    started: float = 0.0

    @classmethod
    def start(cls, settings: MonitorSettings, scrubber: Scrubber,
              context: dict[str, Any]) -> SelfMonitor:
        import sentry_sdk
        from sentry_sdk.crons import capture_checkin
        from sentry_sdk.utils import BadDsn

        def before_send(event: Any, hint: Any) -> Any:
            return scrubber(event)  # check-ins go through here too: returned, never dropped

        def before_breadcrumb(crumb: Any, hint: Any) -> Any:
            return scrubber(crumb)

        try:
            sentry_sdk.init(
                dsn=settings.dsn, release=f"sentry-alerts@{__version__}",
                environment="production", debug=False, before_send=before_send,
                before_breadcrumb=before_breadcrumb, include_local_variables=False,
                auto_enabling_integrations=False,  # (no PII: the default)
                auto_session_tracking=False, send_client_reports=False, max_breadcrumbs=50,
                traces_sample_rate=None)
        except BadDsn as exc:
            raise SentryAlertsError(
                f"--monitor-dsn is not a Sentry DSN ({scrubber.text(str(exc))}); copy it from "
                "the Sentry project the drift job reports to (Settings → Client Keys).") from None
        monitor = cls(settings, scrubber, dict(context), started=time.monotonic())
        sentry_sdk.get_isolation_scope().set_context("command", monitor.context)
        monitor.check_in_id = capture_checkin(
            monitor_slug=settings.slug, status="in_progress",
            monitor_config=settings.monitor_config())  # type: ignore[arg-type]
        return monitor

    def drifted(self, plan: Any) -> None:
        """One event for this run's drift, grouped by org and policy."""
        import sentry_sdk

        from sentry_alerts.render.text import summary_line

        changes = [c for c in plan.changes if c.action in ("create", "update", "delete",
                                                            "conflict")]
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["sentry-alerts-drift", plan.org, plan.policy_name]
            scope.level = "warning"
            scope.set_tag("policy", plan.policy_name)
            scope.set_tag("org", plan.org)
            scope.set_tag("backend", plan.backend)
            scope.set_context("drift", {
                "policy": plan.policy_name, "policy_file": plan.policy_path, "org": plan.org,
                "url": plan.url, "backend": plan.backend, "summary": plan.summary(),
                "changes": [change_data(c) for c in changes]})
            sentry_sdk.capture_message(
                f"Sentry alerts drifted from policy {plan.policy_name} in {plan.org}: "
                + ", ".join(f"{c.action} {c.key}" for c in changes[:10])
                + (f" and {len(changes) - 10} more" if len(changes) > 10 else "")
                + f" ({summary_line(plan)})")

    def crashed(self, exc: BaseException) -> None:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)

    def finish(self, ok: bool) -> None:
        import sentry_sdk
        from sentry_sdk.crons import capture_checkin

        try:
            capture_checkin(monitor_slug=self.settings.slug, check_in_id=self.check_in_id,
                            status="ok" if ok else "error",
                            duration=time.monotonic() - self.started,
                            monitor_config=self.settings.monitor_config())  # type: ignore[arg-type]
        finally:
            client = sentry_sdk.get_client()
            client.close(timeout=5.0)  # sends what is queued, then stops the transport
            sentry_sdk.get_global_scope().set_client(None)


def change_data(change: Any) -> dict[str, Any]:
    from sentry_alerts.diff import FIELD_LABELS

    return {"action": change.action, "key": change.key, "name": change.name,
            "id": change.remote_id,
            "fields": [f"{FIELD_LABELS.get(f.field, f.field)}: {f.old} → {f.new}"
                       for f in change.fields],
            "note": change.note}


__all__ = ["DEFAULT_SCHEDULE", "MonitorSettings", "SelfMonitor", "monitor_settings",
           "parse_schedule"]
