"""Both backends' parse keeps what the policy can express; what it leaves out of an alert is
listed in `Alert.extra["unmodelled"]` (read by `sentry-alerts import`, which must never drop it
silently), and only when there is something, so ordinary alerts' plans are as before."""

from __future__ import annotations

import requests
from backend_support import fast_connect, spec

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.model import SlackTarget
from sentry_alerts.sentry.monitors_bodies import detector_body

ORG = "/api/0/organizations/acme"
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SLACK = {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
         "inputChannelId": "C0OPS00001", "integrationId": 31}
TEAM = {"type": "email", "targetType": "team", "targetIdentifier": "12"}


def legacy_rule(emu, name: str, triggers: list[dict], **extra) -> None:
    body = {"name": name, "projects": ["backend"], "dataset": "events_analytics_platform",
            "queryType": 1, "eventTypes": ["trace_item_span"], "aggregate": "p95(span.duration)",
            "query": 'is_transaction:true transaction:"GET /x"', "timeWindow": 5,
            "thresholdType": 0, "triggers": triggers, **extra}
    r = requests.post(emu.url + f"{ORG}/alert-rules/", json=body, headers=HEADERS, timeout=5)
    assert r.status_code == 201, r.text


def test_legacy_rules_say_what_the_policy_cannot_express(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25")
    legacy_rule(emu, "plain", [{"label": "critical", "alertThreshold": 900, "actions": [SLACK]}])
    legacy_rule(emu, "below", [{"label": "critical", "alertThreshold": 10, "actions": [SLACK]}],
                thresholdType=1, thresholdPeriod=3)
    legacy_rule(emu, "percent", [{"label": "critical", "alertThreshold": 50, "actions": [SLACK]}],
                comparisonDelta=60)
    legacy_rule(emu, "split", [{"label": "critical", "alertThreshold": 900, "actions": [SLACK]},
                               {"label": "warning", "alertThreshold": 700, "actions": [TEAM]}])
    alerts = {a.name: a for a in fast_connect(emu).backend.list_alerts().alerts}
    assert "unmodelled" not in alerts["plain"].extra
    assert alerts["below"].extra["unmodelled"] == [
        "it fires when the value is below its thresholds",
        "it fires only after 3 consecutive periods above the threshold"]
    assert alerts["percent"].extra["unmodelled"] == [
        "percent-change detection (compared with 1 hour earlier)"]
    assert alerts["split"].extra["unmodelled"] == [
        "its warning notifies other targets than its critical"]


def test_monitors_say_what_the_policy_cannot_express(emulator):
    backend = fast_connect(emulator).backend
    base = detector_body(backend.materialize(spec("x", targets=[]), "spans"), [],
                         backend.directory)

    def monitor(name: str, **changes) -> str:
        body = {**base, "name": name, "description": "", **changes}
        r = requests.post(emulator.url + f"{ORG}/projects/backend/detectors/", json=body,
                          headers=HEADERS, timeout=5)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    plain = monitor("plain")
    monitor("percent", config={"detectionType": "percent", "comparisonDelta": 3600})
    monitor("below", conditionGroup={"logicType": "any", "conditions": [
        {"type": "lt", "comparison": 10, "conditionResult": 75},
        {"type": "gte", "comparison": 10, "conditionResult": 0}]})
    requests.post(emulator.url + f"{ORG}/workflows/", headers=HEADERS, timeout=5, json={
        "name": "Page and tell ops", "detectorIds": [int(plain)], "actionFilters": [
            {"logicType": "any-short", "conditions": [], "actions": [
                {"type": "pagerduty", "integrationId": "77", "config": {}},
                {"type": "slack", "integrationId": "31",
                 "config": {"targetType": "specific", "targetDisplay": "#ops-alerts"}}]}]})
    alerts = {a.name: a for a in backend.list_alerts().alerts}
    assert alerts["plain"].targets == (SlackTarget("#ops-alerts", "C0OPS00001", "Acme"),)
    assert alerts["plain"].extra["unmodelled"] == ["a PagerDuty action"]
    assert "replaced_workflows" not in alerts["plain"].extra  # kept on adoption: not ours
    assert alerts["percent"].extra["unmodelled"] == [
        "percent-change detection (compared with 1 hour earlier)"]
    assert alerts["below"].extra["unmodelled"] == ["it fires when the value is below 10"]
