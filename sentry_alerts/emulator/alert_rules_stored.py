"""Stored legacy alert rules: built from a validated request, served, and read back.

Rules are stored in `org.alert_rules` in their detail-GET shape (RESP:
`src/sentry/incidents/endpoints/serializers/alert_rule.py`, `DetailedAlertRuleSerializer`;
notes §2.5: floats for `timeWindow`, `resolution`, thresholds and `comparisonDelta`, string
ids, `projects` sorted), so out-of-band edits look like what a later GET returns. PUT keeps the
ids of the triggers and actions it names again (TRIG-SER
`src/sentry/incidents/serializers/alert_rule_trigger.py`, `_handle_actions`).
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.alert_rules_actions import action_target
from sentry_alerts.emulator.core import ApiError, iso_now, json_copy
from sentry_alerts.emulator.state import Organization

RESOLUTION_MINUTES = {30: 2, 60: 3, 120: 3, 240: 5, 720: 5, 1440: 15}


def _resolution(window: int, percent: bool) -> float:
    minutes = RESOLUTION_MINUTES.get(window, 1)
    return float(minutes * 2 if percent else minutes)


def build_rule(emu: Any, org: Organization, req_user: int | None, clean: dict[str, Any],
               existing: dict[str, Any] | None, *, resolve_names: bool) -> dict[str, Any]:
    """The stored (detail-GET) form. Raises ApiError for save-time errors; stores nothing."""
    now = iso_now()
    rule_id = int(existing["id"]) if existing else None
    old_triggers = {t["id"]: t for t in (existing or {}).get("triggers", [])}
    triggers = []
    percent = clean["comparison_delta"] is not None
    for raw in clean["triggers"]:
        old = old_triggers.get(str(raw.get("id"))) if raw.get("id") is not None else None
        old_actions = {a["id"]: a for a in (old or {}).get("actions", [])}
        actions = []
        for raw_action in raw.get("actions") or []:
            if not isinstance(raw_action, dict):
                raise ApiError(400, {"nonFieldErrors": [
                    "Invalid data. Expected a dictionary, but got "
                    f"{type(raw_action).__name__}."]})
            fields = action_target(org, raw_action, resolve_names=resolve_names)
            old_action = old_actions.get(str(raw_action.get("id"))) \
                if raw_action.get("id") is not None else None
            actions.append({"_fields": fields, "_old": old_action})
        triggers.append({"_raw": raw, "_old": old, "_actions": actions})
    # Validation passed: assign ids (fresh ones for items without a known id).
    if rule_id is None:
        rule_id = emu.state.ids("alert_rule").next()
    out_triggers = []
    for t in triggers:
        trigger_id = t["_old"]["id"] if t["_old"] else str(emu.state.ids("trigger").next())
        actions = []
        for a in t["_actions"]:
            action_id = a["_old"]["id"] if a["_old"] else str(emu.state.ids("action").next())
            actions.append({"id": action_id, "alertRuleTriggerId": trigger_id,
                            **{k: v for k, v in a["_fields"].items() if k != "desc"},
                            "dateCreated": a["_old"]["dateCreated"] if a["_old"] else now,
                            "desc": a["_fields"].get("desc", "")})
        out_triggers.append({
            "id": trigger_id, "alertRuleId": str(rule_id), "label": t["_raw"]["label"],
            "thresholdType": clean["threshold_type"],
            "alertThreshold": float(t["_raw"]["alert_threshold"]),
            "resolveThreshold": clean["resolve_threshold"],
            "dateCreated": t["_old"]["dateCreated"] if t["_old"] else now, "actions": actions,
        })
    creator = org.user(req_user) if req_user is not None else None
    created_by = existing["createdBy"] if existing else (
        {"id": creator.user_id, "name": creator.name, "email": creator.email} if creator else None)
    rule = {
        "id": str(rule_id), "name": clean["name"], "organizationId": str(org.id), "status": 0,
        "queryType": clean["query_type"], "dataset": clean["dataset"], "query": clean["query"],
        "aggregate": clean["aggregate"], "thresholdType": clean["threshold_type"],
        "resolveThreshold": clean["resolve_threshold"],
        "timeWindow": float(clean["time_window"]), "environment": clean["environment"],
        "resolution": _resolution(clean["time_window"], percent),
        "thresholdPeriod": clean["threshold_period"], "triggers": out_triggers,
        "projects": sorted(clean["projects"]), "owner": clean.get("owner"),
        "originalAlertRuleId": None,
        "comparisonDelta": float(clean["comparison_delta"]) if percent else None,
        "dateModified": now, "dateCreated": existing["dateCreated"] if existing else now,
        "createdBy": created_by, "description": clean["description"],
        "sensitivity": clean["sensitivity"], "seasonality": None,
        "detectionType": "percent" if percent else (clean["detection_type"] or "static"),
        "eventTypes": sorted(clean["event_types"]), "snooze": False,
    }
    if clean.get("extrapolation_mode"):
        rule["extrapolationMode"] = clean["extrapolation_mode"]
    return rule


def serialize(rule: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    """List/POST/PUT/task shape; `detail` adds eventTypes and snooze (DetailedAlertRuleSerializer)."""
    out = json_copy(rule)
    if not detail:
        out.pop("eventTypes", None)
        if not out.get("snooze"):
            out.pop("snooze", None)
    return out


def rule_as_request(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule as a snake_case request body (the base a PUT is laid over)."""
    return {
        "name": rule["name"], "query": rule["query"], "aggregate": rule["aggregate"],
        "time_window": int(rule["timeWindow"]), "threshold_type": rule["thresholdType"],
        "resolve_threshold": rule["resolveThreshold"], "threshold_period": rule["thresholdPeriod"],
        "comparison_delta": int(rule["comparisonDelta"]) if rule.get("comparisonDelta") else None,
        "projects": list(rule["projects"]), "environment": rule.get("environment"),
        "dataset": rule["dataset"], "query_type": rule["queryType"], "event_types": list(rule.get("eventTypes") or []),
        "owner": rule.get("owner"), "description": rule.get("description", ""),
        "detection_type": rule.get("detectionType"), "sensitivity": rule.get("sensitivity"),
        "extrapolation_mode": rule.get("extrapolationMode"),
        "triggers": [{"id": t["id"], "label": t["label"], "alert_threshold": t["alertThreshold"],
                      "actions": [{"id": a["id"], "type": a["type"], "target_type": a["targetType"],
                                   "target_identifier": a["targetIdentifier"],
                                   "input_channel_id": a.get("inputChannelId"),
                                   "integration_id": a.get("integrationId"),
                                   "priority": a.get("priority")} for a in t["actions"]]}
                     for t in rule["triggers"]],
    }
