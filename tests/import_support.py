"""Helpers (no tests) for the import and drift tests: alerts made the way Sentry's UI makes
them, and the CLI run as a person runs it.

`UI` sends what Sentry's web forms send (admin session, no ownership marker): monitors and their
alerts (workflows) through the monitors API, legacy metric alert rules through the legacy one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN

SLACK_ID = "C0OPS00001"
TEAM_SRE, USER_BOB = "12", "102"


class UI:
    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.base = emu.url + "/api/0/organizations/acme"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"

    def post(self, path: str, body: dict) -> dict:
        r = self.session.post(self.base + path, json=body, timeout=10)
        assert r.status_code in (200, 201), (r.status_code, r.text)
        return r.json()

    # -- Monitors & Alerts --

    def monitor(self, name: str, transaction: str, *, critical: float,
                warning: float | None = None, resolve: float | None = None,
                statistic: str = "p95", window_s: int = 300, owner: str | None = "team:11",
                query: str | None = None, aggregate: str | None = None,
                description: str = "", config: dict | None = None) -> str:
        conditions = [{"type": "gt", "comparison": critical, "conditionResult": 75}]
        if warning is not None:
            conditions.append({"type": "gt", "comparison": warning, "conditionResult": 50})
        if resolve is not None:  # the UI's "Custom" resolve
            conditions.append({"type": "lt", "comparison": resolve, "conditionResult": 0})
        else:  # "Default": below the lowest threshold
            conditions.append({"type": "lte", "comparison": warning or critical,
                               "conditionResult": 0})
        body = {
            "name": name, "type": "metric_issue", "description": description, "owner": owner,
            "dataSources": [{
                "queryType": 1, "dataset": "events_analytics_platform",
                "aggregate": aggregate or f"{statistic}(span.duration)",
                "query": query or f'is_transaction:true transaction:"{transaction}"',
                "timeWindow": window_s, "environment": "production",
                "eventTypes": ["trace_item_span"]}],
            "conditionGroup": {"logicType": "any", "conditions": conditions},
            "config": config or {"detectionType": "static"},
        }
        return str(self.post("/projects/backend/detectors/", body)["id"])

    def workflow(self, name: str, monitors: list[str], actions: list[dict]) -> str:
        """An Alert as the UI's form makes it: "A new issue is created"-style triggers left to
        the priority filter, throttled to once per 30 minutes."""
        return str(self.post("/workflows/", {
            "name": name, "enabled": True, "environment": None, "config": {"frequency": 30},
            "triggers": {"logicType": "any-short", "conditions": []},
            "actionFilters": [{"logicType": "any-short", "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": 50,
                 "conditionResult": True}], "actions": actions}],
            "detectorIds": [int(m) for m in monitors]})["id"])

    @staticmethod
    def slack() -> dict:
        return {"type": "slack", "integrationId": "31", "data": {}, "status": "active",
                "config": {"targetType": "specific", "targetDisplay": "#ops-alerts"}}

    @staticmethod
    def email(kind: str, ident: str) -> dict:
        return {"type": "email", "data": {}, "status": "active",
                "config": {"targetType": kind, "targetIdentifier": ident}}

    # -- legacy Alerts --

    def rule(self, name: str, transaction: str, triggers: list[tuple[str, float, list[dict]]],
             *, statistic: str = "p95", window: int = 5, owner: str | None = "team:11",
             **extra: Any) -> str:
        body = {
            "name": name, "projects": ["backend"], "environment": "production",
            "dataset": "events_analytics_platform", "queryType": 1,
            "eventTypes": ["trace_item_span"], "aggregate": f"{statistic}(span.duration)",
            "query": f'is_transaction:true transaction:"{transaction}"', "timeWindow": window,
            "thresholdType": 0, "owner": owner,
            "triggers": [{"label": label, "alertThreshold": value, "actions": actions}
                         for label, value, actions in triggers], **extra}
        return str(self.post("/alert-rules/", body)["id"])

    @staticmethod
    def rule_slack() -> dict:
        # The form's "optional: channel ID" filled in: no background lookup.
        return {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
                "inputChannelId": SLACK_ID, "integrationId": 31}

    @staticmethod
    def rule_email(kind: str, ident: str) -> dict:
        return {"type": "email", "targetType": kind, "targetIdentifier": ident}


def cli(emu: Any, *args: Any, token: str = ALERTS_TOKEN, env: dict | None = None):
    # A developer's own SENTRY_ALERTS_DSN must not receive the tests' drift reports.
    environment = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme",
                   "NO_COLOR": "1", "SENTRY_ALERTS_DSN": None, **(env or {})}
    return CliRunner().invoke(app, [str(a) for a in args], env=environment)


def stored_ids(emu: Any) -> dict[str, list[int]]:
    """Every monitor, alert rule and alert (workflow) id Sentry holds."""
    with emu.lock:
        org = emu.state.org("acme")
        return {"detector": sorted(org.detectors), "alert_rule": sorted(org.alert_rules),
                "workflow": sorted(org.workflows)}


def adopt_round_trip(emu: Any, policy: Path, *flags: str) -> dict:
    """validate --strict → plan --adopt shows only adoption → apply --adopt → plan shows nothing,
    with no alert created or deleted. Returns the adoption plan (JSON)."""
    checked = cli(emu, "validate", "--strict", policy)
    assert checked.exit_code == 0, checked.output
    planned = cli(emu, "plan", policy, "--adopt", "--detailed-exitcode", "--format", "json",
                  *flags)
    assert planned.exit_code == 2, planned.output
    plan = json.loads(planned.stdout)
    summary = plan["summary"]
    assert summary["create"] == summary["delete"] == summary["conflict"] == 0, summary
    for change in plan["changes"]:
        assert change["action"] in ("update", "unchanged"), change
        # Only the ownership marker (the description) is written: no field changes.
        assert {f["field"] for f in change["fields"]} <= {"description"}, change
        if change["live"]["marker"] is None:
            assert "adopts the existing alert" in change["note"], change
    before = stored_ids(emu)
    applied = cli(emu, "apply", policy, "--adopt", "--auto-approve", *flags)
    assert applied.exit_code == 0, applied.output
    again = cli(emu, "plan", policy, "--detailed-exitcode", *flags)
    assert again.exit_code == 0, again.output
    after = stored_ids(emu)
    assert after["detector"] == before["detector"]  # updated in place, ids kept
    assert after["alert_rule"] == before["alert_rule"]
    return plan
