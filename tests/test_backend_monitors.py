"""Monitors backend: workflows are shared per target set, owned per policy, and cleaned up only
when they are ours and unused; other people's workflows are never touched."""

from __future__ import annotations

import requests
from backend_support import differences, fast_connect, spec

from sentry_alerts.emulator import ADMIN_TOKEN
from sentry_alerts.model import EmailTarget, SlackTarget
from sentry_alerts.sentry.monitors_bodies import detector_body

ORG = "/api/0/organizations/acme"


def workflows(emu) -> dict[str, dict]:
    org = emu.state.orgs["acme"]
    return {str(k): v for k, v in org.workflows.items()}


def test_one_workflow_per_target_set_and_cleanup_when_unused(emulator):
    backend = fast_connect(emulator).backend
    team = [EmailTarget("team", "sre")]
    slack = [SlackTarget("#ops-alerts")]
    a = backend.create(backend.materialize(spec("a", targets=team), "spans"))
    backend.create(backend.materialize(spec("b", targets=team), "spans"))
    backend.create(backend.materialize(spec("c", targets=slack), "spans"))
    assert len(workflows(emulator)) == 2
    shared = [w for w in workflows(emulator).values() if len(w["detectorIds"]) == 2]
    assert shared and "(sentry-alerts policy critical-endpoints, targets " in shared[0]["name"]

    # "a" moves to Slack: it joins the Slack workflow; the team one still serves "b".
    live = {x.marker.key: x for x in backend.list_alerts().alerts}
    moved = backend.materialize(spec("a", targets=slack), "spans")
    backend.update(moved.with_identity(live["a"]))
    assert len(workflows(emulator)) == 2
    # "b" goes away: the team workflow is unused and ours, so it is deleted.
    backend.delete(live["b"])
    remaining = workflows(emulator)
    assert len(remaining) == 1
    assert sorted(next(iter(remaining.values()))["detectorIds"]) == sorted(
        [a.remote_id, live["c"].remote_id])
    after = {x.marker.key: x for x in backend.list_alerts().alerts}
    assert differences(backend.materialize(spec("a", targets=slack), "spans"), after["a"]) == {}


def test_a_new_process_without_a_listing_reuses_and_cleans_up_workflows(emulator):
    """A saved plan applied by another process: its backend never listed, yet it links to the
    existing workflow and deletes ours when it becomes unused."""
    first = fast_connect(emulator).backend
    team = [EmailTarget("team", "sre")]
    first.create(first.materialize(spec("a", targets=team), "spans"))
    live = first.list_alerts().alerts[0]
    fresh = fast_connect(emulator).backend
    fresh.create(fresh.materialize(spec("b", targets=team), "spans"))
    assert len(workflows(emulator)) == 1
    moved = fast_connect(emulator).backend
    moved.update(moved.materialize(spec("a", targets=[SlackTarget("#backend")]), "spans")
                 .with_identity(live))
    assert len(workflows(emulator)) == 2
    gone = fast_connect(emulator).backend
    b = [x for x in gone.list_alerts().alerts if x.marker.key == "b"][0]
    fast_connect(emulator).backend.delete(b)
    names = [w["name"] for w in workflows(emulator).values()]
    assert len(names) == 1 and names[0].startswith("Notify Slack #backend")


def test_someone_elses_workflow_is_kept_linked_and_untouched(emulator):
    backend = fast_connect(emulator).backend
    live = backend.create(backend.materialize(spec("a", targets=[EmailTarget("team", "sre")]),
                                              "spans"))
    theirs = requests.post(
        emulator.url + f"{ORG}/workflows/", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        json={"name": "Page the on-call", "detectorIds": [int(live.remote_id)],
              "actionFilters": [{"logicType": "any-short", "conditions": [], "actions": [
                  {"type": "email", "config": {"targetType": "user", "targetIdentifier": "102"}}
              ]}]}, timeout=5).json()
    listed = backend.list_alerts().alerts[0]
    # A managed monitor shows only its policy's targets: the person's extra alert is theirs.
    assert listed.targets == (EmailTarget("team", "sre"),)
    changed = backend.materialize(spec("a", critical=900, targets=[EmailTarget("team", "sre")]),
                                  "spans")
    backend.update(changed.with_identity(listed))
    backend.delete(backend.list_alerts().alerts[0])
    assert theirs["id"] in workflows(emulator)
    assert workflows(emulator)[theirs["id"]]["name"] == "Page the on-call"


def test_an_unmanaged_monitor_shows_every_linked_workflow(emulator):
    backend = fast_connect(emulator).backend
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    detector = requests.post(emulator.url + f"{ORG}/projects/backend/detectors/", headers=headers,
                             json=detector_body(backend.materialize(
                                 spec("x", targets=[]), "spans"), [], backend.directory)
                             | {"description": "mine"},
                             timeout=5).json()
    requests.post(emulator.url + f"{ORG}/workflows/", headers=headers, timeout=5, json={
        "name": "Team", "detectorIds": [int(detector["id"])],
        "actionFilters": [{"logicType": "any-short", "conditions": [], "actions": [
            {"type": "email", "config": {"targetType": "team", "targetIdentifier": "12"}}]}]})
    listed = backend.list_alerts().alerts[0]
    assert listed.marker is None
    assert listed.targets == (EmailTarget("team", "sre"),)


def test_adopting_a_monitor_moves_it_off_the_alerts_people_made_for_it(emulator):
    """A monitor made in Sentry's UI notifies through an alert (workflow) people made; adopting
    it links sentry-alerts' own for the same targets instead (else Slack hears it twice). The
    people's workflow stays, unchanged, for the other monitors it serves; one with an action
    the policy cannot express (PagerDuty) stays linked."""
    backend = fast_connect(emulator).backend
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    slack = [SlackTarget("#ops-alerts")]

    def ui_monitor(key: str) -> dict:
        body = detector_body(backend.materialize(spec(key, targets=slack), "spans"), [],
                             backend.directory)
        return requests.post(emulator.url + f"{ORG}/projects/backend/detectors/",
                             headers=headers, json=body | {"description": "made in the UI"},
                             timeout=5).json()

    def ui_workflow(name: str, detectors: list[dict], action: dict) -> dict:
        return requests.post(emulator.url + f"{ORG}/workflows/", headers=headers, timeout=5,
                             json={"name": name, "detectorIds": [int(d["id"]) for d in detectors],
                                   "actionFilters": [{"logicType": "any-short", "conditions": [],
                                                      "actions": [action]}]}).json()

    mine, other = ui_monitor("a"), ui_monitor("b")
    ops = ui_workflow("Ops", [mine, other], {"type": "slack", "integrationId": "31", "config": {
        "targetType": "specific", "targetDisplay": "#ops-alerts"}})
    pager = ui_workflow("Page", [mine], {"type": "pagerduty", "integrationId": "77",
                                         "config": {"targetIdentifier": "svc"}})
    listed = next(a for a in backend.list_alerts().alerts if a.remote_id == str(mine["id"]))
    assert listed.marker is None and listed.targets == (SlackTarget("#ops-alerts", "C0OPS00001",
                                                                    "Acme"),)
    assert "in place of 'Ops'" in listed.takeover and "'Page'" not in listed.takeover
    backend.update(backend.materialize(spec("a", targets=slack), "spans").with_identity(listed))

    linked = sorted(w["name"] for w in workflows(emulator).values()
                    if str(mine["id"]) in w["detectorIds"])
    assert len(linked) == 2  # Ops no longer notifies it: ours does, once
    assert linked[0].startswith("Notify Slack #ops-alerts (Acme)") and linked[1] == "Page"
    assert workflows(emulator)[ops["id"]]["detectorIds"] == [str(other["id"])]
    assert workflows(emulator)[pager["id"]]["name"] == "Page"
    after = next(a for a in backend.list_alerts().alerts if a.remote_id == str(mine["id"]))
    assert after.marker is not None and after.takeover is None
