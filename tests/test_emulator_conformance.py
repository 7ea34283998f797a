"""Every emulator response body the published schema documents validates against
../shared/reference/sentry-openapi-alert-rules.json, and the documented differences between the
schema and the running server hold (204 on delete, extra fields, floats)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import requests
from conftest import reference_file

from sentry_alerts.emulator import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORG_PREFIX = "/api/0/organizations/{organization_id_or_slug}"


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema (type list / anyOf with null)."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_json_schema(v) for k, v in node.items() if k not in ("nullable",
                                                                                 "example")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(reference_file("sentry-openapi-alert-rules.json").read_text())


def response_schema(schema: dict, path: str, method: str, status: str) -> dict:
    op = schema["paths"][path][method]
    return _nullable_to_json_schema(op["responses"][status]["content"]["application/json"]["schema"])


def assert_conforms(schema: dict, path: str, method: str, status: str, body: Any) -> None:
    jsonschema.validate(body, response_schema(schema, path, method, status))


def rule_body() -> dict:
    return {
        "name": "p95 latency", "projects": ["backend"], "environment": "production",
        "dataset": "events_analytics_platform", "queryType": 1,
        "eventTypes": ["trace_item_span"], "aggregate": "p95(span.duration)",
        "query": "is_transaction:true", "timeWindow": 5, "thresholdType": 0,
        "resolveThreshold": 500, "owner": "team:11",
        "triggers": [
            {"label": "critical", "alertThreshold": 750, "actions": [
                {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
                 "inputChannelId": "C0OPS00001", "integrationId": 31}]},
            {"label": "warning", "alertThreshold": 600, "actions": [
                {"type": "email", "targetType": "team", "targetIdentifier": "11"}]},
        ],
    }


@pytest.fixture
def legacy(emulator_factory):
    return emulator_factory(profile="self-hosted-26.7")


def test_alert_rule_operations_match_the_schema(schema, legacy):
    base = legacy.url + "/api/0/organizations/acme/alert-rules/"
    rules_path = ORG_PREFIX + "/alert-rules/"
    rule_path = ORG_PREFIX + "/alert-rules/{alert_rule_id}/"

    created = requests.post(base, json=rule_body(), headers=AUTH, timeout=5)
    assert created.status_code == 201
    assert_conforms(schema, rules_path, "post", "201", created.json())
    rule_id = created.json()["id"]

    listed = requests.get(base, headers=AUTH, timeout=5)
    assert listed.status_code == 200
    assert_conforms(schema, rules_path, "get", "200", listed.json())

    detail = requests.get(f"{base}{rule_id}/", headers=AUTH, timeout=5)
    assert detail.status_code == 200
    assert_conforms(schema, rule_path, "get", "200", detail.json())

    changed = dict(rule_body(), name="renamed")
    updated = requests.put(f"{base}{rule_id}/", json=changed, headers=AUTH, timeout=5)
    assert updated.status_code == 200
    assert_conforms(schema, rule_path, "put", "200", updated.json())

    # Documented difference: the schema says 202, the server answers 204 with no body.
    assert "202" in schema["paths"][rule_path]["delete"]["responses"]
    deleted = requests.delete(f"{base}{rule_id}/", headers=AUTH, timeout=5)
    assert (deleted.status_code, deleted.content) == (204, b"")


def test_rule_bodies_have_floats_string_ids_and_extra_fields(schema, legacy):
    base = legacy.url + "/api/0/organizations/acme/alert-rules/"
    created = requests.post(base, json=rule_body(), headers=AUTH, timeout=5).json()
    documented = set(response_schema(schema, ORG_PREFIX + "/alert-rules/", "post",
                                     "201")["properties"])
    extra = {"status", "resolution", "thresholdPeriod", "description", "sensitivity",
             "seasonality", "detectionType"}
    assert extra <= set(created) and not extra & documented
    assert isinstance(created["timeWindow"], float) and created["timeWindow"] == 5.0
    assert isinstance(created["resolveThreshold"], float)
    assert isinstance(created["resolution"], float)
    critical, warning = created["triggers"]
    assert (critical["label"], warning["label"]) == ("critical", "warning")
    assert isinstance(critical["alertThreshold"], float) and critical["alertThreshold"] == 750.0
    slack = critical["actions"][0]
    assert isinstance(created["id"], str) and isinstance(critical["id"], str)
    assert isinstance(slack["id"], str) and isinstance(slack["integrationId"], int)
    assert (slack["targetIdentifier"], slack["inputChannelId"]) == ("#ops-alerts", "C0OPS00001")
    assert created["dateCreated"].endswith("Z") and len(created["dateCreated"]) == 27
    # eventTypes only on the detail GET; snooze shown there too.
    assert "eventTypes" not in created
    listed = requests.get(base, headers=AUTH, timeout=5).json()
    assert "eventTypes" not in listed[0]
    detail = requests.get(f"{base}{created['id']}/", headers=AUTH, timeout=5).json()
    assert detail["eventTypes"] == ["trace_item_span"] and detail["snooze"] is False


@pytest.mark.parametrize(("url", "path"), [
    ("/api/0/organizations/acme/integrations/?providerKey=slack", ORG_PREFIX + "/integrations/"),
    ("/api/0/organizations/acme/projects/", ORG_PREFIX + "/projects/"),
    ("/api/0/organizations/acme/teams/", ORG_PREFIX + "/teams/"),
    ("/api/0/organizations/acme/members/", ORG_PREFIX + "/members/"),
    ("/api/0/projects/acme/backend/teams/",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/teams/"),
])
@pytest.mark.parametrize("profile", ["saas-2026", "self-hosted-25"])
def test_lookups_match_the_schema(schema, emulator_factory, profile, url, path):
    emu = emulator_factory(profile=profile)
    resp = requests.get(emu.url + url, headers=AUTH, timeout=5)
    assert resp.status_code == 200
    assert resp.json(), "an empty list would prove nothing"
    assert_conforms(schema, path, "get", "200", resp.json())


def test_integration_detail_matches_the_schema(schema, emulator):
    resp = requests.get(emulator.url + "/api/0/organizations/acme/integrations/31/",
                        headers=AUTH, timeout=5)
    assert resp.status_code == 200
    assert_conforms(schema, ORG_PREFIX + "/integrations/{integration_id}/", "get", "200",
                    resp.json())


def test_a_schema_violation_is_caught(schema):
    """The checker itself can fail: a rule with an int id does not validate."""
    bad = {"id": 1, "name": "x", "organizationId": "1", "query": "", "aggregate": "count()",
           "timeWindow": 5.0, "triggers": [], "dateModified": "x", "dateCreated": "x",
           "createdBy": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, response_schema(schema, ORG_PREFIX + "/alert-rules/{alert_rule_id}/",
                                                 "get", "200"))
