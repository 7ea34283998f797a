"""Validation of data conditions and condition groups: a detector's `conditionGroup` (metric
conditions) and a workflow's `triggers` and action filters, with Sentry's messages.

Sources (docs/emulator-monitors.md): DCG (`src/sentry/workflow_engine/endpoints/validators/base/
data_condition_group.py`, `BaseDataConditionGroupValidator`), COND (`.../validators/base/
data_condition.py`, `BaseDataConditionValidator`; a workflow condition's comparison against its
handler's schema is in conditions.py), MID (`src/sentry/incidents/metric_issue_detector.py`:
the metric condition types and results, the resolution condition) and, for anomaly detection,
SCHEMA.
"""

from __future__ import annotations

import re

from sentry_alerts.emulator.conditions import comparison_error
from sentry_alerts.emulator.core import JSON
from sentry_alerts.emulator.monitors_fields import (
    NOT_NULL,
    REQUIRED,
    Errors,
    choice_field,
    int_value,
    not_a_dict,
    not_a_list,
    snake_keys,
)

LOGIC_TYPES = ("any", "any-short", "all", "none")
# workflow_engine Condition values (a subset: the ones a metric or issue alert uses).
METRIC_CONDITION_TYPES = ("gt", "gte", "lt", "lte", "anomaly_detection")
OTHER_CONDITION_TYPES = (
    "eq", "ne", "age_comparison", "assigned_to", "event_attribute", "event_frequency_count",
    "event_frequency_percent", "event_unique_user_frequency_count", "event_seen_count",
    "every_event", "existing_high_priority_issue", "first_seen_event", "issue_category",
    "issue_occurrences", "issue_priority_deescalating", "issue_priority_equals",
    "issue_priority_greater_or_equal", "issue_resolution_condition", "issue_resolved_trigger",
    "latest_adopted_release", "latest_release", "level", "new_high_priority_issue",
    "percent_sessions_count", "percent_sessions_percent", "reappeared_event",
    "regression_event", "seer_activity_trigger", "tagged_event",
)
ALL_CONDITION_TYPES = METRIC_CONDITION_TYPES + OTHER_CONDITION_TYPES
PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_OK = 75, 50, 0
CONDITION_RESULTS = (PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_OK)


def validate_condition_group(group: JSON, *, metric: bool) -> JSON | None:
    """A data condition group (BaseDataConditionGroupValidator / MetricIssueConditionGroup...).
    Returns the errors to file under the group's key, or None (and normalises in place)."""
    if group is None:
        return [NOT_NULL]
    if not isinstance(group, dict):
        return not_a_dict(group)
    errors = Errors()
    choice_field(errors, group, "logicType", LOGIC_TYPES)
    conditions = group.get("conditions")
    if "conditions" not in group:
        if metric:
            errors.add("conditions", REQUIRED)
        else:
            group["conditions"] = []
    elif not isinstance(conditions, list):
        errors.add("conditions", not_a_list(conditions))
    else:
        item_errors = [validate_condition(c, metric=metric) for c in conditions]
        if any(item_errors):
            errors.add("conditions", item_errors)
        elif metric and not any(c["conditionResult"] == PRIORITY_OK for c in conditions) and \
                not any(c["type"] == "anomaly_detection" for c in conditions):
            errors.add("conditions", "Resolution condition required for metric issue detector.")
    return errors.fields or None


def validate_condition(condition: JSON, *, metric: bool) -> dict:
    """One condition; {} when valid (the shape of a many=True serializer's errors)."""
    if not isinstance(condition, dict):
        return not_a_dict(condition)
    errors = Errors()
    kind = condition.get("type")
    if choice_field(errors, condition, "type", ALL_CONDITION_TYPES) and metric and \
            kind not in METRIC_CONDITION_TYPES:
        errors.add("type", f"Unsupported type {kind}")
    if "comparison" not in condition:
        errors.add("comparison", REQUIRED)
    elif not metric:
        # Workflow triggers and action filters: the handler's comparison_json_schema
        # (conditions.py).
        message = comparison_error(str(kind), condition["comparison"])
        if message:
            errors.add("comparison", message)
    else:
        comparison = condition["comparison"]
        if isinstance(comparison, bool) or not isinstance(comparison, int | float | dict):
            errors.add("comparison", "A valid number or dict is required.")
        elif isinstance(comparison, int | float):
            condition["comparison"] = float(comparison)
        elif kind != "anomaly_detection":
            # A dict is only meaningful for anomaly detection; other handlers want a primitive.
            errors.add("comparison", f"Invalid json primitive value: {snake_keys(comparison)}. "
                                     "Must be a string, number, or boolean.")
        else:
            message = anomaly_comparison_error(comparison)
            if message:
                errors.add("comparison", message)
    if "conditionResult" not in condition:
        errors.add("conditionResult", REQUIRED)
    elif metric:
        result = int_value(condition["conditionResult"])
        if result not in CONDITION_RESULTS:
            errors.add("conditionResult", "Unsupported condition result")
        else:
            condition["conditionResult"] = result
    return errors.fields


def anomaly_comparison_error(comparison: dict) -> str | None:
    """The anomaly-detection comparison (jsonschema's first message line): sensitivity
    low/medium/high, seasonality auto, thresholdType 0 above / 1 below / 2 both (SCHEMA docs)."""
    for key, allowed in (("sensitivity", ["low", "medium", "high"]), ("seasonality", ["auto"]),
                         ("thresholdType", [0, 1, 2])):
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        if key not in comparison:
            return f"'{snake}' is a required property"
        if comparison[key] not in allowed or isinstance(comparison[key], bool):
            return f"{comparison[key]!r} is not one of {allowed!r}"
    return None
