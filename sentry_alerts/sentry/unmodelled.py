"""What Sentry holds about an alert that the neutral `Alert` leaves out.

Both backends' `parse` keep what the policy can express and drop the rest (another detection
type, an action that is neither Slack nor email, ...). Plan and apply never need the rest, but
`sentry-alerts import` must not drop it silently: each backend lists it, as short phrases, in
`Alert.extra["unmodelled"]` (only when there is something), using its own action parsing
(`target_of`), so nothing here parses Sentry's JSON a second way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sentry_alerts.sentry.common import number, target_key

TargetOf = Callable[[dict[str, Any]], Any]  # a backend's action -> Target | None

ACTION_NAMES = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie", "msteams": "Microsoft Teams",
                "discord": "Discord", "sentry_app": "Sentry app", "webhook": "webhook",
                "jira": "Jira", "github": "GitHub"}
DETECTION = {"percent": "percent-change detection", "dynamic": "anomaly (dynamic) detection"}
OPERATORS = {"gt": "above", "gte": "at or above", "lt": "below", "lte": "at or below",
             "eq": "equal to", "ne": "not equal to"}


def describe_action(action: dict[str, Any]) -> str:
    kind = str(action.get("type") or "unknown")
    if kind == "email":
        config = action.get("config") or action
        return f"an email to {config.get('targetType') or 'someone'} (not a team or user)"
    return f"a {ACTION_NAMES.get(kind, kind)} action"


def skipped_actions(actions: Iterable[dict[str, Any]], target_of: TargetOf) -> list[str]:
    """The actions the backend's parse turns into no target, described."""
    return [describe_action(a) for a in actions if isinstance(a, dict) and target_of(a) is None]


def workflow_actions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    groups = [raw.get("triggers") or {}, *(raw.get("actionFilters") or [])]
    return [a for g in groups if isinstance(g, dict) for a in g.get("actions") or []]


def _detection(kind: Any, delta_minutes: Any) -> list[str]:
    kind = str(kind or "static")
    if kind == "static":
        return []
    text = DETECTION.get(kind, f"{kind} detection")
    minutes = number(delta_minutes)
    if kind == "percent" and minutes:
        hours = minutes / 60
        text += (f" (compared with {hours:g} hour{'s' if hours != 1 else ''} earlier)"
                 if minutes % 60 == 0 else f" (compared with {minutes:g} minutes earlier)")
    return [text]


def rule_unmodelled(rule: dict[str, Any], target_of: TargetOf) -> list[str]:
    """A legacy metric alert rule (notes §2.1)."""
    out: list[str] = []
    threshold_type = number(rule.get("thresholdType"))
    if threshold_type == 1:
        out.append("it fires when the value is below its thresholds")
    elif threshold_type == 2:
        out.append("it fires when the value is above or below its thresholds")
    delta = rule.get("comparisonDelta")
    out += _detection(rule.get("detectionType") or ("percent" if delta else "static"), delta)
    period = number(rule.get("thresholdPeriod")) or 1
    if period != 1:
        out.append(f"it fires only after {period} consecutive periods above the threshold")
    projects = rule.get("projects") or []
    if len(projects) > 1:
        out.append(f"it covers {len(projects)} projects ({', '.join(map(str, projects))})")
    per_label: dict[str, frozenset] = {}
    for trigger in rule.get("triggers") or []:
        label = str(trigger.get("label"))
        if label not in ("critical", "warning"):
            out.append(f"a trigger labelled {label!r}")
        actions = [a for a in trigger.get("actions") or [] if isinstance(a, dict)]
        out += skipped_actions(actions, target_of)
        per_label[label] = frozenset(target_key(t) for t in map(target_of, actions) if t)
    if len(set(per_label.values())) > 1:
        out.append("its warning notifies other targets than its critical")
    return list(dict.fromkeys(out))


def detector_unmodelled(detector: dict[str, Any], workflows: Iterable[dict[str, Any]],
                        target_of: TargetOf,
                        notes_of: Callable[[dict[str, Any]], list[str]] | None = None
                        ) -> list[str]:
    """A metric monitor and the alerts (workflows, as Sentry lists them) that notify for it.
    `notes_of`: `workflow_unmodelled` with this `target_of`, remembered per workflow (a listing
    links one workflow to thousands of monitors)."""
    config = detector.get("config") or {}
    seconds = number(config.get("comparisonDelta"))  # seconds here, minutes in legacy rules
    out = _detection(config.get("detectionType"), seconds / 60 if seconds else None)
    period = number(config.get("thresholdPeriod")) or 1
    if period != 1:
        out.append(f"it fires only after {period} consecutive periods above the threshold")
    for c in (detector.get("conditionGroup") or {}).get("conditions") or []:
        result, kind = number(c.get("conditionResult")), str(c.get("type"))
        if isinstance(c.get("comparison"), dict):
            out.append("an anomaly detection condition")
        elif result in (75, 50) and kind not in ("gt", "gte"):
            out.append(f"it fires when the value is {OPERATORS.get(kind, kind)} "
                       f"{number(c.get('comparison'))}")
        elif result not in (75, 50, 0):
            out.append(f"a condition with the result {c.get('conditionResult')!r}")
    for raw in workflows:
        out += notes_of(raw) if notes_of is not None else workflow_unmodelled(raw, target_of)
    return list(dict.fromkeys(out))


def workflow_unmodelled(raw: dict[str, Any], target_of: TargetOf) -> list[str]:
    """What an alert (workflow) that notifies for a monitor holds beyond its targets."""
    out: list[str] = []
    name = str(raw.get("name") or raw.get("id"))
    if raw.get("enabled") is False:
        out.append(f"its alert (workflow) {name!r} is turned off")
    out += skipped_actions(workflow_actions(raw), target_of)
    filters = [f for f in raw.get("actionFilters") or [] if isinstance(f, dict)]
    sets = {frozenset(target_key(t) for t in map(target_of, f.get("actions") or []) if t)
            for f in filters}
    if len(sets) > 1:
        out.append(f"its alert (workflow) {name!r} notifies other targets at other "
                   "priorities")
    return out


def only_if(**values: Any) -> dict[str, Any]:
    """The keyword arguments whose values are not empty: extra data is added to an `Alert` only
    when there is some, so the plans of ordinary alerts stay as they were."""
    return {k: v for k, v in values.items() if v}


__all__ = ["detector_unmodelled", "only_if", "rule_unmodelled", "skipped_actions", "workflow_actions",
           "workflow_unmodelled"]
