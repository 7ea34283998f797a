"""The emulator's legacy metric alert rules: CRUD, PUT semantics, the async Slack path, listing
and its headers (sentry-api-notes.md §1-§3, checklist §7)."""

from __future__ import annotations

import time

import pytest
import requests

from sentry_alerts.emulator import ADMIN_TOKEN, READ_ONLY_TOKEN
from sentry_alerts.emulator.seed import load_seed
from sentry_alerts.emulator.slack_task import SLACK_FAILED_MESSAGE, SLACK_RATE_LIMITED_MESSAGE

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
RULES = "/api/0/organizations/acme/alert-rules/"


def rule(name: str = "p95 latency", channel: str = "#ops-alerts", channel_id: str | None = "C0OPS00001",
         **extra) -> dict:
    slack = {"type": "slack", "targetType": "specific", "targetIdentifier": channel,
             "integrationId": 31}
    if channel_id:
        slack["inputChannelId"] = channel_id
    return {"name": name, "projects": ["backend"], "environment": "production",
            "dataset": "events_analytics_platform", "aggregate": "p95(span.duration)",
            "query": "is_transaction:true", "timeWindow": 5, "thresholdType": 0,
            "triggers": [{"label": "critical", "alertThreshold": 750, "actions": [slack]}],
            **extra}


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(profile="self-hosted-26.7")


def post(emu, body, token=ADMIN_TOKEN, path=RULES):
    return requests.post(emu.url + path, json=body, timeout=5,
                         headers={"Authorization": f"Bearer {token}"})


def wait_task(emu, uuid: str, project: str = "backend", deadline: float = 3.0) -> dict:
    url = f"{emu.url}/api/0/projects/acme/{project}/alert-rule-task/{uuid}/"
    end = time.monotonic() + deadline
    while True:
        body = requests.get(url, headers=AUTH, timeout=5).json()
        if body["status"] != "pending" or time.monotonic() > end:
            return body
        time.sleep(0.02)


def test_create_get_delete_roundtrip(emu):
    created = post(emu, rule())
    assert created.status_code == 201
    rule_id = created.json()["id"]
    got = requests.get(f"{emu.url}{RULES}{rule_id}/", headers=AUTH, timeout=5)
    assert got.status_code == 200 and got.json()["name"] == "p95 latency"
    deleted = requests.delete(f"{emu.url}{RULES}{rule_id}/", headers=AUTH, timeout=5)
    assert deleted.status_code == 204
    again = requests.get(f"{emu.url}{RULES}{rule_id}/", headers=AUTH, timeout=5)
    assert (again.status_code, again.json()) == (404, {"detail": "The requested resource does not exist"})
    assert requests.delete(f"{emu.url}{RULES}{rule_id}/", headers=AUTH, timeout=5).status_code == 404


def test_names_are_not_unique(emu):
    assert post(emu, rule()).status_code == 201
    assert post(emu, rule()).status_code == 201
    assert len(emu.state.org("acme").alert_rules) == 2


def test_snake_case_input_is_accepted_and_answered_in_camel_case(emu):
    body = {"name": "snake", "projects": ["backend"], "dataset": "events_analytics_platform",
            "aggregate": "p95(span.duration)", "query": "", "time_window": 10,
            "threshold_type": 0, "resolve_threshold": 700,
            "triggers": [{"label": "critical", "alert_threshold": 750, "actions": [
                {"type": "slack", "target_type": "specific", "target_identifier": "#backend",
                 "input_channel_id": "C0BACKEND1", "integration_id": 31}]}]}
    resp = post(emu, body)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert (data["timeWindow"], data["resolveThreshold"]) == (10.0, 700.0)
    assert data["triggers"][0]["actions"][0]["inputChannelId"] == "C0BACKEND1"


def test_put_without_ids_replaces_triggers_and_actions_with_fresh_ids(emu):
    first = post(emu, rule()).json()
    old_trigger = first["triggers"][0]
    resp = requests.put(f"{emu.url}{RULES}{first['id']}/", json=rule(), headers=AUTH, timeout=5)
    assert resp.status_code == 200
    new_trigger = resp.json()["triggers"][0]
    assert new_trigger["id"] != old_trigger["id"]
    assert new_trigger["actions"][0]["id"] != old_trigger["actions"][0]["id"]


def test_put_with_ids_keeps_them_and_drops_unlisted_triggers(emu):
    body = rule()
    body["triggers"].append({"label": "warning", "alertThreshold": 500,
                             "actions": body["triggers"][0]["actions"]})
    first = post(emu, body).json()
    critical = first["triggers"][0]
    update = rule()
    update["triggers"][0]["id"] = critical["id"]
    update["triggers"][0]["actions"][0]["id"] = critical["actions"][0]["id"]
    update["triggers"][0]["alertThreshold"] = 800
    resp = requests.put(f"{emu.url}{RULES}{first['id']}/", json=update, headers=AUTH, timeout=5)
    triggers = resp.json()["triggers"]
    assert [t["label"] for t in triggers] == ["critical"]
    assert triggers[0]["id"] == critical["id"] and triggers[0]["alertThreshold"] == 800.0
    assert triggers[0]["actions"][0]["id"] == critical["actions"][0]["id"]


def test_put_leaving_out_environment_clears_it_but_keeps_owner(emu):
    first = post(emu, rule(owner="team:11")).json()
    assert first["environment"] == "production"
    body = rule(owner="team:11")
    del body["environment"], body["owner"]
    resp = requests.put(f"{emu.url}{RULES}{first['id']}/", json=body, headers=AUTH, timeout=5)
    assert resp.json()["environment"] is None
    assert resp.json()["owner"] == "team:11"
    cleared = requests.put(f"{emu.url}{RULES}{first['id']}/", json=rule(owner=None),
                           headers=AUTH, timeout=5)
    assert cleared.json()["owner"] is None


def test_mismatched_channel_name_is_auto_corrected_from_the_id(emu):
    resp = post(emu, rule(channel="#wrong-name", channel_id="C0BACKEND1"))
    action = resp.json()["triggers"][0]["actions"][0]
    assert (action["targetIdentifier"], action["inputChannelId"]) == ("#backend", "C0BACKEND1")


def test_slack_name_only_goes_async_and_succeeds(emu):
    resp = post(emu, rule(channel="#backend", channel_id=None))
    assert resp.status_code == 202
    uuid = resp.json()["uuid"]
    assert len(uuid) == 32 and int(uuid, 16) >= 0
    assert emu.state.org("acme").alert_rules == {}  # nothing created yet
    done = wait_task(emu, uuid)
    assert done["status"] == "success" and done["error"] is None
    action = done["alertRule"]["triggers"][0]["actions"][0]
    assert (action["targetIdentifier"], action["inputChannelId"]) == ("#backend", "C0BACKEND1")
    listed = requests.get(emu.url + RULES, headers=AUTH, timeout=5).json()
    assert [r["id"] for r in listed] == [done["alertRule"]["id"]]


def test_task_stays_pending_for_the_configured_delay(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7", slack_task_delay=0.4)
    uuid = post(emu, rule(channel="#backend", channel_id=None)).json()["uuid"]
    first = requests.get(f"{emu.url}/api/0/projects/acme/backend/alert-rule-task/{uuid}/",
                         headers=AUTH, timeout=5).json()
    assert first == {"status": "pending", "alertRule": None, "error": None}
    assert wait_task(emu, uuid)["status"] == "success"


@pytest.mark.parametrize("channel", ["#no-such-channel", "#leadership"])
def test_async_lookup_of_unknown_or_uninvited_channel_fails(emu, channel):
    uuid = post(emu, rule(channel=channel, channel_id=None)).json()["uuid"]
    assert wait_task(emu, uuid) == {"status": "failed", "alertRule": None,
                                    "error": SLACK_FAILED_MESSAGE}
    assert emu.state.org("acme").alert_rules == {}


def test_async_lookup_can_be_rate_limited_by_slack(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7", slack_task_outcome={"backend": "rate_limited"})
    uuid = post(emu, rule(channel="#backend", channel_id=None)).json()["uuid"]
    assert wait_task(emu, uuid)["error"] == SLACK_RATE_LIMITED_MESSAGE


def test_async_put_updates_the_rule_later(emu):
    first = post(emu, rule()).json()
    resp = requests.put(f"{emu.url}{RULES}{first['id']}/",
                        json=rule(name="renamed", channel="backend", channel_id=None),
                        headers=AUTH, timeout=5)
    assert resp.status_code == 202
    done = wait_task(emu, resp.json()["uuid"])
    assert done["alertRule"]["id"] == first["id"] and done["alertRule"]["name"] == "renamed"


def test_unknown_task_uuid_reads_pending(emu):
    url = f"{emu.url}/api/0/projects/acme/backend/alert-rule-task/{'0' * 32}/"
    assert requests.get(url, headers=AUTH, timeout=5).json() == {
        "status": "pending", "alertRule": None, "error": None}


def test_task_of_another_project_is_404_once_done(emu):
    uuid = post(emu, rule(channel="#backend", channel_id=None)).json()["uuid"]
    wait_task(emu, uuid)
    url = f"{emu.url}/api/0/projects/acme/frontend/alert-rule-task/{uuid}/"
    assert requests.get(url, headers=AUTH, timeout=5).status_code == 404


def test_list_headers_and_project_filters(emu):
    for name in ("a", "b"):
        post(emu, rule(name=name))
    resp = requests.get(emu.url + RULES, headers=AUTH, timeout=5)
    assert [r["name"] for r in resp.json()] == ["b", "a"]  # newest first
    assert resp.headers["X-Sentry-Alert-Rule-Hits"] == "2"
    assert resp.headers["X-Sentry-Rule-Limit"] == "1000"
    assert resp.headers["X-Hits"] == "2"
    both = requests.get(emu.url + RULES + "?project=21&projectSlug=backend", headers=AUTH,
                        timeout=5)
    assert (both.status_code, both.json()) == (400, {"detail": "Cannot query for both ids and slugs"})
    other = requests.get(emu.url + RULES + "?projectSlug=frontend", headers=AUTH, timeout=5)
    assert other.json() == []


def test_project_scoped_routes(emu):
    created = post(emu, {**rule(), "projects": ["ignored"]},
                   path="/api/0/projects/acme/backend/alert-rules/")
    assert created.status_code == 201 and created.json()["projects"] == ["backend"]
    rule_id = created.json()["id"]
    own = requests.get(f"{emu.url}/api/0/projects/acme/backend/alert-rules/{rule_id}/",
                       headers=AUTH, timeout=5)
    assert own.status_code == 200
    other = requests.get(f"{emu.url}/api/0/projects/acme/frontend/alert-rules/{rule_id}/",
                         headers=AUTH, timeout=5)
    assert other.status_code == 404


def test_pagination_walks_260_rules_by_link_header(emulator_factory):
    seed = load_seed(None)
    body = rule()
    seed["organizations"][0]["alert_rules"] = [dict(body, name=f"rule {i}") for i in range(260)]
    emu = emulator_factory(profile="self-hosted-26.7", seed=seed)
    url, seen, pages = emu.url + RULES + "?per_page=100", [], 0
    while url:
        resp = requests.get(url, headers=AUTH, timeout=5)
        assert resp.status_code == 200 and resp.headers["X-Hits"] == "260"
        seen += [r["id"] for r in resp.json()]
        pages += 1
        nxt = resp.links["next"]
        assert "previous" in resp.links
        url = nxt["url"] if nxt["results"] == "true" else None
    assert pages == 3 and len(seen) == len(set(seen)) == 260
    first = requests.get(emu.url + RULES, headers=AUTH, timeout=5)
    assert len(first.json()) == 25  # default per_page
    assert 'rel="previous"; results="false"' in first.headers["Link"]


def test_the_rule_limit_is_a_server_setting_that_can_be_raised(emulator_factory):
    """Sentry's MAX_QUERY_SUBSCRIPTIONS_PER_ORG (1000 by default, test above): the emulator's
    `alert_rule_limit` option, so benchmarks can hold 10,000 legacy rules."""
    seed = load_seed(None)
    seed["organizations"][0]["alert_rules"] = [dict(rule(), name=f"rule {i}") for i in range(3)]
    capped = emulator_factory(profile="self-hosted-26.7", seed=seed, alert_rule_limit=3)
    refused = post(capped, rule(name="fourth"))
    assert (refused.status_code, refused.json()) == (
        400, ["You may not exceed 3 metric alerts per organization"])
    listed = requests.get(capped.url + RULES, headers=AUTH, timeout=5)
    assert listed.headers["X-Sentry-Rule-Limit"] == "3"
    raised = emulator_factory(profile="self-hosted-26.7", seed=seed, alert_rule_limit=4)
    assert post(raised, rule(name="fourth")).status_code == 201


@pytest.mark.parametrize(("query", "detail"), [
    ("per_page=abc", "Invalid per_page parameter."),
    ("per_page=101", "Invalid per_page value. Must be between 1 and 100."),
    ("per_page=0", "Invalid per_page value. Must be between 1 and 100."),
    ("cursor=garbage", "Invalid cursor parameter."),
    ("cursor=25:-1:1", "Pagination offset cannot be negative"),
])
def test_pagination_errors(emu, query, detail):
    resp = requests.get(f"{emu.url}{RULES}?{query}", headers=AUTH, timeout=5)
    assert (resp.status_code, resp.json()) == (400, {"detail": detail})


def test_read_only_token_cannot_create_update_or_delete(emu):
    created = post(emu, rule()).json()
    forbidden = {"detail": "You do not have permission to perform this action."}
    resp = post(emu, rule(), token=READ_ONLY_TOKEN)
    assert (resp.status_code, resp.json()) == (403, forbidden)
    ro = {"Authorization": f"Bearer {READ_ONLY_TOKEN}"}
    for method in ("PUT", "DELETE"):
        resp = requests.request(method, f"{emu.url}{RULES}{created['id']}/", json=rule(),
                                headers=ro, timeout=5)
        assert (resp.status_code, resp.json()) == (403, forbidden)
    assert requests.get(emu.url + RULES, headers=ro, timeout=5).status_code == 200


def test_org_without_incidents_feature_gets_404_but_may_delete(emulator_factory):
    seed = load_seed(None)
    seed["organizations"][0]["alert_rules"] = [rule()]
    seed["organizations"][0]["features"] = []
    emu = emulator_factory(profile="self-hosted-26.7", seed=seed)
    assert requests.get(emu.url + RULES, headers=AUTH, timeout=5).status_code == 404
    assert post(emu, rule()).status_code == 404
    rule_id = next(iter(emu.state.org("acme").alert_rules))
    assert requests.delete(f"{emu.url}{RULES}{rule_id}/", headers=AUTH,
                           timeout=5).status_code == 204


def test_available_actions_lists_slack_workspaces(emu):
    resp = requests.get(emu.url + RULES + "available-actions/", headers=AUTH, timeout=5)
    assert {"type": "slack", "allowedTargetTypes": ["specific"], "integrationName": "Acme",
            "integrationId": 31} in resp.json()


def test_percent_rule_gets_percent_detection_and_doubled_resolution(emu):
    resp = post(emu, rule(comparisonDelta=60, timeWindow=30))
    data = resp.json()
    assert (data["detectionType"], data["comparisonDelta"], data["resolution"]) == (
        "percent", 60.0, 4.0)


def test_task_can_stay_pending_forever(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7", slack_task_delay=None)
    uuid = post(emu, rule(channel="#backend", channel_id=None)).json()["uuid"]
    assert wait_task(emu, uuid, deadline=0.3)["status"] == "pending"
