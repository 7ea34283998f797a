"""Validation of legacy metric alert rule requests, with Sentry's order and messages
(../shared/reference/sentry-api-notes.md §2; the short names are the notes' source table).

- key case: camelCase or snake_case request keys, a collision of both spellings is a 400
  (CAMEL: `src/sentry/api/serializers/rest_framework/base.py`);
- field errors, all together as Django REST framework reports them, then the object checks
  (DRF-SER: `src/sentry/incidents/serializers/alert_rule.py` `AlertRuleSerializer`);
- the query: query type vs dataset, event types, aggregate, window
  (SQV: `src/sentry/snuba/snuba_query_validator.py`);
- triggers and their thresholds (DRF-SER `validate`, `_validate_trigger_thresholds`);
- owners (ACTOR: `src/sentry/api/fields/actor.py`).

Actions are checked later, at save time (alert_rules_actions.py). Where the notes are silent
the choice is written in docs/emulator.md ("Known differences").
"""

from __future__ import annotations

import re
from typing import Any

from sentry_alerts.emulator.core import ApiError, Request
from sentry_alerts.emulator.state import Organization

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
