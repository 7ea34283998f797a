"""Workflow conditions are checked against their handler's comparison schema, as Sentry's
BaseDataConditionValidator does (sentry_alerts/emulator/conditions.py cites the sources).

The first client sent `issue_priority_deescalating` with `"comparison": true` (the API docs'
stale example); Sentry refuses that with 400, so every workflow create failed on sentry.io.
"""

from __future__ import annotations

import pytest
import requests
from test_emulator_monitors import ORG, workflow

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.sentry.monitors_bodies import workflow_body

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PRIORITIES = "[<PriorityLevel.LOW: 25>, <PriorityLevel.MEDIUM: 50>, <PriorityLevel.HIGH: 75>]"


def filters(*conditions):
    return [{"logicType": "any-short", "conditions": list(conditions), "actions": []}]


@pytest.mark.parametrize(("condition", "message"), [
    ({"type": "issue_priority_deescalating", "comparison": True, "conditionResult": True},
     "True is not of type 'integer'"),
    ({"type": "issue_priority_greater_or_equal", "comparison": "high", "conditionResult": True},
     "'high' is not of type 'integer'"),
    ({"type": "issue_priority_greater_or_equal", "comparison": 60, "conditionResult": True},
     f"60 is not one of {PRIORITIES}"),
    ({"type": "eq", "comparison": {"a": 1}, "conditionResult": True},
     "Invalid json primitive value: {'a': 1}. Must be a string, number, or boolean."),
])
def test_a_comparison_outside_the_handlers_schema_is_refused(emulator, condition, message):
    resp = requests.post(f"{emulator.url}{ORG}/workflows/", headers=AUTH, timeout=5,
                         json=workflow([], actionFilters=filters(condition)))
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"actionFilters": {"conditions": [{"comparison": [message]}]}}


@pytest.mark.parametrize("value", [25, 50, 75, 50.0])
def test_priority_levels_are_accepted(emulator, value):
    condition = {"type": "issue_priority_deescalating", "comparison": value,
                 "conditionResult": True}
    resp = requests.post(f"{emulator.url}{ORG}/workflows/", headers=AUTH, timeout=5,
                         json=workflow([], actionFilters=filters(condition)))
    assert resp.status_code == 201, resp.text


def test_the_clients_workflow_passes_and_deescalates_at_medium(emulator):
    body = workflow_body("p", (), directory=None)  # no targets: nothing to look up
    [action_filter] = body["actionFilters"]
    assert {c["type"]: c["comparison"] for c in action_filter["conditions"]} == {
        "issue_priority_greater_or_equal": 50, "issue_priority_deescalating": 50}
    resp = requests.post(f"{emulator.url}{ORG}/workflows/", headers=AUTH, timeout=5, json=body)
    assert resp.status_code == 201, resp.text
