"""Read an organization's live alerts for import, through the backends (no second parser).

The chosen backend lists its alerts as neutral `Alert`s (`list_alerts`), exactly as `plan`
sees them. When that is the monitors API and the server still serves the legacy one too
(self-hosted 26.x; sentry.io before 2026-09), the legacy rules are read as well: Sentry's
migration keeps a rule beside the monitor it made from it, and the two are ONE alert, imported
once (through the monitor). A rule no monitor stands for cannot be adopted through the monitors
API (a second alert would be created), so it is reported, not imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Alert, transaction_filter


@dataclass(frozen=True)
class LiveAlert:
    """A live alert, with what a person needs to find it in Sentry."""

    alert: Alert
    kind: str  # "monitor" | "alert rule"
    url: str

    @property
    def where(self) -> str:
        return f"{self.kind} {self.alert.remote_id}"


@dataclass
class Reading:
    org: str
    ui_url: str  # base of the links to Sentry's UI
    backend: str
    backend_reason: str
    alerts: list[LiveAlert]
    # Legacy rules no monitor stands for, when monitors were read on a server with both APIs.
    legacy_only: list[LiveAlert] = field(default_factory=list)
    migrated: int = 0  # legacy rules that are the same alert as a monitor (imported once)


def ui_base(url: str) -> str:
    """`https://sentry.io/` or `…/api/0` -> the base of Sentry's web pages."""
    base = url.strip().rstrip("/")
    return base[: -len("/api/0")] if base.endswith("/api/0") else base


def alert_url(base: str, org: str, kind: str, remote_id: str | None) -> str:
    """The alert's page: a monitor's details, or a legacy metric alert rule's."""
    if kind == "monitor":
        return f"{base}/organizations/{org}/monitors/{remote_id}/"
    return f"{base}/organizations/{org}/alerts/rules/details/{remote_id}/"


def read_org(connection: Any, projects: Sequence[str] | None, ui_url: str) -> Reading:
    """Every alert of the connection's backend in these projects (None: every project the
    token can access)."""
    backend = connection.backend
    kind = "monitor" if backend.name == "monitors" else "alert rule"
    listing = backend.list_alerts(list(projects) if projects else None)
    _require_complete(listing)
    alerts = [LiveAlert(a, kind, alert_url(ui_url, connection.org, kind, a.remote_id))
              for a in listing.alerts]
    reading = Reading(connection.org, ui_url, backend.name, connection.backend_reason, alerts)
    if backend.name == "monitors":
        rules = _legacy_rules(connection, projects)
        rule_ids = {str(a.alert.extra.get("alert_rule_id")) for a in alerts
                    if a.alert.extra.get("alert_rule_id") is not None}
        same = {_signature(a.alert) for a in alerts}
        for rule in rules:
            if rule.remote_id in rule_ids or _signature(rule) in same:
                reading.migrated += 1
            else:
                reading.legacy_only.append(LiveAlert(rule, "alert rule", alert_url(
                    ui_url, connection.org, "alert rule", rule.remote_id)))
    return reading


def _legacy_rules(connection: Any, projects: Sequence[str] | None) -> list[Alert]:
    """Every legacy rule, parsed by the legacy backend; asked on purpose, so Sentry's
    deprecation headers on that API are no warning here (`deprecation_ok`)."""
    from sentry_alerts.sentry.alert_rules import AlertRulesBackend
    from sentry_alerts.sentry.backend import LiveListing
    from sentry_alerts.sentry.common import collect_pages, project_scope

    legacy = AlertRulesBackend(connection.client, connection.org,
                               directory=connection.directory)
    try:
        rules, complete, problems = collect_pages(connection.client.paginate(
            f"/api/0/organizations/{connection.org}/alert-rules/",
            project_scope(connection.directory, list(projects) if projects else None),
            bucket="alert_rules.list", deprecation_ok=True,
            what=f"the legacy alert rules of {connection.org}"), "the list of legacy alert rules")
    except SentryAPIError as exc:
        if exc.status in (404, 410):  # this server no longer serves the legacy API
            return []
        raise
    _require_complete(LiveListing([], complete, problems))
    return [legacy.parse(rule) for rule in rules if isinstance(rule, dict)]


def _signature(alert: Alert) -> tuple[Any, ...]:
    """What a legacy rule and the monitor Sentry migrated from it share, for servers whose
    monitors do not name their rule (`alertRuleId` is deprecated)."""
    query = transaction_filter(alert.query) or " ".join(alert.query.split())
    return (alert.name.strip(), alert.project, alert.aggregate, query, alert.critical_ms)


def _require_complete(listing: Any) -> None:
    if not listing.complete:
        raise SentryAlertsError(
            f"the list of live alerts was incomplete ({'; '.join(listing.problems)}), so "
            "nothing was imported: a policy written from part of the alerts would miss some. "
            "Run import again.")


__all__ = ["LiveAlert", "Reading", "alert_url", "read_org", "ui_base"]
