"""The emulator's legacy alert-rules API answers bad requests with Sentry's exact status and body
(../shared/reference/sentry-api-notes.md §1.6, §2.3, §2.4, §2.6, §3.2). Table-driven; every case
goes through a real socket and also checks that nothing was stored."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import requests

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.emulator.alert_rules import TRANSACTIONS_DISABLED
from sentry_alerts.emulator.alert_rules_validation import DATASETS

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
RULES = "/api/0/organizations/acme/alert-rules/"


def valid_rule() -> dict[str, Any]:
    return {
        "name": "p95 latency > 750ms: GET /api/x", "projects": ["backend"],
        "environment": "production", "dataset": "events_analytics_platform", "queryType": 1,
        "eventTypes": ["trace_item_span"], "aggregate": "p95(span.duration)",
        "query": 'is_transaction:true transaction:"GET /api/x"', "timeWindow": 5,
        "thresholdType": 0, "resolveThreshold": None, "owner": "team:11",
        "triggers": [{"label": "critical", "alertThreshold": 750, "actions": [
            {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
             "inputChannelId": "C0OPS00001", "integrationId": 31}]}],
    }


def action(**changes: Any) -> Callable[[dict], None]:
    def apply(rule: dict) -> None:
        rule["triggers"][0]["actions"][0].update(changes)
        for key in [k for k, v in changes.items() if v is ...]:
            del rule["triggers"][0]["actions"][0][key]
    return apply


def fields(**changes: Any) -> Callable[[dict], None]:
    """Set top-level fields; `...` deletes the field."""
    def apply(rule: dict) -> None:
        for key, value in changes.items():
            if value is ...:
                rule.pop(key, None)
            else:
                rule[key] = value
    return apply


def warning(threshold: float, label: str = "warning") -> Callable[[dict], None]:
    def apply(rule: dict) -> None:
        second = copy.deepcopy(rule["triggers"][0])
        second.update(label=label, alertThreshold=threshold)
        rule["triggers"].append(second)
    return apply


def trigger(**changes: Any) -> Callable[[dict], None]:
    def apply(rule: dict) -> None:
        for key, value in changes.items():
            if value is ...:
                rule["triggers"][0].pop(key, None)
            else:
                rule["triggers"][0][key] = value
    return apply


def nfe(message: str) -> dict:
    return {"nonFieldErrors": [message]}


EAP_EVENT_TYPES = "['trace_item_span', 'transaction']"

# (case id, profile, change to the valid rule, expected status, expected body)
CASES: list[tuple[str, str, Callable[[dict], None], int, Any]] = [
    ("name-missing", "self-hosted-26.7", fields(name=...), 400,
     {"name": ["This field is required."]}),
    ("name-null", "self-hosted-26.7", fields(name=None), 400,
     {"name": ["This field may not be null."]}),
    ("name-blank", "self-hosted-26.7", fields(name=""), 400,
     {"name": ["This field may not be blank."]}),
    ("name-257", "self-hosted-26.7", fields(name="x" * 257), 400,
     {"name": ["Ensure this field has no more than 256 characters."]}),
    ("triggers-missing", "self-hosted-26.7", fields(triggers=...), 400,
     {"triggers": ["This field is required."]}),
    ("two-field-errors", "self-hosted-26.7", fields(name=..., aggregate=...), 400,
     {"name": ["This field is required."], "aggregate": ["This field is required."]}),
    ("window-0", "self-hosted-26.7", fields(timeWindow=0), 400,
     {"timeWindow": ["Ensure this value is greater than or equal to 1."]}),
    ("window-1441", "self-hosted-26.7", fields(timeWindow=1441), 400,
     {"timeWindow": ["Ensure this value is less than or equal to 1440."]}),
    ("window-text", "self-hosted-26.7", fields(timeWindow="soon"), 400,
     {"timeWindow": ["A valid integer is required."]}),
    ("threshold-type-3", "self-hosted-26.7", fields(thresholdType=3), 400,
     {"thresholdType": ["Invalid threshold type, valid values are [0, 1, 2]"]}),
    ("threshold-type-text", "self-hosted-26.7", fields(thresholdType="a"), 400,
     {"thresholdType": ["A valid integer is required."]}),
    ("project-unknown", "self-hosted-26.7", fields(projects=["nope"]), 400,
     {"projects": ["Invalid project"]}),
    ("two-projects", "self-hosted-26.7", fields(projects=["backend", "frontend"]), 400,
     {"projects": ["Ensure this field has no more than 1 elements."]}),
    ("environment-unknown", "self-hosted-26.7", fields(environment="qa"), 400,
     {"environment": ["Environment is not part of this organization"]}),
    ("camel-snake-collision", "self-hosted-26.7", fields(time_window=5), 400,
     {"timeWindow": "timeWindow collides with time_window, please pass only one value"}),
    ("dataset-unknown", "self-hosted-26.7", fields(dataset="nope"), 400,
     {"dataset": [f"Invalid dataset, valid values are {DATASETS}"]}),
    ("transactions-2026", "self-hosted-26.7",
     fields(dataset="transactions", aggregate="p95(transaction.duration)", eventTypes=...), 400,
     [TRANSACTIONS_DISABLED]),
    ("generic-metrics-2026", "saas-2026-05",
     fields(dataset="generic_metrics", aggregate="p95(transaction.duration)", eventTypes=...),
     400, [TRANSACTIONS_DISABLED]),
    ("transactions-needs-metrics", "self-hosted-25",
     fields(dataset="transactions", aggregate="p95(transaction.duration)", eventTypes=...), 400,
     {"dataset": ["Performance alerts must use the `generic_metrics` dataset"]}),
    ("extrapolation-create", "self-hosted-26.7", fields(extrapolationMode="server_weighted"), 400,
     ["server_weighted extrapolation mode is not supported for new alerts. Allowed modes are: "
      "client_and_server_weighted, unknown."]),
    ("query-type-mismatch", "self-hosted-26.7", fields(queryType=0), 400,
     nfe("Invalid dataset for this query type. Valid datasets are ['events']")),
    ("eap-two-event-types", "self-hosted-26.7",
     fields(eventTypes=["trace_item_span", "transaction"]), 400,
     nfe(f"Multiple event types not allowed. Valid event types are {EAP_EVENT_TYPES}")),
    ("eap-event-type-error", "self-hosted-26.7", fields(eventTypes=["error"]), 400,
     nfe(f"Invalid event types for this dataset. Valid event types are {EAP_EVENT_TYPES}")),
    ("event-type-unknown", "self-hosted-26.7", fields(eventTypes=["span"]), 400,
     {"eventTypes": ["Invalid event_type, valid values are ['error', 'default', 'transaction', "
                     "'trace_item_span', 'trace_item_log']"]}),
    ("aggregate-unsupported", "self-hosted-26.7", fields(aggregate="p95(foo.bar)"), 400,
     {"aggregate": ["Invalid Metric: We do not currently support this field."]}),
    ("aggregate-not-function", "self-hosted-26.7", fields(aggregate="p95"), 400,
     {"aggregate": ["Invalid Metric: Please pass a valid function for aggregation"]}),
    ("aggregate-upsampled", "self-hosted-26.7", fields(aggregate="upsampled_count()"), 400,
     {"aggregate": ["upsampled_count() is not allowed as user input. Use count() instead - it "
                    "will be automatically converted to upsampled_count() when appropriate."]}),
    ("query-release-latest", "self-hosted-26.7", fields(query="release:latest"), 400,
     {"query": ["Unsupported Query: We do not currently support the release:latest query"]}),
    ("eap-window-1", "self-hosted-26.7", fields(timeWindow=1), 400,
     nfe("Invalid Time Window: Time window for this alert type must be at least 5 minutes.")),
    ("no-triggers", "self-hosted-26.7", fields(triggers=[]), 400,
     nfe("Must include at least one trigger")),
    ("three-triggers", "self-hosted-26.7",
     lambda r: (warning(500)(r), warning(400)(r)), 400,
     nfe("Must send 1 or 2 triggers - A critical trigger, and an optional warning trigger")),
    ("trigger-no-actions", "self-hosted-26.7", trigger(actions=[]), 400,
     nfe("Each trigger must have an associated action for this alert to fire.")),
    ("first-not-critical", "self-hosted-26.7", trigger(label="warning"), 400,
     nfe('Trigger 1 must be labeled "critical"')),
    ("second-not-warning", "self-hosted-26.7", warning(500, label="critical"), 400,
     nfe('Trigger 2 must be labeled "warning"')),
    ("no-alert-threshold", "self-hosted-26.7", trigger(alertThreshold=...), 400,
     nfe("Trigger must have an alertThreshold")),
    ("resolve-above-alert", "self-hosted-26.7", fields(resolveThreshold=800), 400,
     nfe("critical alert threshold must be above resolution threshold")),
    ("resolve-below-float", "self-hosted-26.7",
     lambda r: (fields(thresholdType=1, resolveThreshold=50.5)(r),
                trigger(alertThreshold=100.5)(r)), 400,
     nfe("critical alert threshold must be below resolution threshold")),
    ("warning-above-critical", "self-hosted-26.7", warning(900), 400,
     nfe("Critical trigger must have an alert threshold above warning trigger")),
    ("warning-below-critical", "self-hosted-26.7",
     lambda r: (fields(thresholdType=1)(r), warning(100)(r)), 400,
     nfe("Critical trigger must have an alert threshold below warning trigger")),
    ("comparison-above-and-below", "self-hosted-26.7",
     fields(comparisonDelta=60, thresholdType=2), 400,
     nfe("Invalid threshold type: Allowed types for comparison alerts are above OR below")),
    ("owner-unparseable", "self-hosted-26.7", fields(owner="squad:1"), 400,
     {"owner": ["Could not parse actor. Format should be `type:id` where type is `team` or "
                "`user`."]}),
    ("owner-team-unknown", "self-hosted-26.7", fields(owner="team:999"), 400,
     {"owner": ["Team does not exist"]}),
    ("owner-user-unknown", "self-hosted-26.7", fields(owner="user:999"), 400,
     {"owner": ["User is not a member of this organization"]}),
    ("target-missing", "self-hosted-26.7", action(targetIdentifier=""), 400,
     ["One or more of your actions is missing a target identifier."]),
    ("action-fields-together", "self-hosted-26.7", action(type=...), 400,
     nfe("type, targetType and targetIdentifier must be passed together")),
    ("action-type-unknown", "self-hosted-26.7", action(type="pigeon"), 400,
     {"type": ["Invalid type, valid values are ['email', 'pagerduty', 'slack', 'msteams', "
               "'sentry_app', 'opsgenie', 'discord']"]}),
    ("target-type-unknown", "self-hosted-26.7", action(targetType="channel"), 400,
     {"targetType": ["Invalid targetType, valid values are [user, team, specific, sentry_app]"]}),
    ("slack-target-type", "self-hosted-26.7", action(targetType="user"), 400,
     {"targetType": "Invalid target type for slack. Valid types are [specific]"}),
    ("slack-no-integration", "self-hosted-26.7", action(integrationId=...), 400,
     {"integration": "Integration must be provided for slack"}),
    ("slack-priority", "self-hosted-26.7", action(priority="critical"), 400,
     {"priority": "Can only be set for Pagerduty or Opsgenie"}),
    ("slack-channel-id-unknown", "self-hosted-26.7", action(inputChannelId="C999999999"), 400,
     nfe("Channel not found. Invalid ID provided.")),
    ("slack-private-not-invited", "self-hosted-26.7", action(inputChannelId="C0PRIVATE1"), 400,
     nfe("Channel not found. Invalid ID provided.")),
    ("slack-user-id-unknown", "self-hosted-26.7", action(inputChannelId="U0NOBODY01"), 400,
     nfe("User not found. Invalid ID provided.")),
    ("sentry-notification", "self-hosted-26.7",
     action(type="sentry_notification", integrationId=..., inputChannelId=...), 400,
     ["Selected notification service is exempt from alert rules"]),
    ("email-team-unknown", "self-hosted-26.7",
     action(type="email", targetType="team", targetIdentifier="999", integrationId=...,
            inputChannelId=...), 400, nfe("Team does not exist")),
    ("body-is-list", "self-hosted-26.7", None, 400,
     nfe("Invalid data. Expected a dictionary, but got list.")),
]


@pytest.mark.parametrize(("profile", "change", "status", "body"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_create_gets_sentrys_status_and_body(emulator_factory, profile, change, status, body):
    emu = emulator_factory(profile=profile)
    payload: Any = valid_rule()
    if change is None:
        payload = [payload]
    else:
        change(payload)
    resp = requests.post(emu.url + RULES, json=payload, headers=AUTH, timeout=5)
    assert (resp.status_code, resp.json()) == (status, body)
    assert emu.state.org("acme").alert_rules == {}


def test_the_valid_rule_itself_is_accepted(emulator_factory):
    """Guards the table: every case differs from a rule that passes."""
    for profile in ("self-hosted-26.7", "self-hosted-25", "saas-2026-05"):
        emu = emulator_factory(profile=profile)
        resp = requests.post(emu.url + RULES, json=valid_rule(), headers=AUTH, timeout=5)
        assert resp.status_code == 201, resp.text


def test_there_are_at_least_30_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 30


def test_malformed_json_is_a_parse_error(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7")
    resp = requests.post(emu.url + RULES, data=b"{not json", headers={
        **AUTH, "Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("JSON parse error - ")


def _create(emu) -> dict:
    resp = requests.post(emu.url + RULES, json=valid_rule(), headers=AUTH, timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


PUT_CASES = [
    ("put-extrapolation", {"extrapolationMode": "server_weighted"}, 400,
     ["Invalid extrapolation mode for this alert type."]),
    ("put-last-action-removed",
     {"triggers": [{"label": "critical", "alertThreshold": 750, "actions": []}]}, 400,
     nfe("Each trigger must have an associated action for this alert to fire.")),
    ("put-name-blank", {"name": ""}, 400, {"name": ["This field may not be blank."]}),
]


@pytest.mark.parametrize(("change", "status", "body"), [c[1:] for c in PUT_CASES],
                         ids=[c[0] for c in PUT_CASES])
def test_bad_update_gets_sentrys_status_and_body(emulator_factory, change, status, body):
    emu = emulator_factory(profile="self-hosted-26.7")
    rule = _create(emu)
    payload = valid_rule()
    payload.update(change)
    resp = requests.put(f"{emu.url}{RULES}{rule['id']}/", json=payload, headers=AUTH, timeout=5)
    assert (resp.status_code, resp.json()) == (status, body)
    stored = requests.get(f"{emu.url}{RULES}{rule['id']}/", headers=AUTH, timeout=5).json()
    assert stored["name"] == rule["name"] and stored["triggers"] == rule["triggers"]
