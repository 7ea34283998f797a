"""Alerts Sentry migrated from legacy metric rules to monitors (notes §5.2).

Sentry's migration (`src/sentry/workflow_engine/migration_helpers/alert_rule.py`) copies a
rule's description, so our ownership marker, into a detector, and delivers through a workflow
of its own, named after its actions (`get_workflow_name`: `Slack #ops-alerts` for one trigger,
`Critical - Slack #ops-alerts, Warning - Slack #ops-alerts` for two), with no trigger
conditions and one action filter per trigger (the priority filters at the trigger's priority).

If sentry-alerts linked its own workflow next to that one, Slack would be notified twice, so a
monitor's migrated workflow is recognised here and replaced on the next write (monitors.py).
Recognition is by shape and name, not by `alertRuleId`, which Sentry marks deprecated:
- linked to this monitor only, with no sentry-alerts marker in its name;
- no trigger conditions (`triggers` null or empty);
- one or more action filters, every condition a priority filter;
- its name is exactly what `get_workflow_name` gives for its actions.
A workflow a person made that happens to pass all four is indistinguishable from Sentry's, and
is replaced too; the plan names it, so a reviewer sees it first.
"""

from __future__ import annotations

from typing import Any

PRIORITY_FILTERS = frozenset({"issue_priority_greater_or_equal", "issue_priority_deescalating",
                              "issue_priority_equals"})
LABELS = {75: "Critical", 50: "Warning"}


def migrated_name(action_filters: list[dict[str, Any]]) -> str | None:
    """The name Sentry's migration gives a workflow with these action filters, or None when a
    filter's priority or an action cannot be described."""
    parts = []
    for action_filter in action_filters:
        actions = [_describe(a) for a in action_filter.get("actions") or []]
        if not actions or None in actions:
            return None
        text = ", ".join(a for a in actions if a)
        if len(action_filters) > 1:
            priorities = {_int(c.get("comparison")) for c in action_filter.get("conditions") or []}
            labels = {LABELS.get(p) for p in priorities}
            if len(labels) != 1 or None in labels:
                return None
            text = f"{labels.pop()} - {text}"
        parts.append(text)
    return ", ".join(parts)


def is_migrated_workflow(raw: dict[str, Any], detector_id: str) -> bool:
    """True when `raw` (a workflow as Sentry serves it) is the one Sentry's migration made for
    this detector (see the module docstring)."""
    if [str(d) for d in raw.get("detectorIds") or []] != [str(detector_id)]:
        return False
    triggers = raw.get("triggers")
    if isinstance(triggers, dict) and triggers.get("conditions"):
        return False
    filters = raw.get("actionFilters") or []
    if not filters or not all(
            isinstance(f, dict) and f.get("conditions")
            and all(c.get("type") in PRIORITY_FILTERS for c in f["conditions"])
            for f in filters):
        return False
    name = migrated_name(filters)
    return name is not None and name == str(raw.get("name") or "").strip()


def _describe(action: dict[str, Any]) -> str | None:
    config = action.get("config") or {}
    if action.get("type") == "slack":
        channel = str(config.get("targetDisplay") or config.get("targetIdentifier") or "")
        return "Slack #" + channel.lstrip("#") if channel else None
    if action.get("type") == "email":
        return f"Email {config.get('targetType')} {config.get('targetIdentifier')}"
    kind = str(action.get("type") or "")
    return kind.capitalize() or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


__all__ = ["is_migrated_workflow", "migrated_name"]
