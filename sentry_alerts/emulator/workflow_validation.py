"""Validation of alert (workflow) requests, with Sentry's messages.

WV (`src/sentry/workflow_engine/endpoints/validators/base/workflow.py`, `WorkflowValidator`, its
`validate_action_filters`): the workflow's fields, its trigger group and action filters (the
conditions by condition_validation.py, each action by action_validation.py). Returns a
normalised camelCase body or raises `core.ApiError(400, body)` with the body Sentry sends.
Sources and short names: docs/emulator-monitors.md.
"""

from __future__ import annotations

from sentry_alerts.emulator.action_validation import validate_action
from sentry_alerts.emulator.condition_validation import validate_condition_group
from sentry_alerts.emulator.core import JSON, ApiError
from sentry_alerts.emulator.monitors_fields import (
    ENVIRONMENT_MISSING,
    Errors,
    bool_field,
    camelize_keys,
    char_field,
    environment_exists,
    int_list,
    not_a_dict,
    not_a_list,
    owner_field,
)
from sentry_alerts.emulator.state import Organization

WORKFLOW_FREQUENCIES = (0, 5, 10, 30, 60, 180, 720, 1440)  # minutes


def validate_workflow(body: JSON, org: Organization, *, partial: bool) -> dict:
    """Validate a workflow POST (partial=False) or PUT (partial=True): WorkflowValidator (WV),
    the action validators (AV) and the Slack action handler (SAV)."""
    if not isinstance(body, dict):
        raise ApiError(400, not_a_dict(body))
    body = camelize_keys(body)
    errors = Errors()
    char_field(errors, body, "name", required=not partial, max_length=256)
    bool_field(errors, body, "enabled")
    if "config" in body:
        config = body["config"]
        if not isinstance(config, dict):
            errors.add("config", "Value must be valid JSON.")
        elif "frequency" in config and (isinstance(config["frequency"], bool)
                                        or config["frequency"] not in WORKFLOW_FREQUENCIES):
            errors.add("config", f"{config['frequency']!r} is not one of "
                                 f"{list(WORKFLOW_FREQUENCIES)!r}")
    if "environment" in body and body["environment"] is not None and \
            not environment_exists(org, body["environment"]):
        errors.add("environment", ENVIRONMENT_MISSING)
    int_list(errors, body, "detectorIds")
    owner_field(errors, body, org)
    if "triggers" in body:
        trigger_errors = validate_condition_group(body["triggers"], metric=False)
        if trigger_errors is not None:
            errors.add("triggers", trigger_errors)
    if "actionFilters" in body:
        filter_errors = validate_action_filters(body["actionFilters"], org)
        if filter_errors is not None:
            errors.add("actionFilters", filter_errors)
    errors.raise_if_any()
    return body


def validate_action_filters(filters: JSON, org: Organization) -> JSON | None:
    """WV.validate_action_filters: the first failing filter or action raises, so the errors are
    those of one item (not indexed)."""
    if not isinstance(filters, list):
        return [not_a_list(filters)]
    for action_filter in filters:
        if not isinstance(action_filter, dict):
            return not_a_dict(action_filter)
        if "actions" not in action_filter:
            return ["Missing actions key in action filter"]
        group_errors = validate_condition_group(action_filter, metric=False)
        if group_errors is not None:
            return group_errors
        actions = action_filter["actions"]
        if not isinstance(actions, list):
            return [not_a_list(actions)]
        for action in actions:
            action_errors = validate_action(action, org)
            if action_errors is not None:
                return action_errors
    return None
