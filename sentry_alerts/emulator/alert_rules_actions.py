"""Save-time checks of a legacy alert rule's trigger actions, with Sentry's messages.

What ACT-SER (`src/sentry/incidents/serializers/alert_rule_trigger_action.py`,
`AlertRuleTriggerActionSerializer.validate`) and LOGIC (`src/sentry/incidents/logic.py`,
`create_alert_rule_trigger_action`, `_get_target_identifier_display_for_slack`) check when a
rule is saved, after the request validation of alert_rules_validation.py: the action type and
target type, Slack workspaces and channels (a channel id is checked at once, a name only by
the async lookup, slack_task.py), email teams and members. Errors raised here are the bare
lists and dicts Sentry sends from save (notes §2.5, §2.6).
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import ApiError
from sentry_alerts.emulator.state import Organization

ACTION_TYPES = ["email", "pagerduty", "slack", "msteams", "sentry_app", "opsgenie", "discord"]
TARGET_TYPES = ["user", "team", "specific", "sentry_app"]


def action_target(org: Organization, action: dict[str, Any], *, resolve_names: bool
                   ) -> dict[str, Any]:
    """Validate one action as ACT-SER and LOGIC do at save time and return its stored fields.
    Slack names are resolved only when `resolve_names` (the async task and seeds)."""
    kind = action.get("type")
    target_type = action.get("target_type")
    identifier = action.get("target_identifier")
    if kind is None or target_type is None or identifier is None:
        raise ApiError(400, {"nonFieldErrors": [
            "type, targetType and targetIdentifier must be passed together"]})
    if kind == "sentry_notification":
        raise ApiError(400, ["Selected notification service is exempt from alert rules"])
    if kind not in ACTION_TYPES:
        # The newest ACT-SER formats the registered slugs as a Python list (`{valid_slugs!r}`).
        raise ApiError(400, {"type": [f"Invalid type, valid values are {ACTION_TYPES!r}"]})
    if target_type not in TARGET_TYPES:
        raise ApiError(400, {"targetType": [
            f"Invalid targetType, valid values are [{', '.join(TARGET_TYPES)}]"]})
    identifier = str(identifier)
    if not identifier.strip():
        raise ApiError(400, ["One or more of your actions is missing a target identifier."])
    priority = action.get("priority")
    if priority is not None and kind not in ("pagerduty", "opsgenie"):
        raise ApiError(400, {"priority": "Can only be set for Pagerduty or Opsgenie"})
    integration_id = action.get("integration_id", action.get("integration"))
    stored = {"type": kind, "targetType": target_type, "targetIdentifier": identifier,
              "inputChannelId": None, "integrationId": None, "sentryAppId": None,
              "priority": priority}
    if kind == "slack":
        if target_type != "specific":
            raise ApiError(400, {"targetType": "Invalid target type for slack. Valid types are "
                                               "[specific]"})
        if integration_id is None:
            raise ApiError(400, {"integration": "Integration must be provided for slack"})
        workspace = org.slack_workspace(integration_id)
        if workspace is None:
            raise ApiError(400, ["Slack workspace is a required field."])
        stored["integrationId"] = workspace.integration_id
        channel_id = action.get("input_channel_id")
        if channel_id:
            channel = workspace.find_channel(str(channel_id))
            if channel is None or channel.id != str(channel_id):
                message = ("User not found. Invalid ID provided." if str(channel_id)[:1] in "UW"
                           else "Channel not found. Invalid ID provided.")
                raise ApiError(400, {"nonFieldErrors": [message]})
            given = identifier.lstrip("#").lower()
            # 2026 servers auto-correct a mismatched name to Slack's real one (notes §2.5).
            display = identifier if given == channel.name.lower() else f"#{channel.name}"
            stored.update(targetIdentifier=display, inputChannelId=channel.id)
        elif resolve_names:
            channel = workspace.find_channel(identifier)
            if channel is None:
                raise ApiError(400, [f"Could not find channel {identifier}. Channel may not "
                                     "exist, or Sentry may not have been granted permission to "
                                     "access it"])
            stored["inputChannelId"] = channel.id
        stored["desc"] = f"Send a Slack notification to {stored['targetIdentifier']}"
        return stored
    if kind in ("msteams", "discord", "pagerduty", "opsgenie") and target_type != "specific":
        raise ApiError(400, {"targetType": f"Invalid target type for {kind}. Valid types are "
                                           "[specific]"})
    if kind == "email":
        if target_type == "team":
            team = org.team(identifier)
            if team is None or str(team.id) != identifier:
                raise ApiError(400, {"nonFieldErrors": ["Team does not exist"]})
            stored["desc"] = f"Send an email to members of #{team.slug}"
        elif target_type == "user":
            member = org.user(identifier)
            if member is None or str(member.user_id) != identifier:
                raise ApiError(400, {"nonFieldErrors": ["User does not belong to this organization"]})
            stored["desc"] = f"Send a notification to {member.email}"
        else:
            raise ApiError(400, {"targetType": "Invalid target type for email. Valid types are "
                                               "[user, team]"})
        return stored
    # The emulator has no PagerDuty/Opsgenie/MS Teams/Discord/Sentry-app installations.
    missing = {"pagerduty": ["No PagerDuty service found."],
               "opsgenie": ["Opsgenie integration not found."],
               "msteams": [f"Could not find channel {identifier}."],
               "discord": {"integration": "Integration must be provided for discord"},
               "sentry_app": ["No SentryApp found."]}
    raise ApiError(400, missing[kind])

