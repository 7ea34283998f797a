"""Sentry's migration of legacy metric alert rules to monitors (dual write, and the 2026
cut-over), as the admin call `POST /__emulator__/migrate` and the seed key
`migrated_alert_rules` do it.

Source: `src/sentry/workflow_engine/migration_helpers/alert_rule.py` (notes §5.2):
- a detector per rule: the rule's name, **description** (so an ownership marker written there
  survives), owner, query (window in seconds) and one condition per trigger (`gt` threshold →
  75 critical / 50 warning; `lt` for a rule that fires below, threshold type 1) plus the
  resolve condition (`lte`, or `gte` below, the resolve threshold, else the warning's, else the
  critical's → 0); `config` keeps the detection type and comparison delta (in seconds);
  `alertRuleId` names the rule (`AlertRuleDetector`);
- a workflow of its own (`create_workflow`: `when_condition_group=None`, so `triggers: null`;
  `config: {}`; no owner), named after its actions (`get_workflow_name`: `Slack #ops-alerts`
  for one trigger, `Critical - Slack #ops-alerts, Warning - Slack #ops-alerts` for two), with
  one action filter per trigger: `issue_priority_greater_or_equal` and
  `issue_priority_deescalating`, both at the trigger's priority, holding that trigger's actions;
- deleting the legacy rule deletes its detector, and its workflow when no other detector uses
  it (`dual_delete_migrated_alert_rule`).
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import iso_now
from sentry_alerts.emulator.monitors_store import owner_json
from sentry_alerts.emulator.state import Organization

PRIORITY = {"critical": 75, "warning": 50}
# Legacy datasets and the event types a migrated query carries (notes §2.4).
EVENT_TYPES = {"events_analytics_platform": ["trace_item_span"], "transactions": ["transaction"],
               "generic_metrics": ["transaction"], "events": ["error"]}


def migrate_rules(emu: Any, org: Organization, rule_ids: list[int] | None = None) -> dict[str, str]:
    """Migrate these legacy rules (all not yet migrated when None): {rule id: detector id}.
    Call under `emu.lock`."""
    done = {str(d.get("alertRuleId")) for d in org.detectors.values() if d.get("alertRuleId")}
    wanted = sorted(org.alert_rules) if rule_ids is None else [int(i) for i in rule_ids]
    out = {}
    for rule_id in wanted:
        rule = org.alert_rules.get(rule_id)
        if rule is None:
            raise KeyError(f"no alert_rule with id {rule_id}")
        if str(rule_id) in done:
            continue
        out[str(rule_id)] = _migrate(emu, org, rule)
    return out


def _migrate(emu: Any, org: Organization, rule: dict[str, Any]) -> str:
    ids = emu.state.ids
    project = org.project(rule["projects"][0])
    triggers = sorted(rule.get("triggers") or [], key=lambda t: 0 if t["label"] == "critical" else 1)
    below = rule.get("thresholdType") == 1
    conditions = [{"id": str(ids("condition").next()), "type": "lt" if below else "gt",
                   "comparison": t["alertThreshold"], "conditionResult": PRIORITY[t["label"]]}
                  for t in triggers]
    thresholds = {t["label"]: t["alertThreshold"] for t in triggers}
    resolve = rule.get("resolveThreshold")
    if resolve is None:
        resolve = thresholds.get("warning", thresholds.get("critical"))
    conditions.append({"id": str(ids("condition").next()), "type": "gte" if below else "lte",
                       "comparison": resolve,
                       "conditionResult": 0})
    detector_id = ids("detector").next()
    sub_id = str(ids("query_subscription").next())
    now = iso_now()
    owner = owner_json(org, rule.get("owner"))
    org.detectors[detector_id] = {
        "id": str(detector_id), "projectId": str(project.id if project else 0),
        "name": rule["name"], "description": rule.get("description"), "type": "metric_issue",
        "workflowIds": [], "owner": owner, "createdBy": None, "dateCreated": now,
        "dateUpdated": now,
        "dataSources": [{
            "id": str(ids("data_source").next()), "organizationId": str(org.id),
            "type": "snuba_query_subscription", "sourceId": sub_id,
            "queryObj": {"id": sub_id, "status": 0, "subscription": None, "snubaQuery": {
                "id": str(ids("snuba_query").next()), "dataset": rule["dataset"],
                "query": rule["query"], "aggregate": rule["aggregate"],
                "timeWindow": int(float(rule["timeWindow"]) * 60),
                "environment": rule.get("environment"),
                "eventTypes": EVENT_TYPES.get(rule["dataset"], ["transaction"]),
                "extrapolationMode": "unknown"}}}],
        "conditionGroup": {"id": str(ids("condition_group").next()),
                           "organizationId": str(org.id), "logicType": "any",
                           "conditions": conditions, "actions": []},
        "config": {"thresholdPeriod": int(rule.get("thresholdPeriod") or 1),
                   "detectionType": rule.get("detectionType") or "static",
                   **({"comparisonDelta": int(rule["comparisonDelta"]) * 60}
                      if rule.get("comparisonDelta") else {})},
        "enabled": True, "alertRuleId": int(rule["id"]), "ruleId": None, "latestGroup": None,
        "openIssues": 0,
    }
    workflow_id = ids("workflow").next()
    filters = [_action_filter(ids, org, t) for t in triggers]
    org.workflows[workflow_id] = {
        "id": str(workflow_id),
        "name": workflow_name([(t["label"], f["actions"]) for t, f in zip(triggers, filters,
                                                                         strict=True)]),
        "organizationId": str(org.id), "createdBy": None, "dateCreated": now,
        "dateUpdated": now, "triggers": None, "actionFilters": filters,
        "environment": None, "config": {}, "detectorIds": [str(detector_id)], "enabled": True,
        "lastTriggered": None, "owner": None,
    }
    return str(detector_id)


def workflow_name(triggers: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """`get_workflow_name`: the (migrated) actions' descriptions, each prefixed by its
    trigger's label when there are several triggers."""
    parts = []
    for label, actions in triggers:
        text = ", ".join(_describe(a) for a in actions)
        parts.append(f"{label.capitalize()} - {text}" if len(triggers) > 1 else text)
    return ", ".join(parts)


def _describe(action: dict[str, Any]) -> str:
    config = action["config"]
    if action["type"] == "slack":
        return f"Slack {config['targetDisplay']}"
    if action["type"] == "email":
        return f"Email {config['targetType']} {config['targetIdentifier']}"
    return str(action["type"]).capitalize()


def _action_filter(ids: Any, org: Organization, trigger: dict[str, Any]) -> dict[str, Any]:
    priority = PRIORITY[trigger["label"]]
    return {
        "id": str(ids("condition_group").next()), "organizationId": str(org.id),
        "logicType": "any",
        "conditions": [
            {"id": str(ids("condition").next()), "type": kind, "comparison": priority,
             "conditionResult": True}
            for kind in ("issue_priority_greater_or_equal", "issue_priority_deescalating")],
        "actions": [_action(ids, org, a) for a in trigger.get("actions") or []],
    }


def _action(ids: Any, org: Organization, action: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(ids("workflow_action").next()), "type": action["type"],
                           "data": {}, "status": "active"}
    if action["type"] == "slack":
        workspace = org.slack_workspace(action["integrationId"])
        channel = workspace.find_channel(action.get("inputChannelId") or
                                         action["targetIdentifier"]) if workspace else None
        out["integrationId"] = str(action["integrationId"])
        out["config"] = {"targetType": "specific",
                         "targetIdentifier": channel.id if channel else action.get("inputChannelId"),
                         "targetDisplay": "#" + (channel.name if channel else
                                                 str(action["targetIdentifier"]).lstrip("#"))}
    else:
        out["integrationId"] = None
        out["config"] = {"targetType": action["targetType"],
                         "targetIdentifier": str(action["targetIdentifier"]),
                         "targetDisplay": None}
    return out


def dual_delete(org: Organization, rule_id: int) -> None:
    """Deleting a legacy rule deletes its migrated detector, and that detector's workflows
    that no other detector uses (`dual_delete_migrated_alert_rule`). Call under the lock."""
    for detector_id, detector in list(org.detectors.items()):
        if detector.get("alertRuleId") != rule_id:
            continue
        org.detectors.pop(detector_id, None)
        for workflow_id, workflow in list(org.workflows.items()):
            linked = [str(d) for d in workflow.get("detectorIds") or []]
            if str(detector_id) not in linked:
                continue
            rest = [d for d in linked if d != str(detector_id)]
            if rest:
                workflow["detectorIds"] = rest
            else:
                org.workflows.pop(workflow_id, None)


__all__ = ["dual_delete", "migrate_rules", "workflow_name"]
