"""Validation of a workflow's actions, with Sentry's messages.

The BaseActionValidator fields and its integration-id rule (BAV-T:
`tests/sentry/workflow_engine/endpoints/validators/test_base_action.py`), then the per-type
handler: Slack channels are resolved inside the request (SAV:
`src/sentry/notifications/notification_action/action_validation.py`,
`SlackActionValidatorHandler`, and `src/sentry/integrations/slack/actions/form.py`; notes §5.1),
email targets must exist. Sources and short names: docs/emulator-monitors.md.
"""

from __future__ import annotations

from sentry_alerts.emulator.core import JSON
from sentry_alerts.emulator.monitors_fields import REQUIRED, Errors, choice_field, not_a_dict
from sentry_alerts.emulator.state import Organization

ACTION_TYPES = (
    "email", "slack", "msteams", "discord", "pagerduty", "opsgenie", "sentry_app", "jira",
    "jira_server", "github", "github_enterprise", "vsts", "webhook", "plugin",
)
EMAIL_TARGET_TYPES = ("user", "team", "issue_owners")
INTEGRATION_ACTION_TYPES = ("slack", "msteams", "discord", "pagerduty", "opsgenie", "jira",
                            "jira_server", "github", "github_enterprise", "vsts")


def validate_action(action: JSON, org: Organization) -> JSON | None:
    """BaseActionValidator fields, then the per-type handler. Normalises in place; Slack actions
    get their channel resolved now (SAV)."""
    if not isinstance(action, dict):
        return not_a_dict(action)
    errors = Errors()
    kind = action.get("type")
    choice_field(errors, action, "type", ACTION_TYPES)
    config = action.setdefault("config", {})
    if not isinstance(config, dict):
        errors.add("config", "Value must be valid JSON.")
    data = action.setdefault("data", {})
    if not isinstance(data, dict):
        errors.add("data", "Value must be valid JSON.")
    if errors.fields:
        return errors.fields
    action.setdefault("status", "active")
    # BaseActionValidator: integration actions need an integration id, others must not have one.
    integration_id = action.get("integrationId")
    if kind in INTEGRATION_ACTION_TYPES and integration_id in (None, ""):
        return {"nonFieldErrors": [f"Integration ID is required for action type {kind}"]}
    if kind not in INTEGRATION_ACTION_TYPES and integration_id not in (None, ""):
        return {"nonFieldErrors": [f"Integration ID is not allowed for action type {kind}"]}
    if kind == "slack":
        return resolve_slack_action(action, org)
    if kind == "email":
        return check_email_action(action, org)
    return None


def resolve_slack_action(action: dict, org: Organization) -> JSON | None:
    """SlackNotifyServiceForm, run synchronously inside the request (SAV, notes §5.1): the
    channel name (config.targetDisplay) or id (config.targetIdentifier) is looked up in the
    workspace and the real name and id are written back; a wrong name next to a valid id is
    corrected. Form errors come back under "all" with the form's "Slack: " prefix."""
    integration_id = action["integrationId"]
    workspace = org.slack_workspace(integration_id)
    if workspace is None:
        return {"nonFieldErrors": [f"Slack integration with id {integration_id} not found"]}
    config = action["config"]
    if config.get("targetType", "specific") != "specific":
        return {"nonFieldErrors": ["Invalid target type for slack. Valid types are [specific]"]}
    given_id = config.get("targetIdentifier") or None
    given_name = config.get("targetDisplay") or None
    if given_id:
        # An id is checked as an id; the name next to it is corrected (2026 behaviour).
        channel = workspace.find_channel(str(given_id))
        if channel is None or channel.id != str(given_id):
            return {"all": ["Slack: Invalid channel id"]}
    elif given_name:
        channel = workspace.find_channel(str(given_name))
        if channel is None:
            name = str(given_name).lstrip("#@")
            return {"all": [f'Slack: The resource "{name}" does not exist or has not been '
                            f"granted access in the {workspace.name} Slack workspace."]}
    else:
        return {"channel": [REQUIRED]}
    action["integrationId"] = str(workspace.integration_id)
    action["config"] = {"targetType": "specific", "targetIdentifier": channel.id,
                        "targetDisplay": "#" + channel.name}
    return None


def check_email_action(action: dict, org: Organization) -> JSON | None:
    config = action["config"]
    target_type = config.get("targetType")
    if target_type not in EMAIL_TARGET_TYPES:
        return {"nonFieldErrors": [
            f"Invalid target type for email. Valid types are {list(EMAIL_TARGET_TYPES)}"]}
    ident = config.get("targetIdentifier")
    if target_type == "team" and org.team(ident) is None:
        return {"nonFieldErrors": ["Team does not exist"]}
    if target_type == "user" and org.user(ident) is None:
        return {"nonFieldErrors": ["User does not belong to this organization"]}
    action["integrationId"] = None
    # The config as sent (Sentry serves `{"targetType", "targetIdentifier"}` for an email
    # action: workflow_serializer_expected.jsonc), the identifier as a string.
    action["config"] = {**config, "targetIdentifier": "" if ident is None else str(ident)}
    return None
