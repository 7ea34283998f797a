"""The legacy API's async Slack lookup (notes §3.3): a rule whose Slack action names a channel
without its id is answered 202 `{"uuid"}`; a task looks the channel up after
`emu.slack_task_delay` and saves the rule, or fails with Slack's text; the project-scoped task
endpoint reports `pending`, `success` (with the rule) or `failed`.

Sources: LOGIC `get_slack_actions_with_async_lookups` (`src/sentry/incidents/logic.py`), TASK
(`src/sentry/integrations/slack/tasks/find_channel_id_for_alert_rule.py`), RULESTATUS
(`src/sentry/integrations/slack/utils/rule_status.py`) and TASKEP
(`src/sentry/incidents/endpoints/project_alert_rule_task_details.py`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sentry_alerts.emulator.alert_rules_actions import action_target
from sentry_alerts.emulator.alert_rules_stored import build_rule, serialize
from sentry_alerts.emulator.core import ApiError, Request, Response, not_found
from sentry_alerts.emulator.slack_lookup_faults import schedule_lookup
from sentry_alerts.emulator.state import Organization, SlackTask

SLACK_FAILED_MESSAGE = ("The slack resource does not exist or has not been granted access in "
                        "that workspace.")
SLACK_RATE_LIMITED_MESSAGE = "Requests to Slack exceeded the rate limit. Please try again later."


def needs_async_lookup(org: Organization, clean: dict[str, Any]) -> bool:
    """LOGIC get_slack_actions_with_async_lookups: a Slack action that passes action-level
    validation and has no inputChannelId."""
    for trigger in clean["triggers"]:
        for action in trigger.get("actions") or []:
            if not isinstance(action, dict) or action.get("type") != "slack":
                continue
            if action.get("input_channel_id"):
                continue
            try:
                action_target(org, {**action, "input_channel_id": None}, resolve_names=False)
            except ApiError:
                continue
            return True
    return False


def start_task(emu: Any, o: Organization, req: Request, clean: dict[str, Any],
               rule_id: int | None) -> Response:
    task = SlackTask(uuid.uuid4().hex, o.slug, clean["projects"][0])
    emu.state.tasks[task.uuid] = task
    user_id = req.user_id
    schedule_lookup(emu, req, task, lambda: _finish_task(emu, o, task, clean, rule_id, user_id),
                    failure=SLACK_FAILED_MESSAGE)  # or a fault: slack_lookup_faults.py
    return Response(202, {"uuid": task.uuid})


def _finish_task(emu: Any, o: Organization, task: SlackTask, clean: dict[str, Any],
                 rule_id: int | None, user_id: int | None) -> None:
    with emu.lock:
        names = [str(a.get("target_identifier", "")).lstrip("#").lower()
                 for t in clean["triggers"] for a in t.get("actions") or []
                 if isinstance(a, dict) and a.get("type") == "slack"]
        if any(emu.slack_task_outcome.get(n) == "rate_limited" for n in names):
            task.status, task.error = "failed", SLACK_RATE_LIMITED_MESSAGE
            return
        existing = o.alert_rules.get(rule_id) if rule_id is not None else None
        if rule_id is not None and existing is None:  # deleted meanwhile
            task.status, task.error = "failed", SLACK_FAILED_MESSAGE
            return
        try:
            rule = build_rule(emu, o, user_id, clean, existing, resolve_names=True)
        except ApiError:
            task.status, task.error = "failed", SLACK_FAILED_MESSAGE
            return
        o.alert_rules[int(rule["id"])] = rule
        task.status, task.rule_id = "success", int(rule["id"])
    emu.save_state()


def get_task(emu: Any, req: Request, org: str, project: str, task_uuid: str) -> Response:
    o = emu.state.org(org)
    p = o.project(project)
    if p is None:
        raise not_found()
    with emu.lock:
        # An unknown uuid is stored as pending, as Sentry's Redis status does (nx=True).
        task = emu.state.tasks.setdefault(task_uuid, SlackTask(task_uuid, o.slug, p.slug))
        if task.status == "success":
            rule = o.alert_rules.get(task.rule_id or -1)
            if rule is None or p.slug not in rule["projects"]:
                raise not_found()
            return Response(200, {"status": "success", "alertRule": serialize(rule),
                                  "error": None})
        return Response(200, {"status": task.status, "alertRule": None, "error": task.error})
