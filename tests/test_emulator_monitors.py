"""The emulator's monitors (/detectors/) and alerts (/workflows/) API, over real sockets.

Sources of every expected status and body: docs/emulator-monitors.md.
"""

from __future__ import annotations

import copy
import time

import pytest
import requests

from sentry_alerts.emulator import ADMIN_TOKEN, READ_ONLY_TOKEN, run_emulator
from sentry_alerts.emulator.detector_validation import (
    TRANSACTION_CREATE_MESSAGE,
    TRANSACTION_UPDATE_MESSAGE,
)
from sentry_alerts.emulator.monitors_fields import ACTOR_FORMAT

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORG = "/api/0/organizations/acme"

DETECTOR = {
    "name": "p95 latency > 750ms: GET /api/x",
    "type": "metric_issue",
    "dataSources": [{
        "queryType": 1, "dataset": "events_analytics_platform",
        "aggregate": "p95(span.duration)", "query": 'is_transaction:true transaction:"GET /api/x"',
        "timeWindow": 300, "environment": "production", "eventTypes": ["trace_item_span"],
    }],
    "conditionGroup": {"logicType": "any", "conditions": [
        {"type": "gt", "comparison": 750, "conditionResult": 75},
        {"type": "lte", "comparison": 750, "conditionResult": 0},
    ]},
    "config": {"detectionType": "static"},
    "owner": "team:11",
    "description": "p95 of GET /api/x",
}


def slack_action(**config):
    return {"type": "slack", "integrationId": "31", "data": {}, "status": "active",
            "config": {"targetType": "specific", **config}}


def workflow(detector_ids, **overrides):
    body = {
        "name": "Notify #ops-alerts",
        "enabled": True,
        "detectorIds": detector_ids,
        "environment": "production",
        "config": {"frequency": 0},
        "triggers": {"logicType": "any-short", "conditions": []},
        "actionFilters": [{
            "logicType": "any",
            "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": 75,
                 "conditionResult": True},
                {"type": "issue_priority_deescalating", "comparison": 75,
                 "conditionResult": True},
            ],
            "actions": [slack_action(targetDisplay="#ops-alerts")],
        }],
    }
    body.update(overrides)
    return body


def with_changes(base, **changes):
    body = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def source(**changes):
    return [{**DETECTOR["dataSources"][0], **changes}]


def conditions(*items, logic="any"):
    return {"logicType": logic, "conditions": list(items)}


GT = {"type": "gt", "comparison": 750, "conditionResult": 75}
LTE = {"type": "lte", "comparison": 750, "conditionResult": 0}


@pytest.fixture
def emu(emulator_factory):
    """An emulator without rate limits (tests here send bursts)."""
    return emulator_factory(rate_limits=None)


@pytest.fixture(scope="module")
def shared_emu():
    with run_emulator(rate_limits=None) as emu:
        yield emu


def create_detector(emu, body=DETECTOR, project="backend"):
    resp = requests.post(f"{emu.url}{ORG}/projects/{project}/detectors/", json=body,
                         headers=AUTH, timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


# --- happy paths ---

def test_create_get_update_delete_detector(emu):
    created = create_detector(emu)
    assert created["type"] == "metric_issue" and created["projectId"] == "21"
    assert created["owner"] == {"type": "team", "id": "11", "name": "backend"}
    assert created["createdBy"] == "101"
    query = created["dataSources"][0]["queryObj"]["snubaQuery"]
    assert query["timeWindow"] == 300 and query["aggregate"] == "p95(span.duration)"
    assert [(c["type"], c["comparison"], c["conditionResult"])
            for c in created["conditionGroup"]["conditions"]] == [("gt", 750.0, 75),
                                                                 ("lte", 750.0, 0)]
    assert created["workflowIds"] == [] and created["enabled"] is True
    url = f"{emu.url}{ORG}/detectors/{created['id']}/"

    got = requests.get(url, headers=AUTH, timeout=5)
    assert got.status_code == 200 and got.json() == created

    # PUT is partial: only the name and the window change; ids of kept conditions stay.
    cond_ids = [c["id"] for c in created["conditionGroup"]["conditions"]]
    resp = requests.put(url, json={"name": "renamed", "dataSources": [{"timeWindow": 900}]},
                        headers=AUTH, timeout=5)
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["name"] == "renamed"
    assert updated["dataSources"][0]["queryObj"]["snubaQuery"]["timeWindow"] == 900
    assert updated["dataSources"][0]["id"] == created["dataSources"][0]["id"]
    assert updated["dataSources"][0]["queryObj"]["snubaQuery"]["aggregate"] == "p95(span.duration)"
    assert [c["id"] for c in updated["conditionGroup"]["conditions"]] == cond_ids
    assert updated["owner"] == created["owner"]

    # Conditions sent without ids are new; the old ones are removed.
    resp = requests.put(url, json={"conditionGroup": conditions(
        {**GT, "comparison": 900}, {**LTE, "comparison": 900})}, headers=AUTH, timeout=5)
    new_conditions = resp.json()["conditionGroup"]["conditions"]
    assert [c["comparison"] for c in new_conditions] == [900.0, 900.0]
    assert not {c["id"] for c in new_conditions} & set(cond_ids)

    deleted = requests.delete(url, headers=AUTH, timeout=5)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = requests.get(url, headers=AUTH, timeout=5)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "The requested resource does not exist"}


def test_enabled_is_ignored_on_create_and_applied_on_update(emu):
    created = create_detector(emu, with_changes(DETECTOR, enabled=False))
    assert created["enabled"] is True  # BDV.create does not pass `enabled` on
    resp = requests.put(f"{emu.url}{ORG}/detectors/{created['id']}/", json={"enabled": False},
                        headers=AUTH, timeout=5)
    assert resp.json()["enabled"] is False


def test_dynamic_monitor_needs_no_resolve_condition(emu):
    body = with_changes(DETECTOR, config={"detectionType": "dynamic"}, conditionGroup=conditions(
        {"type": "anomaly_detection", "conditionResult": 75, "comparison": {
            "sensitivity": "medium", "seasonality": "auto", "thresholdType": 2}}))
    created = create_detector(emu, body)
    assert created["conditionGroup"]["conditions"][0]["comparison"] == {
        "sensitivity": "medium", "seasonality": "auto", "thresholdType": 2}
    assert created["config"] == {"detectionType": "dynamic"}


def test_snake_case_input_is_accepted(emu):
    body = {"name": "snake", "type": "metric_issue",
            "data_sources": [{"query_type": 1, "dataset": "events_analytics_platform",
                              "aggregate": "p95(span.duration)", "query": "",
                              "time_window": 600, "environment": None,
                              "event_types": ["trace_item_span"]}],
            "condition_group": {"logic_type": "any", "conditions": [
                {"type": "gt", "comparison": 1, "condition_result": 75},
                {"type": "lte", "comparison": 1, "condition_result": 0}]},
            "config": {"detection_type": "static"}}
    created = create_detector(emu, body)
    assert created["dataSources"][0]["queryObj"]["snubaQuery"]["timeWindow"] == 600
    assert created["config"] == {"detectionType": "static"}


def test_list_detectors_paginates_and_filters(emu):
    ids = [create_detector(emu, with_changes(DETECTOR, name=f"monitor {i:02d}"))["id"]
           for i in range(27)]
    other = create_detector(emu, with_changes(DETECTOR, name="frontend one"), project="frontend")
    first = requests.get(f"{emu.url}{ORG}/detectors/", headers=AUTH, timeout=5)
    assert first.status_code == 200
    assert first.headers["X-Hits"] == "28"
    assert [d["id"] for d in first.json()] == (ids + [other["id"]])[:25]
    nxt = requests.get(first.links["next"]["url"], headers=AUTH, timeout=5)
    assert [d["id"] for d in nxt.json()] == ids[25:] + [other["id"]]
    assert 'results="false"' in nxt.headers["Link"].split(",")[1]

    by_project = requests.get(f"{emu.url}{ORG}/detectors/", params={"project": "22"},
                              headers=AUTH, timeout=5)
    assert [d["id"] for d in by_project.json()] == [other["id"]]
    by_id = requests.get(f"{emu.url}{ORG}/detectors/", params=[("id", ids[3]), ("id", ids[5])],
                         headers=AUTH, timeout=5)
    assert [d["id"] for d in by_id.json()] == [ids[3], ids[5]]
    by_query = requests.get(f"{emu.url}{ORG}/detectors/", params={"query": "monitor 1"},
                            headers=AUTH, timeout=5)
    assert len(by_query.json()) == 10
    by_name = requests.get(f"{emu.url}{ORG}/detectors/",
                           params={"sortBy": "-name", "per_page": 2}, headers=AUTH, timeout=5)
    assert [d["name"] for d in by_name.json()] == ["monitor 26", "monitor 25"]
    bad_sort = requests.get(f"{emu.url}{ORG}/detectors/", params={"sortBy": "colour"},
                            headers=AUTH, timeout=5)
    assert (bad_sort.status_code, bad_sort.json()) == (400, {"sortBy": ["Invalid sort field"]})
    bad_id = requests.get(f"{emu.url}{ORG}/detectors/", params={"id": "abc"}, headers=AUTH,
                          timeout=5)
    assert (bad_id.status_code, bad_id.json()) == (
        400, {"id": ["Value abc is not a valid integer id"]})


def test_workflow_links_detectors_and_resolves_slack_name_in_request(emu):
    first = create_detector(emu)
    second = create_detector(emu, with_changes(DETECTOR, name="second"))
    resp = requests.post(f"{emu.url}{ORG}/workflows/",
                         json=workflow([int(first["id"]), int(second["id"])]),
                         headers=AUTH, timeout=5)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["detectorIds"] == [first["id"], second["id"]]
    action = created["actionFilters"][0]["actions"][0]
    # The name alone was enough: the channel id was looked up synchronously (no 202).
    assert action["config"] == {"targetType": "specific", "targetIdentifier": "C0OPS00001",
                                "targetDisplay": "#ops-alerts"}
    assert action["integrationId"] == "31" and action["id"]
    assert created["environment"] == "production" and created["config"] == {"frequency": 0}

    det = requests.get(f"{emu.url}{ORG}/detectors/{first['id']}/", headers=AUTH, timeout=5)
    assert det.json()["workflowIds"] == [created["id"]]

    # A detector PUT with workflowIds sets the links from the detector's side.
    requests.put(f"{emu.url}{ORG}/detectors/{first['id']}/", json={"workflowIds": []},
                 headers=AUTH, timeout=5)
    wf = requests.get(f"{emu.url}{ORG}/workflows/{created['id']}/", headers=AUTH, timeout=5)
    assert wf.json()["detectorIds"] == [second["id"]]

    # Deleting a linked detector is scheduled: the detector is gone at once (404, not listed)
    # but its link stays until the deletion task runs (Sentry: test_pending_deletion,
    # DetectorManager hiding pending deletions; links are removed with the rows).
    requests.delete(f"{emu.url}{ORG}/detectors/{second['id']}/", headers=AUTH, timeout=5)
    gone = requests.get(f"{emu.url}{ORG}/detectors/{second['id']}/", headers=AUTH, timeout=5)
    assert gone.status_code == 404
    listed = requests.get(f"{emu.url}{ORG}/detectors/", params={"project": "-1"}, headers=AUTH,
                          timeout=5).json()
    assert second["id"] not in [d["id"] for d in listed]
    wf = requests.get(f"{emu.url}{ORG}/workflows/{created['id']}/", headers=AUTH, timeout=5)
    assert wf.json()["detectorIds"] == [second["id"]]
    deadline = time.monotonic() + 5
    while wf.json()["detectorIds"] and time.monotonic() < deadline:
        time.sleep(0.1)
        wf = requests.get(f"{emu.url}{ORG}/workflows/{created['id']}/", headers=AUTH, timeout=5)
    assert wf.json()["detectorIds"] == []


def test_slack_channel_id_wins_and_name_is_corrected(emu):
    body = workflow([], actionFilters=[{"logicType": "any", "conditions": [], "actions": [
        slack_action(targetIdentifier="C0BACKEND1", targetDisplay="#old-name")]}])
    resp = requests.post(f"{emu.url}{ORG}/workflows/", json=body, headers=AUTH, timeout=5)
    assert resp.status_code == 201
    assert resp.json()["actionFilters"][0]["actions"][0]["config"] == {
        "targetType": "specific", "targetIdentifier": "C0BACKEND1", "targetDisplay": "#backend"}
    only_id = workflow([], actionFilters=[{"logicType": "any", "conditions": [], "actions": [
        slack_action(targetIdentifier="G0PRIVATE2")]}])
    resp = requests.post(f"{emu.url}{ORG}/workflows/", json=only_id, headers=AUTH, timeout=5)
    assert resp.json()["actionFilters"][0]["actions"][0]["config"] == {
        "targetType": "specific", "targetIdentifier": "G0PRIVATE2",
        "targetDisplay": "#oncall-private"}


def test_workflow_update_keeps_ids_and_replaces_the_rest(emu):
    det = create_detector(emu)
    created = requests.post(f"{emu.url}{ORG}/workflows/", json=workflow([int(det["id"])]),
                            headers=AUTH, timeout=5).json()
    url = f"{emu.url}{ORG}/workflows/{created['id']}/"
    action_filter = copy.deepcopy(created["actionFilters"][0])
    action_filter["actions"].append({"type": "email", "data": {},
                                     "config": {"targetType": "team", "targetIdentifier": "12"}})
    no_name = requests.put(url, json={"enabled": False}, headers=AUTH, timeout=5)
    assert (no_name.status_code, no_name.json()) == (400, {"name": ["This field is required."]})
    requests.put(url, json={"name": "off", "enabled": False}, headers=AUTH, timeout=5)
    resp = requests.put(url, json={"name": "renamed", "actionFilters": [action_filter]},
                        headers=AUTH, timeout=5)
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["name"] == "renamed"
    assert updated["enabled"] is True  # left out: back to the default (full validator)
    assert updated["detectorIds"] == [det["id"]]  # left out: unchanged
    assert updated["config"] == {"frequency": 0} and updated["environment"] == "production"
    actions = updated["actionFilters"][0]["actions"]
    assert actions[0]["id"] == created["actionFilters"][0]["actions"][0]["id"]
    # Kept as sent: Sentry serves an email action's config without targetDisplay
    # (sentry-contract/workflow_serializer_expected.jsonc).
    assert actions[1]["config"] == {"targetType": "team", "targetIdentifier": "12"}
    assert actions[1]["integrationId"] is None
    assert updated["actionFilters"][0]["id"] == created["actionFilters"][0]["id"]

    foreign = requests.put(url, json={"name": "x", "actionFilters": [
        {"id": "424242", "logicType": "any", "conditions": [], "actions": []}]}, headers=AUTH,
        timeout=5)
    assert (foreign.status_code, foreign.json()) == (
        400, ["Action filter ID 424242 does not belong to this workflow"])

    listed = requests.get(f"{emu.url}{ORG}/workflows/", headers=AUTH, timeout=5)
    assert [w["id"] for w in listed.json()] == [created["id"]]
    assert listed.headers["X-Hits"] == "1"
    assert requests.delete(url, headers=AUTH, timeout=5).status_code == 204
    assert requests.get(url, headers=AUTH, timeout=5).status_code == 404
    det_after = requests.get(f"{emu.url}{ORG}/detectors/{det['id']}/", headers=AUTH, timeout=5)
    assert det_after.json()["workflowIds"] == []


def test_bulk_disable_and_delete(emu):
    a, b = create_detector(emu)["id"], create_detector(emu)["id"]
    resp = requests.put(f"{emu.url}{ORG}/detectors/", params=[("id", a)],
                        json={"enabled": False}, headers=AUTH, timeout=5)
    assert resp.status_code == 200 and [(d["id"], d["enabled"]) for d in resp.json()] == [
        (a, False)]
    nothing = requests.delete(f"{emu.url}{ORG}/detectors/", headers=AUTH, timeout=5)
    assert (nothing.status_code, nothing.json()) == (400, {
        "detail": "At least one of 'id', 'query', 'project', or 'projectSlug' must be provided."})
    resp = requests.delete(f"{emu.url}{ORG}/detectors/", params=[("id", a), ("id", b)],
                           headers=AUTH, timeout=5)
    assert resp.status_code == 204
    listed = requests.get(f"{emu.url}{ORG}/detectors/", headers=AUTH, timeout=5)
    assert listed.json() == []


# --- profiles, auth, out-of-band changes ---

def test_profile_without_monitors_answers_404(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25")
    for method, path in (("GET", "/detectors/"), ("POST", "/projects/backend/detectors/"),
                         ("GET", "/workflows/"), ("PUT", "/workflows/1/")):
        resp = requests.request(method, f"{emu.url}{ORG}{path}", json={}, headers=AUTH,
                                timeout=5)
        assert (resp.status_code, resp.json()) == (
            404, {"detail": "The requested resource does not exist"}), (method, path)


def test_transaction_datasets_allowed_where_the_profile_allows(emulator_factory):
    from sentry_alerts.emulator.profiles import PROFILES

    profile = PROFILES["self-hosted-26.7"]
    from dataclasses import replace

    emu = emulator_factory(profile=replace(profile, transaction_datasets=True))
    body = with_changes(DETECTOR, dataSources=source(
        dataset="generic_metrics", aggregate="p95(transaction.duration)", eventTypes=["transaction"],
        query='transaction:"GET /api/x"'))
    created = create_detector(emu, body)
    url = f"{emu.url}{ORG}/detectors/{created['id']}/"
    # Editing a transaction-based query is refused even there (2026 rule, MID update).
    resp = requests.put(url, json={"dataSources": [{"timeWindow": 600}]}, headers=AUTH,
                        timeout=5)
    assert (resp.status_code, resp.json()) == (400, [TRANSACTION_UPDATE_MESSAGE])
    # Renaming it is fine.
    assert requests.put(url, json={"name": "x"}, headers=AUTH, timeout=5).status_code == 200


def test_read_only_token_cannot_create(emu):
    resp = requests.post(f"{emu.url}{ORG}/projects/backend/detectors/", json=DETECTOR,
                         headers={"Authorization": f"Bearer {READ_ONLY_TOKEN}"}, timeout=5)
    assert (resp.status_code, resp.json()) == (
        403, {"detail": "You do not have permission to perform this action."})


def test_out_of_band_edit_and_delete(emu):
    det = create_detector(emu)
    wf = requests.post(f"{emu.url}{ORG}/workflows/", json=workflow([int(det["id"])]),
                       headers=AUTH, timeout=5).json()
    emu.edit("detector", det["id"], {"name": "edited in the UI",
                                     "conditionGroup": {"logicType": "all"}})
    got = requests.get(f"{emu.url}{ORG}/detectors/{det['id']}/", headers=AUTH, timeout=5).json()
    assert got["name"] == "edited in the UI" and got["conditionGroup"]["logicType"] == "all"
    assert got["dateUpdated"] != det["dateUpdated"] and got["workflowIds"] == [wf["id"]]
    emu.delete("detector", det["id"])
    assert requests.get(f"{emu.url}{ORG}/detectors/{det['id']}/", headers=AUTH,
                        timeout=5).status_code == 404
    wf_after = requests.get(f"{emu.url}{ORG}/workflows/{wf['id']}/", headers=AUTH,
                            timeout=5).json()
    assert wf_after["detectorIds"] == []


# --- bad requests: status and exact body ---

SLACK_MISSING = ('Slack: The resource "{}" does not exist or has not been granted access in the '
                 'Acme Slack workspace.')

BAD_DETECTORS = [
    ("no type", with_changes(DETECTOR, type=None), 400, {"type": ["This field is required."]}),
    ("unknown type", with_changes(DETECTOR, type="bogus"), 400, {"type": [
        "Unknown detector type 'bogus'. Must be one of: metric_issue, monitor_check_in_failure, "
        "uptime_domain_failure"]}),
    ("name too long", with_changes(DETECTOR, name="x" * 201), 400,
     {"name": ["Ensure this field has no more than 200 characters."]}),
    ("blank name", with_changes(DETECTOR, name=" "), 400, {"name": ["This field may not be blank."]}),
    ("no condition group", with_changes(DETECTOR, conditionGroup=None), 400,
     {"conditionGroup": ["This field is required."]}),
    ("no resolve condition", with_changes(DETECTOR, conditionGroup=conditions(GT)), 400,
     {"conditionGroup": {"conditions": [
         "Resolution condition required for metric issue detector."]}}),
    ("too many conditions", with_changes(DETECTOR, conditionGroup=conditions(
        GT, {**GT, "comparison": 800}, {**GT, "comparison": 900, "conditionResult": 50}, LTE)),
     400, {"nonFieldErrors": ["Too many conditions"]}),
    ("priority 25", with_changes(DETECTOR, conditionGroup=conditions(
        {**GT, "conditionResult": 25}, LTE)), 400,
     {"conditionGroup": {"conditions": [{"conditionResult": ["Unsupported condition result"]},
                                        {}]}}),
    ("eq is not a metric condition", with_changes(DETECTOR, conditionGroup=conditions(
        {**GT, "type": "eq"}, LTE)), 400,
     {"conditionGroup": {"conditions": [{"type": ["Unsupported type eq"]}, {}]}}),
    ("comparison not a number", with_changes(DETECTOR, conditionGroup=conditions(
        {**GT, "comparison": "lots"}, LTE)), 400,
     {"conditionGroup": {"conditions": [{"comparison": ["A valid number or dict is required."]},
                                        {}]}}),
    ("dict comparison on gt", with_changes(DETECTOR, conditionGroup=conditions(
        {**GT, "comparison": {"fooBar": 1}}, LTE)), 400,
     {"conditionGroup": {"conditions": [{"comparison": [
         "Invalid json primitive value: {'foo_bar': 1}. Must be a string, number, or boolean."]},
         {}]}}),
    ("anomaly sensitivity", with_changes(DETECTOR, conditionGroup=conditions(
        {"type": "anomaly_detection", "conditionResult": 75, "comparison": {
            "sensitivity": "extreme", "seasonality": "auto", "thresholdType": 0}})), 400,
     {"conditionGroup": {"conditions": [{"comparison": [
         "'extreme' is not one of ['low', 'medium', 'high']"]}]}}),
    ("bad logic type", with_changes(DETECTOR, conditionGroup=conditions(GT, LTE,
                                                                        logic="sometimes")),
     400, {"conditionGroup": {"logicType": ['"sometimes" is not a valid choice.']}}),
    ("EAP window under 5 minutes", with_changes(DETECTOR, dataSources=source(timeWindow=60)),
     400, {"dataSources": {"0": {"nonFieldErrors": [
         "Invalid Time Window: Time window for this alert type must be at least 5 minutes."]}}}),
    ("window not an integer", with_changes(DETECTOR, dataSources=source(timeWindow="5m")), 400,
     {"dataSources": {"0": {"timeWindow": ["A valid integer is required."]}}}),
    ("unknown environment", with_changes(DETECTOR, dataSources=source(environment="qa")), 400,
     {"dataSources": {"0": {"environment": ["Environment is not part of this organization"]}}}),
    ("missing event types", with_changes(DETECTOR, dataSources=[
        {k: v for k, v in DETECTOR["dataSources"][0].items() if k != "eventTypes"}]), 400,
     {"dataSources": {"0": {"eventTypes": ["This field is required."]}}}),
    ("two EAP event types", with_changes(DETECTOR, dataSources=source(
        eventTypes=["trace_item_span", "transaction"])), 400,
     {"dataSources": {"0": {"nonFieldErrors": [
         "Multiple event types not allowed. Valid event types are "
         "['trace_item_log', 'trace_item_span', 'transaction']"]}}}),
    ("EAP under the error query type", with_changes(DETECTOR, dataSources=source(queryType=0)),
     400, {"dataSources": {"0": {"nonFieldErrors": [
         "Invalid dataset for this query type. Valid datasets are ['events']"]}}}),
    ("transactions dataset", with_changes(DETECTOR, dataSources=source(
        dataset="transactions", eventTypes=["transaction"])), 400,
     {"dataSources": {"0": {"dataset": [
         "Performance alerts must use the `generic_metrics` dataset"]}}}),
    ("generic_metrics in 2026", with_changes(DETECTOR, dataSources=source(
        dataset="generic_metrics", aggregate="p95(transaction.duration)",
        eventTypes=["transaction"])), 400, [TRANSACTION_CREATE_MESSAGE]),
    ("server_weighted extrapolation", with_changes(DETECTOR, dataSources=source(
        extrapolationMode="server_weighted")), 400,
     ["server_weighted extrapolation mode is not supported for new detectors."]),
    ("owner team does not exist", with_changes(DETECTOR, owner="team:999"), 400,
     {"owner": ["Team does not exist"]}),
    ("owner unparseable", with_changes(DETECTOR, owner="squad:1"), 400, {"owner": [ACTOR_FORMAT]}),
    ("config without detection type", with_changes(DETECTOR, config={}), 400,
     {"config": ["Invalid config: 'detection_type' is a required property"]}),
    ("comparison delta in minutes", with_changes(DETECTOR, config={
        "detectionType": "percent", "comparisonDelta": 60}), 400,
     {"config": ["Invalid config: 60 is not one of [300, 900, 3600, 86400, 604800, 2592000, "
                 "None]"]}),
    ("unknown workflow", with_changes(DETECTOR, workflowIds=[999]), 400,
     ["Some workflows do not exist: {999}"]),
    ("several field errors at once", with_changes(DETECTOR, name="", owner="team:999"), 400,
     {"name": ["This field may not be blank."], "owner": ["Team does not exist"]}),
]

BAD_WORKFLOWS = [
    ("no name", with_changes(workflow([]), name=None), 400, {"name": ["This field is required."]}),
    ("slack without integration", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [
            {**slack_action(targetDisplay="#ops-alerts"), "integrationId": None}]}]), 400,
     {"actionFilters": {"nonFieldErrors": ["Integration ID is required for action type slack"]}}),
    ("unknown slack integration", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [
            {**slack_action(targetDisplay="#ops-alerts"), "integrationId": "999"}]}]), 400,
     {"actionFilters": {"nonFieldErrors": ["Slack integration with id 999 not found"]}}),
    ("unknown channel", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [slack_action(targetDisplay="#nope")]}]),
     400, {"actionFilters": {"all": [SLACK_MISSING.format("nope")]}}),
    ("private channel without the bot", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [],
        "actions": [slack_action(targetDisplay="#leadership")]}]), 400,
     {"actionFilters": {"all": [SLACK_MISSING.format("leadership")]}}),
    ("unknown channel id", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [],
        "actions": [slack_action(targetIdentifier="C0NOPE0000", targetDisplay="#ops-alerts")]}]),
     400, {"actionFilters": {"all": ["Slack: Invalid channel id"]}}),
    ("email with an integration id", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [
            {"type": "email", "integrationId": "31",
             "config": {"targetType": "team", "targetIdentifier": "11"}}]}]), 400,
     {"actionFilters": {"nonFieldErrors": ["Integration ID is not allowed for action type email"]}}),
    ("frequency not allowed", workflow([], config={"frequency": 7}), 400,
     {"config": ["7 is not one of [0, 5, 10, 30, 60, 180, 720, 1440]"]}),
    ("unknown detector", workflow([999]), 400, ["Some detectors do not exist: {999}"]),
    ("unknown action type", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [{"type": "carrier_pigeon"}]}]), 400,
     {"actionFilters": {"type": ['"carrier_pigeon" is not a valid choice.']}}),
    ("action filter without actions", workflow([], actionFilters=[
        {"logicType": "any", "conditions": []}]), 400,
     {"actionFilters": ["Missing actions key in action filter"]}),
    ("unknown environment", workflow([], environment="qa"), 400,
     {"environment": ["Environment is not part of this organization"]}),
    ("email to a stranger", workflow([], actionFilters=[{
        "logicType": "any", "conditions": [], "actions": [
            {"type": "email", "config": {"targetType": "user", "targetIdentifier": "999"}}]}]),
     400, {"actionFilters": {"nonFieldErrors": ["User does not belong to this organization"]}}),
    ("unknown trigger condition", workflow([], triggers={"logicType": "any-short", "conditions": [
        {"type": "sunrise", "comparison": True, "conditionResult": True}]}), 400,
     {"triggers": {"conditions": [{"type": ['"sunrise" is not a valid choice.']}]}}),
    ("name too long", workflow([], name="n" * 257), 400,
     {"name": ["Ensure this field has no more than 256 characters."]}),
]


@pytest.mark.parametrize(("case", "body", "status", "expected"),
                         BAD_DETECTORS, ids=[c[0] for c in BAD_DETECTORS])
def test_bad_detector_requests(shared_emu, case, body, status, expected):
    resp = requests.post(f"{shared_emu.url}{ORG}/projects/backend/detectors/", json=body,
                         headers=AUTH, timeout=5)
    assert (resp.status_code, resp.json()) == (status, expected)


@pytest.mark.parametrize(("case", "body", "status", "expected"),
                         BAD_WORKFLOWS, ids=[c[0] for c in BAD_WORKFLOWS])
def test_bad_workflow_requests(shared_emu, case, body, status, expected):
    resp = requests.post(f"{shared_emu.url}{ORG}/workflows/", json=body, headers=AUTH, timeout=5)
    assert (resp.status_code, resp.json()) == (status, expected)


def test_bad_requests_create_nothing(shared_emu):
    for path in ("/detectors/", "/workflows/"):
        listed = requests.get(f"{shared_emu.url}{ORG}{path}", headers=AUTH, timeout=5)
        assert listed.json() == [], path


def test_unknown_ids_and_projects_are_404(shared_emu):
    for method, path in (("GET", "/detectors/424242/"), ("PUT", "/detectors/424242/"),
                         ("DELETE", "/workflows/424242/"), ("GET", "/workflows/abc/"),
                         ("POST", "/projects/nope/detectors/")):
        resp = requests.request(method, f"{shared_emu.url}{ORG}{path}", json=DETECTOR,
                                headers=AUTH, timeout=5)
        assert (resp.status_code, resp.json()) == (
            404, {"detail": "The requested resource does not exist"}), (method, path)


def test_state_file_keeps_monitors_and_links_across_restarts(tmp_path):
    state = tmp_path / "state.json"
    with run_emulator(state_file=state, rate_limits=None) as first:
        det = create_detector(first)
        wf = requests.post(f"{first.url}{ORG}/workflows/", json=workflow([int(det["id"])]),
                           headers=AUTH, timeout=5).json()
    with run_emulator(state_file=state, rate_limits=None) as second:
        got = requests.get(f"{second.url}{ORG}/detectors/{det['id']}/", headers=AUTH,
                           timeout=5).json()
        assert got == {**det, "workflowIds": [wf["id"]]}
        # Id sequences continue: a new monitor gets a new id, not a reused one.
        again = create_detector(second)
        assert int(again["id"]) > int(det["id"])
        assert again["conditionGroup"]["id"] != det["conditionGroup"]["id"]


def test_seed_monitors_creates_linked_monitors_and_rejects_bad_ones(emu):
    from sentry_alerts.emulator.monitors import seed_monitors

    seed = {"organizations": [{"slug": "acme", "detectors": [
        {**DETECTOR, "name": "seeded", "project": "backend"}],
        "workflows": [workflow([], name="seeded alert", detectorNames=["seeded"])]}]}
    seed_monitors(emu, seed)
    listed = requests.get(f"{emu.url}{ORG}/detectors/", params={"query": "seeded"},
                          headers=AUTH, timeout=5).json()
    assert len(listed) == 1 and len(listed[0]["workflowIds"]) == 1
    bad = {"organizations": [{"slug": "acme", "detectors": [
        {**DETECTOR, "name": "bad", "project": "backend", "conditionGroup": conditions(GT)}]}]}
    with pytest.raises(ValueError, match="seed monitor 'bad'.*Resolution condition required"):
        seed_monitors(emu, bad)
