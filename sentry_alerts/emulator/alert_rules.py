"""The legacy metric alert rules API (../shared/reference/sentry-api-notes.md §1-§3).

Routes (org- and project-scoped list/create/get/update/delete, available-actions, the
project-scoped Slack task endpoint), Sentry's validation order and messages, the async (202)
Slack lookup, PUT semantics, and the response shapes (floats, string ids, eventTypes only on the
detail GET). Rules are stored in `org.alert_rules` in their detail-GET shape.

Where the notes are silent the choice is written in docs/emulator.md ("Known differences").
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sentry_alerts.emulator.access import access_of, requested_projects
from sentry_alerts.emulator.core import (
    ApiError,
    Request,
    Response,
    Router,
    forbidden,
    iso_now,
    json_copy,
    not_found,
)
from sentry_alerts.emulator.migration import dual_delete, migrate_rules
from sentry_alerts.emulator.slack_lookup_faults import schedule_lookup
from sentry_alerts.emulator.state import Organization, SlackTask

GET_SCOPES = {"org:read", "org:write", "org:admin", "alerts:read"}
POST_SCOPES = {"org:read", "org:write", "org:admin", "alerts:write"}
WRITE_SCOPES = {"org:write", "org:admin", "alerts:write"}
CREATE_ALLOWED = {"alerts:write", "org:admin", "org:write"}  # BASES check_can_create_alert
TASK_SCOPES = {"project:read", "project:write", "project:admin"}  # ProjectSettingPermission
# MAX_QUERY_SUBSCRIPTIONS_PER_ORG, a server setting in Sentry too: `Emulator(alert_rule_limit=)`.
RULE_LIMIT = 1000

TRANSACTIONS_DISABLED = (
    "Creation of transaction-based alerts is disabled, as we migrate to the span dataset. "
    "Create span-based alerts (dataset: events_analytics_platform) with the "
    "is_transaction:true filter instead."
)
SLACK_FAILED_MESSAGE = ("The slack resource does not exist or has not been granted access in "
                        "that workspace.")
SLACK_RATE_LIMITED_MESSAGE = "Requests to Slack exceeded the rate limit. Please try again later."
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."

# Sentry's Dataset enum values (src/sentry/snuba/dataset.py, newer versions).
DATASETS = ["events", "transactions", "discover", "search_issues", "outcomes", "outcomes_raw",
            "sessions", "metrics", "generic_metrics", "replays", "profiles",
            "events_analytics_platform"]
DATASET_ENUM_NAMES = {"events": "events", "transactions": "transactions",
                      "generic_metrics": "performancemetrics", "metrics": "metrics",
                      "events_analytics_platform": "eventsanalyticsplatform"}
QUERY_TYPE_DATASETS = {0: ["events"], 1: ["events_analytics_platform", "generic_metrics",
                                          "transactions"], 2: ["metrics"]}
DATASET_QUERY_TYPE = {"events": 0, "transactions": 1, "generic_metrics": 1,
                      "events_analytics_platform": 1, "metrics": 2}
EVENT_TYPES = ["error", "default", "transaction", "trace_item_span", "trace_item_log"]
DATASET_EVENT_TYPES = {"events": ["default", "error"], "transactions": ["transaction"],
                       "generic_metrics": ["transaction"],
                       "events_analytics_platform": ["trace_item_span", "transaction"],
                       "metrics": []}
DEFAULT_EVENT_TYPES = {"events": ["error"], "transactions": ["transaction"],
                       "generic_metrics": ["transaction"],
                       "events_analytics_platform": ["trace_item_span"], "metrics": []}
EAP_FUNCTIONS = {"count", "avg", "p50", "p75", "p90", "p95", "p99", "p100", "max", "min"}
EAP_COLUMNS = {"span.duration", "span.self_time", "transaction.duration"}
PERF_FUNCTIONS = EAP_FUNCTIONS | {"percentile", "apdex", "failure_rate", "count_unique", "sum",
                                  "epm", "tpm"}
EXTRAPOLATION_OK = {"client_and_server_weighted", "unknown"}
ACTION_TYPES = ["email", "pagerduty", "slack", "msteams", "sentry_app", "opsgenie", "discord"]
TARGET_TYPES = ["user", "team", "specific", "sentry_app"]
RESOLUTION_MINUTES = {30: 2, 60: 3, 120: 3, 240: 5, 720: 5, 1440: 15}
ACTOR_PARSE = ("Could not parse actor. Format should be `type:id` where type is `team` or "
               "`user`.")


def to_snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def to_camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_keys(value: Any) -> Any:
    """camelCase or snake_case keys -> snake_case, recursively (CAMEL). Both spellings of one
    key -> 400 `{"<key>": "<key> collides with <snake_key>, please pass only one value"}`."""
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    for key in value:
        snake = to_snake(key)
        if snake != key and snake in value:
            raise ApiError(400, {key: f"{key} collides with {snake}, please pass only one value"})
    return {to_snake(k): (v if k == "settings" else snake_keys(v)) for k, v in value.items()}


def field_errors(errors: dict[str, Any]) -> ApiError:
    return ApiError(400, {to_camel(k): v for k, v in errors.items()})


def non_field(message: str) -> ApiError:
    return ApiError(400, {"nonFieldErrors": [message]})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int_field(value: Any, lo: int, hi: int) -> tuple[int | None, str | None]:
    """DRF IntegerField: ints, whole floats and digit strings; then the range."""
    if isinstance(value, bool):
        return None, "A valid integer is required."
    if isinstance(value, float):
        if not value.is_integer():
            return None, "A valid integer is required."
        value = int(value)
    elif isinstance(value, str):
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            return None, "A valid integer is required."
        value = int(value)
    elif not isinstance(value, int):
        return None, "A valid integer is required."
    if value < lo:
        return None, f"Ensure this value is greater than or equal to {lo}."
    if value > hi:
        return None, f"Ensure this value is less than or equal to {hi}."
    return value, None


def _float_field(value: Any) -> tuple[float | None, str | None]:
    if _is_number(value):
        return float(value), None
    if isinstance(value, str):
        try:
            return float(value), None
        except ValueError:
            pass
    return None, "A valid number is required."


def _char_field(value: Any, *, max_length: int | None = None,
                allow_blank: bool = False) -> tuple[str | None, str | None]:
    if isinstance(value, (dict, list, bool)):
        return None, "Not a valid string."
    text = str(value)
    if not allow_blank and not text.strip():
        return None, NOT_BLANK
    if max_length is not None and len(text) > max_length:
        return None, f"Ensure this field has no more than {max_length} characters."
    return text, None


def _owner(org: Organization, req: Request, value: Any) -> tuple[str | None, str | None]:
    """ActorField/OwnerActorField: "team:ID", "user:ID", a bare user id, or an email."""
    if value is None or value == "":
        return None, None
    text = str(value).strip()
    kind, sep, ident = text.partition(":")
    if not sep:
        if text.isdigit():
            kind, ident = "user", text
        else:
            member = org.user(text)
            if member is None:
                return None, "User is not a member of this organization"
            return f"user:{member.user_id}", None
    if kind not in ("team", "user") or not ident.isdigit():
        return None, ACTOR_PARSE
    if kind == "team":
        team = org.team(ident)
        if team is None or str(team.id) != ident:
            return None, "Team does not exist"
        if "team:admin" not in req.scopes and req.user_id not in team.members:
            return None, "You do not have permission to assign this owner"
        return f"team:{team.id}", None
    member = org.user(ident)
    if member is None:
        return None, "User is not a member of this organization"
    return f"user:{member.user_id}", None


# --- validation (serializer fields, then validate()) ---

def validate_rule(emu: Any, org: Organization, req: Request, data: dict[str, Any]) -> dict[str, Any]:
    """Field errors first (all together, as DRF), then the object checks in Sentry's order.
    Returns the clean snake_case rule (triggers still raw)."""
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}

    def required(key: str) -> bool:
        if key not in data:
            errors[key] = [REQUIRED]
            return False
        if data[key] is None:
            errors[key] = [NOT_NULL]
            return False
        return True

    if required("name"):
        clean["name"], err = _char_field(data["name"], max_length=256)
        if err:
            errors["name"] = [err]
    if required("query"):
        clean["query"], err = _char_field(data["query"], allow_blank=True)
        if err:
            errors["query"] = [err]
        elif "release:latest" in clean["query"]:
            errors["query"] = ["Unsupported Query: We do not currently support the "
                               "release:latest query"]
    if required("aggregate"):
        clean["aggregate"], err = _char_field(data["aggregate"])
        if err:
            errors["aggregate"] = [err]
    if required("time_window"):
        clean["time_window"], err = _int_field(data["time_window"], 1, 1440)
        if err:
            errors["time_window"] = [err]
    environment = data.get("environment")
    if environment is not None:
        known = {e for p in org.projects.values() for e in p.environments}
        if str(environment) not in known:
            errors["environment"] = ["Environment is not part of this organization"]
    clean["environment"] = None if environment is None else str(environment)
    if required("threshold_type"):
        value, err = _int_field(data["threshold_type"], -2**31, 2**31 - 1)
        if err:
            errors["threshold_type"] = [err]
        elif value not in (0, 1, 2):
            errors["threshold_type"] = ["Invalid threshold type, valid values are [0, 1, 2]"]
        clean["threshold_type"] = value
    clean["resolve_threshold"] = None
    if data.get("resolve_threshold") is not None:
        clean["resolve_threshold"], err = _float_field(data["resolve_threshold"])
        if err:
            errors["resolve_threshold"] = [err]
    clean["threshold_period"] = 1
    if data.get("threshold_period") is not None:
        clean["threshold_period"], err = _int_field(data["threshold_period"], 1, 20)
        if err:
            errors["threshold_period"] = [err]
    clean["comparison_delta"] = None
    if data.get("comparison_delta") is not None:
        clean["comparison_delta"], err = _int_field(data["comparison_delta"], 1, 128160)
        if err:
            errors["comparison_delta"] = [err]
    projects = data.get("projects")
    if projects is None:
        errors["projects"] = [REQUIRED]
    elif not isinstance(projects, list):
        errors["projects"] = [f'Expected a list of items but got type "{type(projects).__name__}".']
    elif len(projects) > 1:
        errors["projects"] = ["Ensure this field has no more than 1 elements."]
    elif not projects:
        errors["projects"] = ["This list may not be empty."]
    else:
        project = org.project(projects[0])
        if project is None:
            errors["projects"] = ["Invalid project"]
        else:
            clean["projects"] = [project.slug]
    if required("triggers"):
        if not isinstance(data["triggers"], list):
            errors["triggers"] = ['Expected a list of items but got type '
                                  f'"{type(data["triggers"]).__name__}".']
        else:
            clean["triggers"] = data["triggers"]
    dataset = data.get("dataset") or "events"
    if dataset not in DATASETS:
        errors["dataset"] = [f"Invalid dataset, valid values are {DATASETS}"]
    clean["dataset"] = dataset
    query_type = data.get("query_type")
    if query_type is not None and (isinstance(query_type, bool) or query_type not in (0, 1, 2)):
        errors["query_type"] = [f"Invalid query type {query_type}"]
    clean["query_type"] = query_type
    event_types = data.get("event_types")
    if event_types is not None:
        bad = [e for e in event_types if e not in EVENT_TYPES] if isinstance(event_types, list) \
            else [event_types]
        if bad:
            errors["event_types"] = [f"Invalid event_type, valid values are {EVENT_TYPES}"]
    clean["event_types"] = event_types
    if "owner" in data:
        clean["owner"], err = _owner(org, req, data["owner"])
        if err:
            errors["owner"] = [err]
    detection = data.get("detection_type")
    if detection is not None and detection not in ("static", "percent", "dynamic"):
        errors["detection_type"] = [f'"{detection}" is not a valid choice.']
    clean["detection_type"] = detection
    description = data.get("description")
    clean["description"] = "" if description is None else str(description)
    clean["sensitivity"] = data.get("sensitivity")
    clean["extrapolation_mode"] = data.get("extrapolation_mode")
    if errors:
        raise field_errors(errors)
    _validate_query(emu, clean)
    _validate_triggers(clean)
    return clean


def _validate_query(emu: Any, clean: dict[str, Any]) -> None:
    """SnubaQueryValidator.validate(): query type vs dataset, event types, aggregate, window."""
    dataset = clean["dataset"]
    if clean["query_type"] is None:
        clean["query_type"] = DATASET_QUERY_TYPE.get(dataset, 0)
    valid = QUERY_TYPE_DATASETS[clean["query_type"]]
    if dataset not in valid:
        names = sorted(DATASET_ENUM_NAMES.get(d, d) for d in valid)
        raise non_field(f"Invalid dataset for this query type. Valid datasets are {names}")
    if dataset == "transactions" and emu.profile.transactions_needs_metrics:
        raise field_errors({"dataset": ["Performance alerts must use the `generic_metrics` dataset"]})
    allowed = DATASET_EVENT_TYPES.get(dataset, EVENT_TYPES)
    if clean["event_types"] is None:
        clean["event_types"] = list(DEFAULT_EVENT_TYPES.get(dataset, []))
    elif dataset == "events_analytics_platform" and len(clean["event_types"]) > 1:
        raise non_field(f"Multiple event types not allowed. Valid event types are {allowed}")
    elif any(e not in allowed for e in clean["event_types"]):
        raise non_field(f"Invalid event types for this dataset. Valid event types are {allowed}")
    aggregate = clean["aggregate"].strip()
    if aggregate.startswith("upsampled_count("):
        raise field_errors({"aggregate": [
            "upsampled_count() is not allowed as user input. Use count() instead - it will be "
            "automatically converted to upsampled_count() when appropriate."]})
    match = re.fullmatch(r"(\w+)\(([^()]*)\)", aggregate)
    if not match:
        raise field_errors({"aggregate": [
            "Invalid Metric: Please pass a valid function for aggregation"]})
    function, column = match.group(1), match.group(2).strip()
    supported = True
    if dataset == "events_analytics_platform":
        supported = function in EAP_FUNCTIONS and (column in EAP_COLUMNS or
                                                    (function == "count" and column == ""))
    elif clean["query_type"] == 1:
        supported = function in PERF_FUNCTIONS and (
            column in ("", "transaction.duration") or column.startswith("measurements."))
    if not supported:
        raise field_errors({"aggregate": ["Invalid Metric: We do not currently support this field."]})
    if dataset == "events_analytics_platform" and clean["time_window"] < 5:
        raise non_field("Invalid Time Window: Time window for this alert type must be at least "
                        "5 minutes.")


def _label(trigger: Any) -> Any:
    return trigger.get("label") if isinstance(trigger, dict) else None


def _validate_triggers(clean: dict[str, Any]) -> None:
    triggers = clean["triggers"]
    if not triggers:
        raise non_field("Must include at least one trigger")
    if len(triggers) > 2:
        raise non_field("Must send 1 or 2 triggers - A critical trigger, and an optional "
                        "warning trigger")
    for trigger in triggers:
        if not isinstance(trigger, dict) or not trigger.get("actions"):
            raise non_field("Each trigger must have an associated action for this alert to fire.")
    for n, (trigger, expected) in enumerate(zip(triggers, ("critical", "warning"), strict=False),
                                            start=1):
        if _label(trigger) != expected:
            raise non_field(f'Trigger {n} must be labeled "{expected}"')
    threshold_type = clean["threshold_type"]
    if clean["comparison_delta"] is not None and threshold_type == 2:
        raise non_field("Invalid threshold type: Allowed types for comparison alerts are above "
                        "OR below")
    for trigger in triggers:
        value = trigger.get("alert_threshold")
        if value is None:
            raise non_field("Trigger must have an alertThreshold")
        number, err = _float_field(value)
        if err:
            raise field_errors({"triggers": [{"alertThreshold": [err]}]})
        trigger["alert_threshold"] = number
        _check_resolve(threshold_type, trigger, clean["resolve_threshold"])
    if len(triggers) == 2:
        critical, warning = (t["alert_threshold"] for t in triggers)
        if threshold_type == 0 and critical < warning:
            raise non_field("Critical trigger must have an alert threshold above warning trigger")
        if threshold_type == 1 and critical > warning:
            raise non_field("Critical trigger must have an alert threshold below warning trigger")


def _check_resolve(threshold_type: int, trigger: dict[str, Any], resolve: float | None) -> None:
    """DRF-SER _validate_trigger_thresholds (notes §2.3, rule 2)."""
    if resolve is None or threshold_type not in (0, 1):
        return
    alert = trigger["alert_threshold"]
    whole = float(alert).is_integer() and float(resolve).is_integer()
    if threshold_type == 0:
        bad = alert + 1 <= resolve - 1 if whole else alert <= resolve
        word = "above"
    else:
        bad = alert - 1 >= resolve + 1 if whole else alert >= resolve
        word = "below"
    if bad:
        raise non_field(f"{trigger['label']} alert threshold must be {word} resolution threshold")


# --- actions (save-time checks) ---

def _action_target(org: Organization, action: dict[str, Any], *, resolve_names: bool
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
                _action_target(org, {**action, "input_channel_id": None}, resolve_names=False)
            except ApiError:
                continue
            return True
    return False


# --- building and serializing stored rules ---

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
            fields = _action_target(org, raw_action, resolve_names=resolve_names)
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


# --- handlers ---

def _org_with_incidents(emu: Any, org: str) -> Organization:
    o = emu.state.org(org)
    if "incidents" not in o.features:
        raise not_found()
    return o


def _body(req: Request) -> dict[str, Any]:
    if not isinstance(req.body, dict):
        got = "list" if isinstance(req.body, list) else type(req.body).__name__
        raise non_field(f"Invalid data. Expected a dictionary, but got {got}.")
    return snake_keys(req.body)


def _get_rule(emu: Any, o: Organization, rule_id: str, project: str | None = None,
              req: Request | None = None) -> dict[str, Any]:
    """A rule by URL id: 404 when unknown (or not in the URL's project), 403 when the token
    cannot access its project (access.py)."""
    if not rule_id.isdigit() or int(rule_id) not in o.alert_rules:
        raise not_found()
    rule = o.alert_rules[int(rule_id)]
    if project is not None:
        p = o.project(project)
        if p is None or p.slug not in rule["projects"]:
            raise not_found()
    if req is not None:
        _require_access(o, req, rule["projects"])
    return rule


def _require_access(o: Organization, req: Request, slugs: list[str]) -> None:
    access = access_of(o, req)
    for slug in slugs:
        p = o.project(slug)
        if p is not None:
            access.require(p)


def list_rules(emu: Any, req: Request, org: str, project: str | None = None) -> Response:
    """OrganizationAlertRuleIndexEndpoint: the rules of the projects `get_projects` gives
    (access.py: member projects without `project`, `-1` = all accessible, ids or 403)."""
    o = _org_with_incidents(emu, org)
    ids, slugs = req.args("project"), req.args("projectSlug")
    if ids and slugs:
        raise ApiError(400, {"detail": "Cannot query for both ids and slugs"})
    if project is not None:
        p = o.project(project)
        if p is None:
            raise not_found()
        access_of(o, req).require(p)
        wanted = {p.slug}
    else:
        wanted = {p.slug for p in requested_projects(o, req)}
    with emu.lock:
        rules = [r for _, r in sorted(o.alert_rules.items(), reverse=True)
                 if not wanted.isdisjoint(r["projects"])]
        # Only the page's rules are copied and serialised.
        response = emu.paginate(req, rules, serve=serialize)
    response.headers["X-Sentry-Alert-Rule-Hits"] = str(len(rules))
    response.headers["X-Sentry-Rule-Limit"] = str(_rule_limit(emu))
    return response


def _rule_limit(emu: Any) -> int:
    return int(getattr(emu, "alert_rule_limit", RULE_LIMIT))


def _check_extrapolation(data: dict[str, Any], *, creating: bool) -> None:
    mode = data.get("extrapolation_mode")
    if mode is None or mode in EXTRAPOLATION_OK:
        return
    if creating:
        raise ApiError(400, [f"{mode} extrapolation mode is not supported for new alerts. "
                             "Allowed modes are: client_and_server_weighted, unknown."])
    raise ApiError(400, ["Invalid extrapolation mode for this alert type."])


def create_rule(emu: Any, req: Request, org: str, project: str | None = None) -> Response:
    if not req.scopes & CREATE_ALLOWED:
        raise forbidden()
    o = _org_with_incidents(emu, org)
    raw = req.body if isinstance(req.body, dict) else {}
    if not emu.profile.transaction_datasets and raw.get("dataset") in ("transactions",
                                                                        "generic_metrics"):
        raise ApiError(400, [TRANSACTIONS_DISABLED])
    data = _body(req)
    _check_extrapolation(data, creating=True)
    if project is not None:
        p = o.project(project)
        if p is None:
            raise not_found()
        data["projects"] = [p.slug]
    with emu.lock:
        clean = validate_rule(emu, o, req, data)
        _require_access(o, req, clean["projects"])
        limit = _rule_limit(emu)
        if len(o.alert_rules) >= limit:
            raise ApiError(400, [f"You may not exceed {limit} metric alerts per organization"])
        if needs_async_lookup(o, clean):
            return _start_task(emu, o, req, clean, None)
        rule = build_rule(emu, o, req.user_id, clean, None, resolve_names=False)
        o.alert_rules[int(rule["id"])] = rule
        return Response(201, serialize(rule))


def get_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None) -> Response:
    o = _org_with_incidents(emu, org)
    with emu.lock:
        return Response(200, serialize(_get_rule(emu, o, rule_id, project, req), detail=True))


def update_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None
                ) -> Response:
    o = _org_with_incidents(emu, org)
    with emu.lock:
        existing = _get_rule(emu, o, rule_id, project, req)
        data = _body(req)
        _check_extrapolation(data, creating=False)
        merged = rule_as_request(existing)
        merged["environment"] = None  # leaving environment out clears it (notes §2.7)
        merged.update(data)
        clean = validate_rule(emu, o, req, merged)
        if needs_async_lookup(o, clean):
            return _start_task(emu, o, req, clean, int(existing["id"]))
        rule = build_rule(emu, o, req.user_id, clean, existing, resolve_names=False)
        o.alert_rules[int(rule["id"])] = rule
        return Response(200, serialize(rule))


def delete_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None
                ) -> Response:
    o = emu.state.org(org)  # DELETE works without the incidents feature
    with emu.lock:
        _get_rule(emu, o, rule_id, project, req)
        del o.alert_rules[int(rule_id)]
        detectors = len(o.detectors)
        dual_delete(o, int(rule_id))
        if len(o.detectors) != detectors:  # it removed a migrated detector and its links
            o.links.invalidate()
    return Response(204)


# --- the async Slack lookup (notes §3.3) ---

def _start_task(emu: Any, o: Organization, req: Request, clean: dict[str, Any],
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


def available_actions(emu: Any, req: Request, org: str) -> Response:
    o = _org_with_incidents(emu, org)
    items: list[dict[str, Any]] = [{"type": "email", "allowedTargetTypes": ["user", "team"]}]
    for ws in o.slack:
        items.append({"type": "slack", "allowedTargetTypes": ["specific"],
                      "integrationName": ws.name, "integrationId": ws.integration_id})
    return Response(200, items)


def seed_alert_rules(emu: Any, seed: dict[str, Any]) -> None:
    """Create each org's `alert_rules` (POST bodies) from the seed, resolving Slack names at
    once; `migrated_alert_rules` are created the same way, then migrated to monitors as Sentry
    did (migration.py). A bad seed rule raises ValueError naming it and Sentry's error."""
    for raw_org in seed.get("organizations") or []:
        o = emu.state.org(raw_org["slug"])
        migrated = raw_org.get("migrated_alert_rules") or []
        if migrated and not emu.profile.monitors_api:
            raise ValueError(f"migrated_alert_rules need a profile with the monitors API, not "
                             f"{emu.profile.name}")
        for key in ("alert_rules", "migrated_alert_rules"):
            made = []
            for body in raw_org.get(key) or []:
                req = Request("POST", "/", {}, {}, body, b"", None, frozenset({"team:admin"}),
                              None)
                try:
                    clean = validate_rule(emu, o, req, snake_keys(body))
                    rule = build_rule(emu, o, None, clean, None, resolve_names=True)
                except ApiError as exc:
                    raise ValueError(f"seed alert rule {body.get('name')!r}: {exc.body}") \
                        from None
                o.alert_rules[int(rule["id"])] = rule
                made.append(int(rule["id"]))
            if key == "migrated_alert_rules":
                migrate_rules(emu, o, made)
                o.links.invalidate()


def register(router: Router) -> None:
    org_base = "/api/0/organizations/{org}/alert-rules/"
    proj_base = "/api/0/projects/{org}/{project}/alert-rules/"
    add = router.add
    add("GET", org_base + "available-actions/", available_actions, scopes=GET_SCOPES,
        name="alert_rules.available_actions")
    add("GET", org_base, list_rules, scopes=GET_SCOPES, name="alert_rules.list")
    add("POST", org_base, create_rule, scopes=POST_SCOPES, name="alert_rules.create")
    add("GET", org_base + "{rule_id}/", get_rule, scopes=GET_SCOPES, name="alert_rules.get")
    add("PUT", org_base + "{rule_id}/", update_rule, scopes=WRITE_SCOPES, name="alert_rules.update")
    add("DELETE", org_base + "{rule_id}/", delete_rule, scopes=WRITE_SCOPES,
        name="alert_rules.delete")
    add("GET", proj_base, list_rules, scopes=GET_SCOPES | TASK_SCOPES,
        name="project_alert_rules.list")
    add("POST", proj_base, create_rule, scopes=POST_SCOPES, name="project_alert_rules.create")
    add("GET", proj_base + "{rule_id}/", get_rule, scopes=GET_SCOPES | TASK_SCOPES,
        name="project_alert_rules.get")
    add("PUT", proj_base + "{rule_id}/", update_rule, scopes=WRITE_SCOPES,
        name="project_alert_rules.update")
    add("DELETE", proj_base + "{rule_id}/", delete_rule, scopes=WRITE_SCOPES,
        name="project_alert_rules.delete")
    add("GET", "/api/0/projects/{org}/{project}/alert-rule-task/{task_uuid}/", get_task,
        scopes=TASK_SCOPES, name="alert_rule_task.get")
