"""Contract tests against Sentry's own shapes (../shared/reference/sentry-contract/: serializer
outputs and error bodies asserted by Sentry's test suite, and its published API examples).

- The emulator's GET bodies have Sentry's field names, JSON types and nullability.
- The client reads each shape (placeholders filled) with no error, and shapes Sentry varies
  (floats for ints, `#` prefixes, condition order, `triggers: null`, owner object or string)
  give no false diff.
- The emulator's error bodies for the cases those files list match (cases the emulator cannot
  reach, e.g. mocked Sentry apps, are named with the reason).
Every test skips, saying why, where ../shared is absent.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import requests
from conftest import reference_file

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.model import SlackTarget
from sentry_alerts.plan import field_changes
from sentry_alerts.sentry.connect import connect
from sentry_alerts.sentry.monitors_echoes import parse_detector, parse_workflow

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORG = "/api/0/organizations/acme"
CONTRACT = "sentry-contract/"


def load(name: str) -> Any:
    text = reference_file(CONTRACT + name).read_text(encoding="utf-8")
    return json.loads("\n".join(line for line in text.splitlines()
                                if not line.lstrip().startswith("//")))


# --- placeholders -> concrete values ----------------------------------------------------------

USER = {"id": "101", "email": "alice@acme.example", "name": "Alice"}


def fill(value: Any, ids: dict[str, str] | None = None) -> Any:
    """Placeholders such as "<str(detector.id)>" as the values a test run would compute."""
    ids = {} if ids is None else ids
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if not (isinstance(value, str) and value.startswith("<") and value.endswith(">")):
        return value
    text = value[1:-1]
    if "date" in text:
        return "2026-11-30T10:00:00.000000Z"
    if "enabled" in text:
        return True
    if "mock.ANY" in text or "history" in text:
        return None
    if "email" in text:
        return USER["email"]
    if "username" in text:
        return USER["name"]
    if "environment.name" in text:
        return "production"
    if "user.id" in text:
        return USER["id"]
    if "project_id" in text:
        return "21"
    return ids.setdefault(text, str(900 + len(ids)))


def kind(value: Any) -> str:
    """The JSON type of a value as a contract compares it (ints and floats are both numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def same_shape(ours: Any, theirs: Any, path: str = "$", *, extra: frozenset = frozenset()
               ) -> list[str]:
    """Where `ours` differs from Sentry's shape: missing or unexpected keys, other JSON types
    (null in Sentry's shape only constrains nullability). `extra`: keys Sentry's newest
    serializer has that this older expected output lacks."""
    if theirs is None or ours is None:
        return []
    if path.endswith(".config") and path.count(".") == 1:
        # A detector's or workflow's own `config` is the type's free-form JSON (checked against
        # its schema): its keys are what was sent, so only its type is compared.
        return [] if kind(ours) == kind(theirs) else [f"{path}: {kind(ours)} where Sentry has "
                                                       f"{kind(theirs)}"]
    if kind(ours) != kind(theirs):
        return [f"{path}: {kind(ours)} where Sentry has {kind(theirs)}"]
    problems = []
    if isinstance(theirs, dict):
        for key in sorted(set(theirs) - set(ours)):
            problems.append(f"{path}.{key}: missing")
        for key in sorted(set(ours) - set(theirs) - extra):
            problems.append(f"{path}.{key}: not in Sentry's shape")
        for key in set(ours) & set(theirs):
            problems += same_shape(ours[key], theirs[key], f"{path}.{key}", extra=extra)
    elif isinstance(theirs, list) and theirs and ours:
        problems += same_shape(ours[0], theirs[0], f"{path}[0]", extra=extra)
    return problems


# --- the emulator's GET bodies ---------------------------------------------------------------

DETECTOR = {
    "name": "Test Detector", "type": "metric_issue", "owner": "user:101",
    "dataSources": [{"queryType": 0, "dataset": "events", "query": "hello",
                     "aggregate": "count()", "timeWindow": 60, "environment": None,
                     "eventTypes": ["error"]}],
    "conditionGroup": {"logicType": "any", "conditions": [
        {"type": "gt", "comparison": 100, "conditionResult": 75},
        {"type": "lte", "comparison": 100, "conditionResult": 0}]},
    "config": {"detectionType": "static"},
}
WORKFLOW = {
    "name": "hojicha", "enabled": True, "config": {}, "environment": "production",
    "triggers": {"logicType": "any-short", "conditions": [
        {"type": "first_seen_event", "comparison": True, "conditionResult": True}]},
    "actionFilters": [{"logicType": "all", "conditions": [
        {"type": "gt", "comparison": 100, "conditionResult": 75}],
        "actions": [{"type": "email", "data": {},
                     "config": {"targetType": "user", "targetIdentifier": "101"}}]}],
}


def post(emu, path: str, body: dict) -> dict:
    resp = requests.post(emu.url + path, json=body, headers=AUTH, timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


def get(emu, path: str) -> dict:
    resp = requests.get(emu.url + path, headers=AUTH, timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_detector_get_body_has_sentrys_shape(emulator):
    expected = load("detector_serializer_expected.jsonc")
    detector = post(emulator, f"{ORG}/projects/backend/detectors/", DETECTOR)
    post(emulator, f"{ORG}/workflows/", {**WORKFLOW, "detectorIds": [int(detector["id"])]})
    served = get(emulator, f"{ORG}/detectors/{detector['id']}/")
    # `description`: the newest DetectorSerializer (src/sentry/workflow_engine/endpoints/
    # serializers/detector_serializer.py) serves it; the expected output predates it.
    problems = same_shape(served, fill(expected["test_serialize_full"]),
                          extra=frozenset({"description"}))
    assert problems == []
    assert served["owner"] == {"type": "user", "id": "101", "name": "Alice",
                               "email": "alice@acme.example"}
    assert all(isinstance(i, str) for i in served["workflowIds"]) and served["workflowIds"]
    assert served["alertRuleId"] is None and served["ruleId"] is None


def test_workflow_get_bodies_have_sentrys_shape(emulator_factory):
    emulator = emulator_factory(profile="saas-2026", seed="migrated-from-legacy")
    expected = load("workflow_serializer_expected.jsonc")
    detector = post(emulator, f"{ORG}/projects/backend/detectors/", DETECTOR)
    full = post(emulator, f"{ORG}/workflows/",
                {**WORKFLOW, "detectorIds": [int(detector["id"])], "owner": "team:11"})
    assert same_shape(get(emulator, f"{ORG}/workflows/{full['id']}/"),
                      fill(expected["test_serialize_full"])) == []
    assert get(emulator, f"{ORG}/workflows/{full['id']}/")["owner"] == "team:11"  # a string
    # A workflow without a trigger group (the one Sentry's legacy migration makes:
    # `create_workflow(when_condition_group=None)`) serves `triggers: null`, not {}.
    migrated = [w for w in get(emulator, f"{ORG}/workflows/?project=-1")
                if w["name"].startswith("Slack #")]
    assert migrated and migrated[0]["triggers"] is None
    assert same_shape(migrated[0], fill(expected["test_serialize_simple"])) == []


# --- the client reads Sentry's shapes ----------------------------------------------------------

@pytest.fixture
def backend(emulator):
    return connect(url=emulator.url, token=ADMIN_TOKEN, org="acme", backend="monitors").backend


def _parsed(backend, detector: dict, workflows: list[dict]):
    linked = [parse_workflow(w, backend.directory) for w in workflows]
    return parse_detector(detector, linked, backend.directory)


def test_the_client_reads_sentrys_detector_and_workflow(backend):
    detector = fill(load("detector_serializer_expected.jsonc")["test_serialize_full"])
    workflow = fill(load("workflow_serializer_expected.jsonc")["test_serialize_full"])
    workflow["detectorIds"] = [detector["id"]]
    alert = _parsed(backend, detector, [workflow])
    assert (alert.name, alert.aggregate, alert.query) == ("Test Detector", "count()", "hello")
    assert (alert.window_minutes, alert.critical_ms, alert.dataset) == (1, 100, "events")
    assert alert.owner == "user:alice@acme.example" and alert.enabled is True
    # The test's email action names user 123, not a member here: it stays an id (so a policy
    # naming a real member would show it as a change, never silently match).
    assert [t.describe() for t in alert.targets] == ["email user:123"]
    # Sentry's published examples read without error too.
    for name in ("api-docs-example__head__GET__org_detectors_detector_id__200__FetchAMonitor",
                 "api-docs-example__head__POST__org_projects_project_id_or_slug_detectors__201"
                 "__MonitorSuccessfullyCreated"):
        assert _parsed(backend, load(name + ".jsonc"), []).name
    listed = load("api-docs-example__head__GET__org_workflows__200__ListAllWorkflowsInAnOrganization"
                  ".jsonc")
    assert all(parse_workflow(w, backend.directory) for w in listed)


def test_shapes_sentry_varies_give_no_false_diff(backend):
    detector = fill(load("detector_serializer_expected.jsonc")["test_serialize_full"])
    workflow = {**fill(load("workflow_serializer_expected.jsonc")["test_serialize_simple"]),
                "detectorIds": [detector["id"]],
                "actionFilters": [{"id": "1", "logicType": "any", "conditions": [], "actions": [
                    {"id": "2", "type": "slack", "integrationId": "31", "data": {},
                     "status": "active", "config": {"targetType": "specific",
                                                    "targetIdentifier": "C0OPS00001",
                                                    "targetDisplay": "ops-alerts"}}]}]}
    detector["conditionGroup"]["conditions"].append(
        {"id": "5", "type": "lte", "comparison": 100, "conditionResult": 0})
    base = _parsed(backend, detector, [workflow])
    assert base.targets == (SlackTarget("#ops-alerts", "C0OPS00001", "Acme"),)

    varied_detector = copy.deepcopy(detector)
    conditions = varied_detector["conditionGroup"]["conditions"]
    for c in conditions:
        c["comparison"] = float(c["comparison"])  # 100 -> 100.0 (Terraform provider #869)
    conditions.reverse()  # order is not stable (provider #826)
    query = varied_detector["dataSources"][0]["queryObj"]["snubaQuery"]
    query["timeWindow"] = 60.0
    varied_detector["owner"] = f"user:{USER['id']}"  # the string form workflows use
    varied_workflow = copy.deepcopy(workflow)
    varied_workflow["triggers"] = {"id": "9", "organizationId": "1", "logicType": "any-short",
                                   "conditions": [], "actions": []}
    action = varied_workflow["actionFilters"][0]["actions"][0]
    action["config"]["targetDisplay"] = "#ops-alerts"  # Sentry adds '#' (provider #897)
    action["integrationId"] = 31
    varied = _parsed(backend, varied_detector, [varied_workflow])
    assert field_changes(base, varied) == ()


# --- error bodies ----------------------------------------------------------------------------

VALID_EAP = {**DETECTOR, "dataSources": [{
    "queryType": 1, "dataset": "events_analytics_platform", "query": "is_transaction:true",
    "aggregate": "p95(span.duration)", "timeWindow": 300, "environment": None,
    "eventTypes": ["trace_item_span"]}]}


def detector_case(test: str, request: str) -> tuple[str, str, dict] | None:
    """The request a detector error case describes, as (method, path, body); None = not
    reachable in the emulator (the reason is in NOT_MODELLED)."""
    body = copy.deepcopy(VALID_EAP)
    create = f"{ORG}/projects/backend/detectors/"
    if test == "test_missing_group_type":
        body.pop("type")
    elif test == "test_missing_required_field":
        body = {}
    elif test == "test_missing_name":
        body.pop("name")
    elif test == "test_invalid_comparison_delta":
        delta = int(re.search(r"= (\d+)", request).group(1))
        body["config"] = {"detectionType": "percent", "comparisonDelta": delta}
    elif test == "test_invalid_group_type":
        body["type"] = "invalid_type"
    elif test == "test_invalid_workflow_ids":
        body["workflowIds"] = [999999]
    elif test == "test_eap_invalid_time_window_rejected":
        body["dataSources"][0]["timeWindow"] = 60 if "60" in request else 300
    elif test == "test_project_not_found / test_project_belongs_to_different_org":
        create = f"{ORG}/projects/nope/detectors/"
    elif test == "test_does_not_exist / test_pending_deletion / test_malformed_id":
        return "GET", f"{ORG}/detectors/abc/", {}
    elif test == "test_update_bad_schema":
        return "PUT", "{detector}", {"conditionGroup": {"logicType": "any", "conditions": [
            {"type": "gt", "comparison": "betterThan", "conditionResult": 75},
            {"type": "lte", "comparison": 1, "conditionResult": 0}]}}
    elif test == "test_update_workflows_invalid_workflow_ids":
        return "PUT", "{detector}", {"name": "renamed", "workflowIds": [999999]}
    elif test == "test_update_config_invalid_schema":
        return "PUT", "{detector}", {"config": {"comparison_delta": 3600}}
    else:
        return None
    return "POST", create, body


NOT_MODELLED = {
    "test_incompatible_group_type": "a mocked group type without detector settings",
    "test_without_feature_flag": "covered in test_emulator_monitors (org without `incidents`)",
    "test_reject_upsampled_count_aggregate": "error upsampling is not modelled",
    "test_create_blocked_when_dataset_not_allowed": "the visibility-explore-view flag is not "
                                                    "modelled",
    "test_use_transactions_instead_of_generic_metrics_dataset": "a 201; transaction datasets "
                                                                "are refused by 2026 profiles",
    "test_create_monitor_incident_detector_validation_error": "only metric_issue monitors",
    "test_create_monitor_with_explicit_duplicate_slug_returns_400": "only metric_issue monitors",
    "test_update_rejects_cross_organization_condition_id": "the default seed has one org",
}


def test_detector_error_bodies_match_sentrys_tests(emulator):
    cases = load("detector_api_errors.jsonc")
    existing = post(emulator, f"{ORG}/projects/backend/detectors/", VALID_EAP)
    reached = 0
    for case in cases:
        made = detector_case(case["test"], case["request"])
        if made is None:
            assert case["test"] in NOT_MODELLED, f"new contract case {case['test']}: decide"
            continue
        method, path, body = made
        path = path.replace("{detector}", f"{ORG}/detectors/{existing['id']}/")
        resp = requests.request(method, emulator.url + path, json=body, headers=AUTH, timeout=5)
        where = f"{case['test']} ({case['request']})"
        assert resp.status_code == case["status"], f"{where}: {resp.status_code} {resp.text}"
        reached += 1
        if "body" in case and not case["body"].get("type", [""])[0].startswith("<"):
            assert resp.json() == case["body"], where
        if "body_contains" in case:
            assert case["body_contains"] in resp.text, f"{where}: {resp.text}"
        if "body_contains_key" in case:
            assert case["body_contains_key"] in resp.json(), f"{where}: {resp.text}"
        if "body_path" in case and case["status"] == 400:
            key, index = re.fullmatch(r"(\w+)\[(\d+)\]", case["body_path"]).groups()
            assert resp.json()[key][int(index)] == case["body_value"], where
    assert reached >= 12


WORKFLOW_NOT_MODELLED = {
    "test_create_workflow__assigned_to_foreign_team / _member / _in_trigger":
        "one organization in the default seed",
    "test_create_sentry_app_action_missing_settings": "no Sentry apps are installed",
    "test_team_contributor_cannot_create_project_scoped_workflow (and similar)":
        "covered by test_membership (project access)",
    "test_team_admin_cannot_create_workflow_with_cross_organization_detector":
        "one organization in the default seed",
}


def workflow_case(test: str) -> tuple[str, dict, dict] | None:
    """(method, params, body) for a workflow error case; None = not modelled."""
    base = {"name": "Test Workflow", "enabled": True, "config": {},
            "triggers": {"logicType": "any", "conditions": []}, "actionFilters": []}
    if test == "test_create_workflow__with_triggers_invalid_logic_type":
        return "POST", {}, {**base, "triggers": {"logicType": "all", "conditions": [
            {"type": "first_seen_event", "comparison": True, "conditionResult": True}]}}
    if test == "test_create_invalid_workflow":
        return "POST", {}, {**base, "name": ""}
    if test == "test_create_workflow__invalid_triggers":
        return "POST", {}, {**base, "triggers": {"logicType": "some", "conditions": [{}]}}
    if test == "test_create_workflow__invalid_actions":
        return "POST", {}, {**base, "actionFilters": [{"logicType": "any", "conditions": [],
                                                       "actions": [{"type": "slack",
                                                                    "config": {}, "data": {}}]}]}
    params = {"test_filter_by_ids": {"id": "not-an-id"},
              "test_filter_by_detector": {"detector": "not-an-id"},
              "test_query_invalid_key": {"query": "invalid_key:value"},
              "test_invalid_sort_by": {"sortBy": "not_a_valid_sort_by_field"},
              "test_priority_detector_invalid_format": {"priorityDetector": "not-a-number"}}
    return ("GET", params[test], {}) if test in params else None


def test_workflow_error_bodies_match_sentrys_tests(emulator):
    contract = load("workflow_api_errors.jsonc")
    for case in contract["errors"]:
        made = workflow_case(case["test"])
        if made is None:
            assert case["test"] in WORKFLOW_NOT_MODELLED, f"new contract case {case['test']}"
            continue
        method, params, body = made
        resp = requests.request(method, f"{emulator.url}{ORG}/workflows/", params=params,
                                json=body or None, headers=AUTH, timeout=5)
        where = f"{case['test']}: {resp.text}"
        assert resp.status_code == case["status"], where
        if "body_contains_lower" in case:
            assert case["body_contains_lower"] in resp.text.lower(), where
        if "body_contains_key" in case:
            assert case["body_contains_key"] in resp.json(), where
        if "body_contains" in case:
            assert case["body_contains"] in resp.text, where
    # The valid bodies of the same tests are accepted.
    for key in ("valid_minimal_post_body",):
        post(emulator, f"{ORG}/workflows/", contract[key])


def test_slack_action_errors_match_sentrys_tests(emulator):
    contract = load("slack_action_validator_errors.jsonc")

    def send(config: dict) -> requests.Response:
        action = {"type": "slack", "integrationId": "31", "data": {}, "config": config}
        return requests.post(f"{emulator.url}{ORG}/workflows/", headers=AUTH, timeout=5, json={
            "name": "w", "enabled": True, "config": {}, "actionFilters": [
                {"logicType": "any", "conditions": [], "actions": [action]}]})

    cases = {c["test"]: c for c in contract["cases"]}
    bad_id = send(cases["test_validate__invalid_channel_id"]["config"])
    assert (bad_id.status_code, bad_id.json()) == (
        400, {"actionFilters": cases["test_validate__invalid_channel_id"]["errors"]})
    by_id = send({"targetType": "specific", "targetIdentifier": "C0OPS00001"})
    assert by_id.status_code == 201, by_id.text
    config = by_id.json()["actionFilters"][0]["actions"][0]["config"]
    assert config["targetDisplay"] == "#ops-alerts"  # filled WITH '#', as the test asserts
    assert send({"targetType": "specific"}).status_code == 400
