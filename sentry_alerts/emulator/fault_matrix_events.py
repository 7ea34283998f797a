"""What happens to Sentry between plan and apply, or during apply, in the fault matrix
(fault_matrix.py): a person's edit or deletion in Sentry's UI, Sentry dying after the first
change was sent, and listings failing from the first change on. Each works on the emulator
the cell runs against."""

from __future__ import annotations

import threading
import time
from typing import Any

ORG, POLICY = "acme", "matrix"
HAND_EDIT_MS = 5000.0  # the critical threshold a person types into Sentry's UI


def _target(plan: Any) -> Any:
    """The alert a person touches: the first the operation changes, else the first there is."""
    for actions in (("update", "delete"), ("unchanged", "orphan", "duplicate")):
        for change in plan.changes:
            if change.action in actions and change.remote_id:
                return change
    return None


def _kind(plan: Any) -> str:
    return "detector" if plan.backend == "monitors" else "alert_rule"


def edit_by_hand(emu: Any, plan: Any, seen: dict[str, Any]) -> None:
    """Someone raises the critical threshold of an alert the plan is about, in Sentry's UI."""
    from sentry_alerts.demo import edit_threshold_in_ui

    change = _target(plan)
    if change is not None:  # nothing exists yet before creates: nothing to edit
        edit_threshold_in_ui(emu, ORG, POLICY, HAND_EDIT_MS, key=change.key)
        seen["edited"] = change.key


def delete_by_hand(emu: Any, plan: Any, seen: dict[str, Any]) -> None:
    """Someone deletes an alert the plan is about, in Sentry's UI."""
    change = _target(plan)
    if change is not None:
        emu.delete(_kind(plan), change.remote_id, org=ORG)
        seen["deleted"] = change.key


def hand_edit_survives(emu: Any, key: str) -> bool:
    """Whether the alert with `key` still has the threshold the person typed."""
    from sentry_alerts.demo import managed_objects
    from sentry_alerts.model import Marker

    for kind, _, item in managed_objects(emu, ORG, POLICY):
        marker = Marker.find(item.get("description"))
        if marker is None or marker.key != key:
            continue
        if kind == "detector":
            values = [c.get("comparison") for c in
                      item.get("conditionGroup", {}).get("conditions") or []]
        else:
            values = [t.get("alertThreshold") for t in item.get("triggers") or []]
        if any(v is not None and float(v) == HAND_EDIT_MS for v in values):
            return True
    return False


def dies_after_the_first_write(emu: Any, planned: Any, seen: dict[str, Any]) -> None:
    """Sentry answers the first change apply sends, then 503 to everything: every later write
    waits until the first was answered, then finds Sentry down."""
    lock, down = threading.Lock(), threading.Event()
    writes = [0]

    def on_request(method: str, path: str, body: Any) -> None:
        if method == "GET" or down.is_set():
            return
        with lock:
            writes[0] += 1
            first = writes[0] == 1
        if first:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                m != "GET" and status for m, _, status in list(emu.request_log)):
            time.sleep(0.01)
        with lock:
            if not down.is_set():
                emu.faults.error_burst(1_000_000, status=503)
                down.set()
                seen["died"] = True

    planned.connection.client.on_request = on_request


def lists_fail_after_the_first_write(emu: Any, planned: Any, seen: dict[str, Any]) -> None:
    """From the first change apply sends (whose answer the cell also loses) on, every listing
    of alerts fails: the checks that follow a lost answer (is it there? was it deleted?) have
    nothing to go on."""
    route = "detectors.list" if planned.plan.backend == "monitors" else "alert_rules.list"
    armed = threading.Event()

    def on_request(method: str, path: str, body: Any) -> None:
        if method != "GET" and not armed.is_set():
            armed.set()
            emu.faults.failing_page(1, route=route, times=None)
            seen["lists fail"] = True

    planned.connection.client.on_request = on_request


__all__ = ["delete_by_hand", "dies_after_the_first_write", "edit_by_hand",
           "hand_edit_survives", "lists_fail_after_the_first_write"]
