"""What the monitors backend sends to Sentry, from the neutral model: one metric detector per
alert (`/detectors/`) and one workflow per policy and target set (`/workflows/`).

Shapes: notes §5 and §5.1, the OpenAPI schema (createOrganizationProjectDetector,
updateOrganizationDetector, the workflows paths) and docs/sentry-api.md.

- A detector holds the query (timeWindow in SECONDS), the thresholds as conditions (gt critical
  → 75 high, optional gt warning → 50 medium, lte resolve-or-lowest-threshold → 0 resolved), the
  owner and the description with the ownership marker.
- A workflow of ours is named with a marker `(sentry-alerts policy P, targets H)`, which is how
  it is found again (`WORKFLOW_MARKER_RE`, monitors_echoes.py).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sentry_alerts import model
from sentry_alerts.model import Alert, SlackTarget, Target
from sentry_alerts.sentry.alert_rules import EVENT_TYPES
from sentry_alerts.sentry.common import target_key
from sentry_alerts.sentry.lookups import Directory

PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_RESOLVED = 75, 50, 0
WORKFLOW_MARKER_RE = re.compile(
    r"\(sentry-alerts policy ([A-Za-z0-9._-]+), targets ([0-9a-f]{8})\)\s*$")
WORKFLOW_NAME_MAX = 256


def targets_hash(targets: tuple[Target, ...]) -> str:
    text = "\n".join(sorted("\t".join(target_key(t)) for t in targets))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def workflow_name(policy: str, targets: tuple[Target, ...]) -> str:
    suffix = f" (sentry-alerts policy {policy}, targets {targets_hash(targets)})"
    summary = "Notify " + model.format_targets(targets)
    room = WORKFLOW_NAME_MAX - len(suffix)
    if len(summary) > room:
        summary = summary[: room - 1] + "…"
    return summary + suffix


def detector_body(alert: Alert, workflow_ids: list[str], directory: Directory) -> dict[str, Any]:
    dataset = alert.dataset if alert.dataset in model.API_DATASET else "spans"
    ids = (alert.extra or {}).get("condition_ids") or {}
    conditions: list[dict[str, Any]] = []

    def condition(role: str, kind: str, value: float | int, result: int) -> None:
        item: dict[str, Any] = {"type": kind, "comparison": value, "conditionResult": result}
        if role in ids:
            item["id"] = ids[role]
        conditions.append(item)

    if alert.critical_ms is not None:
        condition("critical", "gt", alert.critical_ms, PRIORITY_HIGH)
    if alert.warning_ms is not None:
        condition("warning", "gt", alert.warning_ms, PRIORITY_MEDIUM)
    resolve = alert.resolve_ms if alert.resolve_ms is not None else \
        (alert.warning_ms if alert.warning_ms is not None else alert.critical_ms)
    if resolve is not None:
        condition("resolve", "lte", resolve, PRIORITY_RESOLVED)
    return {
        "name": alert.name,
        "type": "metric_issue",
        "description": alert.description,
        "owner": directory.owner_ref(alert.owner),
        "enabled": True,
        "dataSources": [{
            "queryType": 1,
            "dataset": model.API_DATASET[dataset],
            "aggregate": alert.aggregate,
            "query": alert.query,
            "timeWindow": int(round(float(alert.window_minutes) * 60)),
            "environment": alert.environment,
            "eventTypes": EVENT_TYPES[dataset],
        }],
        "conditionGroup": {"logicType": "any", "conditions": conditions},
        "config": {"detectionType": "static"},
        "workflowIds": [int(w) for w in workflow_ids],
    }


def workflow_body(policy: str, targets: tuple[Target, ...], directory: Directory) -> dict[str, Any]:
    return {
        "name": workflow_name(policy, targets),
        "enabled": True,
        "environment": None,
        # Notify at once on every state change (frequency in minutes; 0 = no throttling).
        "config": {"frequency": 0},
        "triggers": {"logicType": "any-short", "conditions": []},
        "actionFilters": [{
            "logicType": "any-short",
            # Warning (50, medium) and critical (75, high) issues notify. De-escalation
            # notifies too, at medium: Sentry fires it when the open period reached at
            # least this priority and the issue then fell below it or resolved, so the
            # resolution of a warning notifies as well as a critical's (a legacy metric
            # alert's resolve message). Comparisons are PriorityLevel integers: the
            # handler's comparison_json_schema refuses `true` (notes §5.2).
            "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": PRIORITY_MEDIUM,
                 "conditionResult": True},
                {"type": "issue_priority_deescalating", "comparison": PRIORITY_MEDIUM,
                 "conditionResult": True},
            ],
            "actions": [action_body(t, directory) for t in targets],
        }],
    }


def action_body(target: Target, directory: Directory) -> dict[str, Any]:
    if isinstance(target, SlackTarget):
        workspace = directory.slack_workspace(target.workspace)
        config: dict[str, Any] = {"targetType": "specific", "targetDisplay": target.channel}
        if target.channel_id:  # never an empty targetIdentifier (notes §5.1, TF #963)
            config["targetIdentifier"] = target.channel_id
        return {"type": "slack", "integrationId": str(workspace.integration_id),
                "config": config, "data": {}, "status": "active"}
    ident = directory.team_id(target.name) if target.to == "team" else \
        directory.user_id(target.name)
    return {"type": "email", "integrationId": None, "data": {}, "status": "active",
            "config": {"targetType": target.to, "targetDisplay": None,
                       "targetIdentifier": str(ident)}}

# -- workflows: one per (policy, target set) --

__all__ = ["PRIORITY_HIGH", "PRIORITY_MEDIUM", "PRIORITY_RESOLVED", "WORKFLOW_MARKER_RE",
           "action_body", "detector_body", "targets_hash", "workflow_body", "workflow_name"]
