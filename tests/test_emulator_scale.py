"""The emulator's lists cost O(page), not O(all alerts), per page (issue 11): a page serves only
its own items, and serving a detector never scans the workflows. Pinned by counting the work
(objects served, passes over the stored workflows), not by timing; and the workflow-link index
that makes it so is checked against the stored links after every kind of write.
"""

from __future__ import annotations

import random

import pytest
import requests
from test_emulator_monitors import DETECTOR, ORG, create_detector, with_changes, workflow

from sentry_alerts.emulator import ADMIN_TOKEN, alert_rules, monitors_store
from sentry_alerts.emulator import detectors as detector_endpoints
from sentry_alerts.emulator import workflows as workflow_endpoints

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class CountingDict(dict):
    """The organization's stored workflows, counting every pass over all of them."""

    passes = 0

    def _counted(self, method, *args):
        type(self).passes += 1
        return getattr(super(), method)(*args)

    def __iter__(self):
        return self._counted("__iter__")

    def items(self):
        return self._counted("items")

    def values(self):
        return self._counted("values")

    def keys(self):
        return self._counted("keys")


@pytest.fixture
def served(monkeypatch):
    """How many objects each list call copied and served (the real functions still run)."""
    counts = {"detector": 0, "workflow": 0, "rule": 0}

    def counting(kind, real):
        def serve(*args, **kwargs):
            counts[kind] += 1
            return real(*args, **kwargs)
        return serve

    # Patched where the list handlers look them up.
    monkeypatch.setattr(detector_endpoints, "serve_detector",
                        counting("detector", detector_endpoints.serve_detector))
    monkeypatch.setattr(workflow_endpoints, "serve_workflow",
                        counting("workflow", workflow_endpoints.serve_workflow))
    monkeypatch.setattr(alert_rules, "serialize", counting("rule", alert_rules.serialize))
    return counts


def legacy_rule(name: str) -> dict:
    return {"name": name, "aggregate": "p95(span.duration)",
            "dataset": "events_analytics_platform", "eventTypes": ["trace_item_span"],
            "query": "", "timeWindow": 5, "thresholdType": 0, "projects": ["backend"],
            "triggers": [{"label": "critical", "alertThreshold": 750, "actions": [
                {"type": "email", "targetType": "team", "targetIdentifier": "11"}]}]}


def list_page(emu, path, cursor=None, per_page=25, **params):
    query = {"project": "-1", "per_page": per_page, **params}
    if cursor:
        query["cursor"] = cursor
    resp = requests.get(f"{emu.url}{path}", params=query, headers=AUTH, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp


def test_a_detector_page_serves_its_own_items_and_never_scans_the_workflows(emulator_factory,
                                                                             served):
    emu = emulator_factory(rate_limits=None)
    ids = [int(create_detector(emu, with_changes(DETECTOR, name=f"monitor {i}"))["id"])
           for i in range(60)]
    shared = requests.post(f"{emu.url}{ORG}/workflows/", json=workflow(ids), headers=AUTH,
                           timeout=10).json()
    org = emu.state.org("acme")
    with emu.lock:
        org.workflows = CountingDict(org.workflows)
    served["detector"] = CountingDict.passes = 0

    pages, cursor = [], None
    while True:
        resp = list_page(emu, f"{ORG}/detectors/", cursor)
        pages.append(resp.json())
        if resp.links["next"]["results"] != "true":
            break
        cursor = resp.links["next"]["cursor"]

    assert [len(p) for p in pages] == [25, 25, 10]
    assert served["detector"] == 60  # each detector once, on its own page only
    assert CountingDict.passes == 0  # workflowIds from the link index, not a scan
    assert all(d["workflowIds"] == [shared["id"]] for page in pages for d in page)
    assert list_page(emu, f"{ORG}/detectors/").headers["X-Hits"] == "60"


def test_a_workflow_page_and_a_legacy_rule_page_serve_only_their_items(emulator_factory,
                                                                       served):
    emu = emulator_factory(profile="self-hosted-26.7")
    detector = int(create_detector(emu)["id"])
    for i in range(30):
        requests.post(f"{emu.url}{ORG}/workflows/",
                      json=workflow([detector], name=f"alert {i}"), headers=AUTH, timeout=10)
        rule = legacy_rule(f"rule {i}")
        made = requests.post(f"{emu.url}{ORG}/alert-rules/", json=rule, headers=AUTH,
                             timeout=10)
        assert made.status_code == 201, made.text
    served["workflow"] = served["rule"] = 0

    workflows = list_page(emu, f"{ORG}/workflows/", per_page=10).json()
    rules = list_page(emu, f"{ORG}/alert-rules/", per_page=10)

    assert (len(workflows), served["workflow"]) == (10, 10)
    assert (len(rules.json()), served["rule"]) == (10, 10)
    assert rules.headers["X-Sentry-Alert-Rule-Hits"] == "30"
    assert [r["name"] for r in rules.json()] == [f"rule {i}" for i in range(29, 19, -1)]


def _expected_links(emu) -> dict[str, list[str]]:
    """workflowIds as the stored links say (a brute-force scan: what the index replaces)."""
    org = emu.state.org("acme")
    with emu.lock:
        out = {}
        for detector_id, detector in org.detectors.items():
            if detector.get(monitors_store.PENDING_DELETION):
                continue
            out[str(detector_id)] = [
                str(wid) for wid, wf in sorted(org.workflows.items())
                if detector_id in {int(d) for d in wf.get("detectorIds") or []}]
        return out


def _served_links(emu) -> dict[str, list[str]]:
    listed = list_page(emu, f"{ORG}/detectors/", per_page=100).json()
    return {d["id"]: d["workflowIds"] for d in listed}


def test_the_link_index_follows_every_kind_of_write(emulator_factory):
    """Random writes through the API, the UI (out-of-band edits), scheduled detector deletion
    and Sentry's migration of legacy rules: served links always equal the stored ones, and the
    connectedWorkflows sort follows them."""
    emu = emulator_factory(profile="self-hosted-26.7", rate_limits=None,
                           detector_deletion_delay=0)
    rng = random.Random(11)
    detectors = [int(create_detector(emu, with_changes(DETECTOR, name=f"m{i}"))["id"])
                 for i in range(8)]
    workflows: list[int] = []
    for step in range(60):
        op = rng.choice(["create_wf", "update_wf", "delete_wf", "link_from_detector",
                         "edit_wf", "new_detector", "delete_detector"])
        some = rng.sample(detectors, k=min(len(detectors), rng.randint(0, 3)))
        if op == "create_wf" or not workflows:
            made = requests.post(f"{emu.url}{ORG}/workflows/",
                                 json=workflow(some, name=f"wf {step}"), headers=AUTH,
                                 timeout=10)
            assert made.status_code == 201, made.text
            workflows.append(int(made.json()["id"]))
        elif op == "update_wf":
            wid = rng.choice(workflows)
            requests.put(f"{emu.url}{ORG}/workflows/{wid}/",
                         json=workflow(some, name=f"wf {wid}"), headers=AUTH, timeout=10)
        elif op == "delete_wf":
            wid = workflows.pop(rng.randrange(len(workflows)))
            requests.delete(f"{emu.url}{ORG}/workflows/{wid}/", headers=AUTH, timeout=10)
        elif op == "link_from_detector" and detectors:
            chosen = rng.sample(workflows, k=min(len(workflows), rng.randint(0, 2)))
            requests.put(f"{emu.url}{ORG}/detectors/{rng.choice(detectors)}/",
                         json={"workflowIds": chosen}, headers=AUTH, timeout=10)
        elif op == "edit_wf":
            emu.edit("workflow", rng.choice(workflows),
                     {"detectorIds": [str(d) for d in some]}, org="acme")
        elif op == "new_detector":
            detectors.append(int(create_detector(emu, with_changes(DETECTOR,
                                                                   name=f"n{step}"))["id"]))
        elif op == "delete_detector" and detectors:
            gone = detectors.pop(rng.randrange(len(detectors)))
            requests.delete(f"{emu.url}{ORG}/detectors/{gone}/", headers=AUTH, timeout=10)
        assert _served_links(emu) == _expected_links(emu), f"after step {step} ({op})"

    # Sentry's migration of a legacy rule adds a detector and a workflow outside the
    # endpoints (detectors.py, workflows.py).
    made = requests.post(f"{emu.url}{ORG}/alert-rules/", json=legacy_rule("legacy"),
                         headers=AUTH, timeout=10)
    assert made.status_code == 201, made.text
    emu.migrate_legacy_rules("acme")
    assert _served_links(emu) == _expected_links(emu)
    requests.delete(f"{emu.url}{ORG}/alert-rules/{made.json()['id']}/", headers=AUTH, timeout=10)
    assert _served_links(emu) == _expected_links(emu)

    by_links = list_page(emu, f"{ORG}/detectors/", per_page=100,
                         sortBy="-connectedWorkflows").json()
    expected = _expected_links(emu)
    assert [d["id"] for d in by_links] == sorted(
        expected, key=lambda d: (len(expected[d]), int(d)), reverse=True)


@pytest.mark.parametrize(("count", "hits"), [(60, "60"), (1000, "1000"), (10_000, "1000")])
def test_x_hits_counts_up_to_x_max_hits_as_sentry_does(count, hits):
    """Sentry's `count_hits` counts `queryset[:max_hits]` (src/sentry/api/paginator.py), so a
    list of 10,000 says 1000: a client cannot see a delete in a long list from the count."""
    from sentry_alerts.emulator.core import Request
    from sentry_alerts.emulator.pagination import paginate

    req = Request("GET", f"{ORG}/detectors/", {"per_page": ["100"]}, {})
    page = paginate("http://emulator", req, [{"id": str(i)} for i in range(count)])
    assert (page.headers["X-Hits"], page.headers["X-Max-Hits"]) == (hits, "1000")
    assert len(page.body) == min(count, 100)
