"""Conformance of the monitors/alerts emulator with Sentry's published OpenAPI schema
(../shared/reference/sentry-openapi-alert-rules.json): every response body of the detectors and
workflows operations validates against the operation's response schema, and the requests the
tests send validate against the request schemas."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import requests
from conftest import reference_file
from test_emulator_monitors import DETECTOR, workflow

from sentry_alerts.emulator import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORG = "/api/0/organizations/acme"
P_ORG = "/api/0/organizations/{organization_id_or_slug}"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def to_json_schema(node):
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def schema():
    data = json.loads(reference_file("sentry-openapi-alert-rules.json").read_text("utf-8"))
    return data["paths"]


def snake_keys(node):
    """The request in snake_case: the published request schemas name the fields that way
    (Sentry converts camelCase input to snake_case before validating, notes §1.6)."""
    if isinstance(node, list):
        return [snake_keys(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): snake_keys(v) for k, v in node.items()}


def check_request(paths, body, path, method):
    jsonschema.validate(snake_keys(body), request_schema(paths, path, method))


def response_schema(paths, path, method, status):
    content = paths[path][method]["responses"][str(status)]["content"]["application/json"]
    return to_json_schema(content["schema"])


def request_schema(paths, path, method):
    return to_json_schema(
        paths[path][method]["requestBody"]["content"]["application/json"]["schema"])


def check_response(paths, resp, path, method, status):
    assert resp.status_code == status, resp.text
    body = resp.json()
    jsonschema.validate(body, response_schema(paths, path, method, status))
    for item in body if isinstance(body, list) else [body]:
        for key in ("dateCreated", "dateUpdated"):
            assert TIMESTAMP.match(item[key]), item[key]
    return body


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(rate_limits=None)


def test_detector_responses_match_the_schema(emu, schema):
    create_path = P_ORG + "/projects/{project_id_or_slug}/detectors/"
    body = copy.deepcopy(DETECTOR)
    check_request(schema, body, create_path, "post")
    resp = requests.post(f"{emu.url}{ORG}/projects/backend/detectors/", json=body, headers=AUTH,
                         timeout=5)
    created = check_response(schema, resp, create_path, "post", 201)

    detail = P_ORG + "/detectors/{detector_id}/"
    url = f"{emu.url}{ORG}/detectors/{created['id']}/"
    check_response(schema, requests.get(url, headers=AUTH, timeout=5), detail, "get", 200)
    update = {"name": "renamed", "type": "metric_issue",
              "conditionGroup": {"logicType": "any", "conditions": [
                  {"type": "gt", "comparison": 800, "conditionResult": 75},
                  {"type": "gt", "comparison": 700, "conditionResult": 50},
                  {"type": "lte", "comparison": 700, "conditionResult": 0}]}}
    check_request(schema, update, detail, "put")
    check_response(schema, requests.put(url, json=update, headers=AUTH, timeout=5), detail,
                   "put", 200)

    index = P_ORG + "/detectors/"
    check_response(schema, requests.get(f"{emu.url}{ORG}/detectors/", headers=AUTH, timeout=5),
                   index, "get", 200)
    bulk = {"enabled": False}
    check_request(schema, bulk, index, "put")
    check_response(schema, requests.put(f"{emu.url}{ORG}/detectors/",
                                        params={"id": created["id"]}, json=bulk, headers=AUTH,
                                        timeout=5), index, "put", 200)

    resp = requests.delete(url, headers=AUTH, timeout=5)
    assert str(resp.status_code) in schema[detail]["delete"]["responses"]
    assert resp.status_code == 204 and resp.content == b""


def test_workflow_responses_match_the_schema(emu, schema):
    det = requests.post(f"{emu.url}{ORG}/projects/backend/detectors/", json=DETECTOR,
                        headers=AUTH, timeout=5).json()
    index = P_ORG + "/workflows/"
    body = workflow([int(det["id"])])
    body["actionFilters"][0]["actions"].append(
        {"type": "email", "integrationId": None, "data": {}, "status": "active",
         "config": {"targetType": "user", "targetDisplay": None, "targetIdentifier": "101"}})
    check_request(schema, body, index, "post")
    created = check_response(schema, requests.post(f"{emu.url}{ORG}/workflows/", json=body,
                                                   headers=AUTH, timeout=5),
                             index, "post", 201)
    assert created["detectorIds"] == [det["id"]]

    detail = P_ORG + "/workflows/{workflow_id}/"
    url = f"{emu.url}{ORG}/workflows/{created['id']}/"
    check_response(schema, requests.get(url, headers=AUTH, timeout=5), detail, "get", 200)
    update = {"name": "renamed", "enabled": False, "config": {"frequency": 30},
              "detectorIds": [int(det["id"])]}
    check_request(schema, update, detail, "put")
    check_response(schema, requests.put(url, json=update, headers=AUTH, timeout=5), detail,
                   "put", 200)
    check_response(schema, requests.get(f"{emu.url}{ORG}/workflows/", headers=AUTH, timeout=5),
                   index, "get", 200)
    # The detector's response reflects the link and still matches its schema.
    check_response(schema, requests.get(f"{emu.url}{ORG}/detectors/{det['id']}/", headers=AUTH,
                                        timeout=5),
                   P_ORG + "/detectors/{detector_id}/", "get", 200)
    resp = requests.delete(url, headers=AUTH, timeout=5)
    assert str(resp.status_code) in schema[detail]["delete"]["responses"]
    assert resp.status_code == 204 and resp.content == b""


def test_schema_examples_are_accepted_by_the_checks(schema):
    """The converted schemas accept Sentry's own examples (so the checks above are fair)."""
    cases = [(P_ORG + "/projects/{project_id_or_slug}/detectors/", "post", 201),
             (P_ORG + "/detectors/", "get", 200), (P_ORG + "/workflows/", "post", 201),
             (P_ORG + "/workflows/{workflow_id}/", "get", 200)]
    for path, method, status in cases:
        content = schema[path][method]["responses"][str(status)]["content"]["application/json"]
        for example in content["examples"].values():
            jsonschema.validate(example["value"], to_json_schema(content["schema"]))


def test_a_wrong_shape_fails_the_check(schema):
    """A response with a numeric id (Sentry's are strings) must not pass."""
    content = schema[P_ORG + "/detectors/{detector_id}/"]["get"]["responses"]["200"]
    example = copy.deepcopy(next(iter(content["content"]["application/json"]["examples"].values()))
                            ["value"])
    example["id"] = 123
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(example, to_json_schema(
            content["content"]["application/json"]["schema"]))
