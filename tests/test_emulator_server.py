"""The emulator's server: auth, profiles, rate limits, faults on demand, the admin API, the
request log, out-of-band edits, state files and the CLI. All through real sockets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sentry_alerts.emulator import ADMIN_TOKEN, NO_SCOPES_TOKEN, RateLimit
from sentry_alerts.emulator.seed import load_seed

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORG = "/api/0/organizations/acme/"
RULES = ORG + "alert-rules/"
GONE = {"message": "This API no longer exists."}
RULE = {"name": "p95", "projects": ["backend"], "dataset": "events_analytics_platform",
        "aggregate": "p95(span.duration)", "query": "", "timeWindow": 5, "thresholdType": 0,
        "triggers": [{"label": "critical", "alertThreshold": 750, "actions": [
            {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
             "inputChannelId": "C0OPS00001", "integrationId": 31}]}]}


def get(emu, path, headers=AUTH, **kw):
    return requests.get(emu.url + path, headers=headers, timeout=5, **kw)


@pytest.fixture
def legacy(emulator_factory):
    return emulator_factory(profile="self-hosted-26.7")


# --- auth ---

@pytest.mark.parametrize(("header", "body"), [
    (None, {"detail": "Authentication credentials were not provided."}),
    ("Basic dXNlcjpwYXNz", {"detail": "Authentication credentials were not provided."}),
    ("Bearer", {"detail": "Invalid token header. No credentials provided."}),
    ("Bearer a b", {"detail": "Invalid token header. Token string should not contain spaces."}),
    ("Bearer sntryu_not_a_real_token", {"detail": "Invalid token"}),
])
def test_bad_credentials_get_401_with_sentrys_body(emulator, header, body):
    headers = {"Authorization": header} if header else {}
    resp = get(emulator, ORG, headers=headers)
    assert (resp.status_code, resp.json()) == (401, body)


def test_missing_scope_gets_403(emulator):
    resp = get(emulator, ORG, headers={"Authorization": f"Bearer {NO_SCOPES_TOKEN}"})
    assert (resp.status_code, resp.json()) == (
        403, {"detail": "You do not have permission to perform this action."})


def test_unknown_path_is_404_and_wrong_method_405(emulator):
    assert get(emulator, "/api/0/nothing-here/").status_code == 404
    resp = requests.patch(emulator.url + ORG, headers=AUTH, timeout=5)
    assert resp.status_code == 405


# --- lookups ---

def test_org_links_point_at_the_emulator(emulator):
    links = get(emulator, ORG).json()["links"]
    assert links == {"organizationUrl": emulator.url, "regionUrl": emulator.url}
    assert get(emulator, "/api/0/organizations/1/").json()["slug"] == "acme"  # id works too
    assert get(emulator, "/api/0/organizations/nope/").status_code == 404


def test_lookups_give_ids_a_client_needs(emulator):
    slack = get(emulator, ORG + "integrations/?provider_key=slack").json()
    assert [(i["id"], i["name"]) for i in slack] == [("31", "Acme")]
    assert get(emulator, ORG + "integrations/?providerKey=github").json() == []
    members = get(emulator, ORG + "members/").json()
    assert {m["email"]: m["user"]["id"] for m in members} == {
        "alice@acme.example": "101", "bob@acme.example": "102", "carol@acme.example": "103"}
    envs = get(emulator, "/api/0/projects/acme/backend/environments/").json()
    assert [e["name"] for e in envs] == ["production", "staging"]
    teams = get(emulator, "/api/0/projects/acme/backend/teams/").json()
    assert [t["slug"] for t in teams] == ["backend", "sre"]


# --- profiles ---

def test_saas_2026_legacy_api_is_gone(emulator):
    resp = get(emulator, RULES)
    assert (resp.status_code, resp.json()) == (410, GONE)
    assert resp.headers["X-Sentry-Replacement-Endpoint"] == "/api/0/organizations/acme/detectors/"
    assert requests.post(emulator.url + RULES, json=RULE, headers=AUTH, timeout=5).status_code == 410
    assert get(emulator, RULES, headers={}).status_code == 401  # auth runs first
    task = get(emulator, "/api/0/projects/acme/backend/alert-rule-task/" + "0" * 32 + "/")
    assert task.status_code == 404  # the route was removed outright
    detectors = get(emulator, ORG + "detectors/")
    assert detectors.status_code == 200
    assert "X-Sentry-Rate-Limit-Limit" in detectors.headers


def test_saas_2026_05_serves_legacy_with_deprecation_headers(emulator_factory):
    emu = emulator_factory(profile="saas-2026-05")
    resp = get(emu, RULES)
    assert resp.status_code == 200
    assert resp.headers["X-Sentry-Deprecation-Date"] == "2026-05-14T00:00:00+00:00"
    assert resp.headers["X-Sentry-Rate-Limit-Limit"] == "40"
    assert resp.headers["X-Sentry-Rate-Limit-ConcurrentLimit"] == "25"


def test_self_hosted_25_has_no_monitors_no_rate_limits_and_takes_generic_metrics(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25")
    assert get(emu, ORG + "detectors/").status_code == 404
    assert get(emu, ORG + "workflows/").status_code == 404
    body = dict(RULE, dataset="generic_metrics", aggregate="p95(transaction.duration)")
    resp = requests.post(emu.url + RULES, json=body, headers=AUTH, timeout=5)
    assert resp.status_code == 201, resp.text
    assert not [h for h in resp.headers if h.startswith("X-Sentry-Rate-Limit")]
    assert "X-Sentry-Deprecation-Date" not in resp.headers


def test_self_hosted_26_7_has_both_apis_and_refuses_transaction_datasets(legacy):
    assert get(legacy, ORG + "detectors/").status_code == 200
    assert get(legacy, RULES).status_code == 200
    body = dict(RULE, dataset="generic_metrics", aggregate="p95(transaction.duration)")
    resp = requests.post(legacy.url + RULES, json=body, headers=AUTH, timeout=5)
    assert resp.status_code == 400 and resp.json()[0].startswith("Creation of transaction-based")
    assert not [h for h in resp.headers if h.startswith("X-Sentry-Rate-Limit")]


def test_unknown_profile_is_refused(emulator_factory):
    with pytest.raises(ValueError, match="choose one of"):
        emulator_factory(profile="saas-1999")


# --- rate limits ---

def test_rate_limit_window_and_headers(emulator_factory):
    # A long window: fixed windows are aligned to the clock, and a short one could roll over
    # in the middle of the test.
    emu = emulator_factory(profile="saas-2026", rate_limits=RateLimit(limit=3, window=3600,
                                                                        concurrent=5))
    remaining = [get(emu, ORG).headers["X-Sentry-Rate-Limit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    resp = get(emu, ORG)
    assert (resp.status_code, resp.json()) == (429, {"detail": (
        "You are attempting to use this endpoint too frequently. Limit is 3 requests in 3600 "
        "seconds")})
    assert "Retry-After" not in resp.headers
    assert int(resp.headers["X-Sentry-Rate-Limit-Reset"]) > time.time()
    assert get(emu, ORG + "projects/").status_code == 200  # per route
    other = {"Authorization": "Bearer sntryu_emulator_alerts_000000000000000"}
    assert get(emu, ORG, headers=other).status_code == 200  # per token


def test_concurrency_limit(emulator_factory):
    emu = emulator_factory(profile="saas-2026", rate_limits=RateLimit(limit=100, window=60,
                                                                        concurrent=1))
    emu.faults.latency(0.4, route="organizations.get", times=1)
    results: list[requests.Response] = []
    slow = threading.Thread(target=lambda: results.append(get(emu, ORG)))
    slow.start()
    time.sleep(0.15)
    second = get(emu, ORG)
    slow.join()
    assert results[0].status_code == 200
    assert (second.status_code, second.json()) == (429, {"detail": (
        "You are attempting to go above the allowed concurrency for this endpoint. "
        "Concurrency limit is 1")})


# --- faults ---

def test_latency_fault(legacy):
    legacy.faults.latency(0.3, route="alert_rules.list", times=1)
    start = time.monotonic()
    assert get(legacy, RULES).status_code == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    get(legacy, RULES)
    assert time.monotonic() - start < 0.3


def test_5xx_burst_then_recovery(legacy):
    legacy.faults.error_burst(2, status=503, route="alert_rules.*", method="GET")
    statuses = [get(legacy, RULES).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    legacy.faults.error_burst(1, path=r"/alert-rules/$")
    resp = get(legacy, RULES)
    assert resp.status_code == 500 and resp.json()["detail"] == "Internal Error"
    assert len(resp.json()["errorId"]) == 32


def test_429_storm(legacy):
    legacy.faults.rate_limit_storm(2, route="alert_rules.create")
    for _ in range(2):
        resp = requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5)
        assert resp.status_code == 429 and "Retry-After" not in resp.headers
        assert resp.json()["detail"].startswith("You are attempting to use this endpoint too")
    assert requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5).status_code == 201


def test_410_brownout(legacy):
    legacy.faults.brownout(1, route="alert_rules.list")
    resp = get(legacy, RULES)
    assert (resp.status_code, resp.json()) == (410, GONE)
    assert get(legacy, RULES).status_code == 200


def test_connection_reset_changes_nothing(legacy):
    legacy.faults.reset(route="alert_rules.create")
    with pytest.raises(requests.ConnectionError):
        requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5)
    assert legacy.state.org("acme").alert_rules == {}
    assert legacy.request_log[-1] == ("POST", RULES, 0)


def test_response_dropped_after_commit(legacy):
    legacy.faults.drop_after_commit(route="alert_rules.create")
    with pytest.raises(requests.ConnectionError):
        requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5)
    listed = get(legacy, RULES).json()
    assert [r["name"] for r in listed] == ["p95"]  # the change was committed


def test_failing_page_in_the_middle_of_a_list(emulator_factory):
    seed = load_seed(None)
    seed["organizations"][0]["alert_rules"] = [dict(RULE, name=f"r{i}") for i in range(5)]
    emu = emulator_factory(profile="self-hosted-26.7", seed=seed)
    emu.faults.failing_page(2, route="alert_rules.list")
    first = get(emu, RULES + "?per_page=2")
    assert first.status_code == 200
    second = requests.get(first.links["next"]["url"], headers=AUTH, timeout=5)
    assert second.status_code == 500
    third = get(emu, RULES + "?per_page=2&cursor=2:2:0")
    assert third.status_code == 200 and len(third.json()) == 1
    assert requests.get(first.links["next"]["url"], headers=AUTH, timeout=5).status_code == 200


def test_fault_kind_and_page_are_checked():
    from sentry_alerts.emulator.faults import FaultSet

    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultSet().add("meteor")
    with pytest.raises(ValueError, match="page >= 1"):
        FaultSet().add("page_error")


# --- out-of-band edits, admin API, request log ---

def test_out_of_band_edit_and_delete(legacy):
    created = requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5).json()
    edited = legacy.edit("alert_rule", created["id"], {"name": "edited in the UI"})
    assert edited["name"] == "edited in the UI" and edited["dateModified"] != created["dateModified"]
    assert get(legacy, f"{RULES}{created['id']}/").json()["name"] == "edited in the UI"
    legacy.delete("alert_rule", created["id"])
    assert get(legacy, f"{RULES}{created['id']}/").status_code == 404
    with pytest.raises(KeyError):
        legacy.delete("alert_rule", created["id"])


def test_admin_api(legacy):
    admin = legacy.url + "/__emulator__/"
    assert requests.get(admin, timeout=5).json()["profile"] == "self-hosted-26.7"
    fault = requests.post(admin + "faults", json={"kind": "error", "status": 502,
                                                  "route": "alert_rules.list"}, timeout=5)
    assert fault.status_code == 201 and fault.json()["status"] == 502
    assert len(requests.get(admin + "faults", timeout=5).json()) == 1
    assert get(legacy, RULES).status_code == 502
    bad = requests.post(admin + "faults", json={"kind": "meteor"}, timeout=5)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["detail"]
    requests.post(admin + "faults", json={"kind": "reset"}, timeout=5)
    assert requests.delete(admin + "faults", timeout=5).status_code == 204
    assert get(legacy, RULES).status_code == 200

    created = requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5).json()
    edit = requests.post(admin + "edit", json={"kind": "alert_rule", "id": created["id"],
                                               "changes": {"name": "ui"}}, timeout=5)
    assert edit.json()["name"] == "ui"
    state = requests.get(admin + "state", timeout=5).json()
    assert state["organizations"][0]["stored_alert_rules"][0]["name"] == "ui"
    gone = requests.post(admin + "edit", json={"kind": "alert_rule", "id": created["id"],
                                               "delete": True}, timeout=5)
    assert gone.status_code == 204 and legacy.state.org("acme").alert_rules == {}

    log = requests.get(admin + "log", timeout=5).json()
    assert {"method": "GET", "path": RULES, "status": 502} in log
    assert all(not e["path"].startswith("/__emulator__") for e in log)
    assert requests.delete(admin + "log", timeout=5).status_code == 204
    assert legacy.request_log == []


def test_request_log_counts_calls(legacy):
    for _ in range(3):
        get(legacy, RULES + "?per_page=5")
    requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5)
    assert len(legacy.calls("GET", "/alert-rules/")) == 3
    assert legacy.calls("POST") == [("POST", RULES, 201)]


def test_concurrent_creates_get_distinct_ids(legacy):
    ids: list[str] = []

    def create() -> None:
        ids.append(requests.post(legacy.url + RULES, json=RULE, headers=AUTH, timeout=5).json()["id"])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 8


# --- state files and seeds ---

def test_state_file_survives_a_restart(emulator_factory, tmp_path: Path):
    path = tmp_path / "state.json"
    first = emulator_factory(profile="self-hosted-26.7", state_file=path)
    created = requests.post(first.url + RULES, json=RULE, headers=AUTH, timeout=5).json()
    first.stop()
    assert json.loads(path.read_text())["organizations"][0]["stored_alert_rules"]
    second = emulator_factory(profile="self-hosted-26.7", state_file=path)
    assert get(second, f"{RULES}{created['id']}/").json()["name"] == "p95"
    again = requests.post(second.url + RULES, json=RULE, headers=AUTH, timeout=5).json()
    assert int(again["id"]) > int(created["id"])


def test_bad_seed_rule_is_named(emulator_factory):
    seed = load_seed(None)
    seed["organizations"][0]["alert_rules"] = [dict(RULE, name="broken", timeWindow=0)]
    with pytest.raises(ValueError, match="seed alert rule 'broken'"):
        emulator_factory(profile="self-hosted-26.7", seed=seed)


def test_seed_file_in_yaml(emulator_factory, tmp_path: Path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("organizations:\n  - slug: other\n    projects: [{slug: api}]\n"
                    "tokens:\n  - {token: t0k3n, scopes: [org:read]}\n")
    emu = emulator_factory(seed=seed)
    resp = get(emu, "/api/0/organizations/other/projects/", headers={"Authorization": "Bearer t0k3n"})
    assert [p["slug"] for p in resp.json()] == ["api"]


# --- the CLI ---

def test_cli_serves_until_interrupted():
    exe = Path(sys.executable).with_name("sentry-alerts")
    proc = subprocess.Popen([str(exe), "emulator", "--port", "0", "--profile", "self-hosted-25"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[-1].strip()
        assert requests.get(url + ORG, headers=AUTH, timeout=5).status_code == 200
    finally:
        proc.send_signal(2)
        out, err = proc.communicate(timeout=10)
    assert "Emulator stopped." in out and "Traceback" not in err


def test_cli_bad_profile_is_a_clear_error():
    exe = Path(sys.executable).with_name("sentry-alerts")
    done = subprocess.run([str(exe), "emulator", "--profile", "nope"], capture_output=True,
                          text=True, timeout=30, env={**os.environ})
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot start the emulator: unknown emulator profile")


def test_seeded_monitors_and_their_out_of_band_edits(emulator_factory):
    detector = {
        "name": "seeded monitor", "type": "metric_issue", "project": "backend",
        "dataSources": [{"queryType": 1, "dataset": "events_analytics_platform",
                         "aggregate": "p95(span.duration)", "query": "is_transaction:true",
                         "timeWindow": 300, "environment": "production",
                         "eventTypes": ["trace_item_span"]}],
        "conditionGroup": {"logicType": "any", "conditions": [
            {"type": "gt", "comparison": 750, "conditionResult": 75},
            {"type": "lte", "comparison": 750, "conditionResult": 0}]},
        "config": {"detectionType": "static"},
    }
    seed = load_seed(None)
    seed["organizations"][0]["detectors"] = [detector]
    emu = emulator_factory(profile="self-hosted-26.7", seed=seed)
    listed = get(emu, ORG + "detectors/").json()
    assert [d["name"] for d in listed] == ["seeded monitor"]
    detector_id = listed[0]["id"]
    emu.edit("detector", detector_id, {"name": "renamed in the UI"})
    assert get(emu, f"{ORG}detectors/{detector_id}/").json()["name"] == "renamed in the UI"
    emu.delete("detector", detector_id)
    assert get(emu, f"{ORG}detectors/{detector_id}/").status_code == 404
    # A profile without monitors does not seed them (no route could show them).
    assert emulator_factory(profile="self-hosted-25", seed=seed).state.org("acme").detectors == {}
