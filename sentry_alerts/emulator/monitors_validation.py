"""Validation of monitor (detector) and alert (workflow) requests, with Sentry's messages.

Pure functions over plain JSON: they take the request body (camelCase or snake_case keys), the
organization and the server profile, and either return a normalised camelCase body or raise
`core.ApiError(400, body)` with the body Sentry sends. Where each rule comes from is listed in
docs/emulator-monitors.md; the short names in comments (MID, SQV, BDV, ...) are defined there.

Error shapes follow Django REST framework, which Sentry uses:
- field errors: `{"field": ["msg"]}`, all fields checked before any object-level rule;
- object-level errors: `{"nonFieldErrors": ["msg"]}`;
- errors inside a list field: `{"dataSources": {"0": {...}}}` (ListField keys by index);
- errors of a `many=True` serializer: a list with one dict per item (`{}` for valid items);
- errors raised while saving (after validation): a bare JSON list of strings.
"""

from __future__ import annotations

import re
from typing import Any

from sentry_alerts.emulator.conditions import comparison_error
from sentry_alerts.emulator.core import JSON, ApiError
from sentry_alerts.emulator.state import Organization

# --- constants (sources in docs/emulator-monitors.md) ---

DETECTOR_TYPE = "metric_issue"
# Types Sentry lists in "Unknown detector type" (get_unknown_detector_type_error); only
# metric_issue is modelled by the emulator.
KNOWN_DETECTOR_TYPES = ("metric_issue", "monitor_check_in_failure", "uptime_domain_failure")
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
MAX_CONDITIONS = 3

# Dataset enum values (sentry.snuba.dataset.Dataset), in Sentry's order.
DATASETS = [
    "events", "transactions", "discover", "search_issues", "issuePlatform", "outcomes",
    "outcomes_raw", "sessions", "metrics", "generic_metrics", "metrics_summaries",
    "replays", "profiles", "events_analytics_platform",
]
TRANSACTION_DATASETS = ("transactions", "generic_metrics")
EAP = "events_analytics_platform"
# SnubaQuery.Type: 0 error, 1 performance, 2 crash rate; and which datasets each allows.
QUERY_TYPE_DATASETS = {
    0: ["events"],
    1: ["transactions", "generic_metrics", EAP],
    2: ["metrics"],
}
# Enum names lowercased, which is how Sentry prints the valid datasets.
DATASET_ENUM_NAMES = {
    "events": "events", "transactions": "transactions", "generic_metrics": "performancemetrics",
    EAP: "eventsanalyticsplatform", "metrics": "metrics",
}
DATASET_QUERY_TYPE = {"events": 0, "transactions": 1, "generic_metrics": 1, EAP: 1, "metrics": 2}
EVENT_TYPES = ["error", "default", "transaction", "trace_item_log", "trace_item_span",
               "trace_item_metric"]
QUERY_TYPE_EVENT_TYPES = {
    0: ["default", "error"],
    1: ["trace_item_log", "trace_item_span", "transaction"],
}
CRASH_RATE_WINDOWS_SECONDS = (1800, 3600, 7200, 14400, 43200, 86400)
EAP_MIN_WINDOW_SECONDS = 300
EXTRAPOLATION_MODES = ("unknown", "none", "client_only", "client_and_server_weighted",
                       "server_weighted")
DETECTION_TYPES = ("static", "percent", "dynamic")
# Seconds, in the schema's order (detector_api_errors.jsonc, test_invalid_comparison_delta).
COMPARISON_DELTAS = (300, 900, 3600, 86400, 604800, 2592000, None)
WORKFLOW_FREQUENCIES = (0, 5, 10, 30, 60, 180, 720, 1440)  # minutes
ACTION_TYPES = (
    "email", "slack", "msteams", "discord", "pagerduty", "opsgenie", "sentry_app", "jira",
    "jira_server", "github", "github_enterprise", "vsts", "webhook", "plugin",
)
EMAIL_TARGET_TYPES = ("user", "team", "issue_owners")
INTEGRATION_ACTION_TYPES = ("slack", "msteams", "discord", "pagerduty", "opsgenie", "jira",
                            "jira_server", "github", "github_enterprise", "vsts")

TRANSACTION_CREATE_MESSAGE = (
    "Creation of transaction-based alerts is disabled, as we migrate to the span dataset. "
    "Create span-based alerts (dataset: events_analytics_platform) with the is_transaction:true "
    "filter instead."
)
TRANSACTION_UPDATE_MESSAGE = (
    "Updates to transaction-based alerts is disabled, as we migrate to the span dataset. "
    "Create span-based alerts (dataset: events_analytics_platform) with the is_transaction:true "
    "filter instead."
)
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
ACTOR_FORMAT = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
ENVIRONMENT_MISSING = "Environment is not part of this organization"
AGGREGATE_RE = re.compile(r"^[a-z_0-9]+\(([^()]*)\)$")


# --- key case ---

def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelize_keys(value: JSON, path: str = "") -> JSON:
    """Request keys in either case, recursively turned into camelCase (Sentry converts them to
    snake_case; the emulator works in camelCase, which is what it answers with). Two spellings
    of one key give Sentry's collision error."""
    if isinstance(value, list):
        return [camelize_keys(v, path) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, item in value.items():
        key = str(key)
        new = camel(key) if "_" in key.strip("_") else key
        if new in seen:
            snake = re.sub(r"(?<!^)([A-Z])", r"_\1", new).lower()
            raise ApiError(400, {new: f"{new} collides with {snake}, please pass only one value"})
        seen[new] = key
        out[new] = camelize_keys(item, path)
    return out


# --- small field validators (DRF field behaviour) ---

class Errors:
    """Collects DRF-style field errors."""

    def __init__(self) -> None:
        self.fields: dict[str, JSON] = {}

    def add(self, field: str, message: JSON) -> None:
        if isinstance(message, str):
            self.fields.setdefault(field, []).append(message)
        else:
            self.fields[field] = message

    def raise_if_any(self) -> None:
        if self.fields:
            raise ApiError(400, dict(self.fields))


def char_field(errors: Errors, body: dict, key: str, *, required: bool, max_length: int | None,
               allow_null: bool = False, allow_blank: bool = False) -> None:
    if key not in body:
        if required:
            errors.add(key, REQUIRED)
        return
    value = body[key]
    if value is None:
        if not allow_null:
            errors.add(key, NOT_NULL)
        return
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.add(key, "Not a valid string.")
        return
    text = str(value)
    if not text.strip() and not allow_blank:
        errors.add(key, NOT_BLANK)
        return
    if max_length is not None and len(text) > max_length:
        errors.add(key, f"Ensure this field has no more than {max_length} characters.")
        return
    body[key] = text


def bool_field(errors: Errors, body: dict, key: str) -> None:
    if key not in body:
        return
    value = body[key]
    truthy = (True, "true", "True", "1", 1, "yes", "on")
    falsy = (False, "false", "False", "0", 0, "no", "off")
    if value is None:
        errors.add(key, NOT_NULL)
    elif value in truthy and not isinstance(value, float):
        body[key] = True
    elif value in falsy and not isinstance(value, float):
        body[key] = False
    else:
        errors.add(key, "Must be a valid boolean.")


def int_value(value: Any) -> int | None:
    """DRF IntegerField parsing: ints, integral floats and digit strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def int_list(errors: Errors, body: dict, key: str) -> None:
    if key not in body:
        return
    value = body[key]
    if not isinstance(value, list):
        errors.add(key, not_a_list(value))
        return
    bad = {str(i): ["A valid integer is required."] for i, v in enumerate(value)
           if int_value(v) is None}
    if bad:
        errors.add(key, bad)
        return
    body[key] = [int_value(v) for v in value]


def type_name(value: Any) -> str:
    return {dict: "dict", str: "str", int: "int", float: "float", bool: "bool",
            type(None): "NoneType"}.get(type(value), type(value).__name__)


def not_a_dict(value: Any) -> dict:
    """DRF's errors for a serializer given something other than an object."""
    return {"nonFieldErrors": [f"Invalid data. Expected a dictionary, but got {type_name(value)}."]}


def not_a_list(value: Any) -> str:
    """DRF's message for a list field given something other than a list."""
    return f'Expected a list of items but got type "{type_name(value)}".'


def choice_field(errors: Errors, body: dict, key: str, choices: Any) -> bool:
    """A required ChoiceField; True when it is present and one of the choices."""
    if key not in body:
        errors.add(key, REQUIRED)
        return False
    if body[key] not in choices:
        errors.add(key, f'"{body[key]}" is not a valid choice.')
        return False
    return True


def owner_field(errors: Errors, body: dict, org: Organization) -> None:
    """OwnerActorField: "team:ID" / "user:ID" / bare user id / email; must exist (ACTOR)."""
    if "owner" not in body or body["owner"] is None:
        return
    raw = body["owner"]
    text = str(raw).strip()
    if isinstance(raw, bool) or not text:
        errors.add("owner", ACTOR_FORMAT)
        return
    if ":" in text:
        kind, _, ident = text.partition(":")
        if kind not in ("team", "user") or int_value(ident) is None:
            errors.add("owner", ACTOR_FORMAT)
            return
    elif int_value(text) is not None:
        kind, ident = "user", text
    else:
        member = org.user(text)
        if member is None:
            errors.add("owner", ACTOR_FORMAT)
            return
        kind, ident = "user", str(member.user_id)
    if kind == "team" and org.team(ident) is None:
        errors.add("owner", "Team does not exist")
        return
    if kind == "user" and org.user(ident) is None:
        errors.add("owner", "User does not exist")
        return
    body["owner"] = f"{kind}:{int(ident)}"


# --- detectors ---

def check_detector_type(body: dict, *, required: bool) -> None:
    """The endpoint's own checks on `type`, before the validator (OPDI, ODI)."""
    if "type" not in body or body.get("type") in (None, ""):
        if required:
            raise ApiError(400, {"type": [REQUIRED]})
        return
    value = str(body["type"])
    if value == DETECTOR_TYPE:
        return
    if value in KNOWN_DETECTOR_TYPES:
        raise ApiError(400, {"type": [
            f"The emulator models only {DETECTOR_TYPE} monitors, not '{value}'."]})
    raise ApiError(400, {"type": [
        f"Unknown detector type '{value}'. Must be one of: {', '.join(KNOWN_DETECTOR_TYPES)}"]})


def validate_detector(body: JSON, org: Organization, *, existing: dict | None,
                      profile_transactions_need_metrics: bool = False) -> dict:
    """Validate a detector POST (existing=None) or PUT (partial, existing = stored detector).

    Returns the camelCase body with normalised values. Raises ApiError(400) with Sentry's body.
    Save-time checks (transaction deprecation, config schema) are in `check_detector_save`."""
    if not isinstance(body, dict):
        raise ApiError(400, not_a_dict(body))
    body = camelize_keys(body)
    partial = existing is not None
    errors = Errors()
    # Field order of BaseDetectorTypeValidator then MetricIssueDetectorValidator (BDV, MID).
    char_field(errors, body, "name", required=not partial, max_length=200)
    char_field(errors, body, "type", required=not partial, max_length=None)
    if "config" in body and not isinstance(body["config"], dict):
        if body["config"] is None:
            errors.add("config", NOT_NULL)
        else:
            errors.add("config", "Value must be valid JSON.")
    owner_field(errors, body, org)
    char_field(errors, body, "description", required=False, max_length=None, allow_null=True,
               allow_blank=True)
    bool_field(errors, body, "enabled")
    int_list(errors, body, "workflowIds")
    if "dataSources" in body:
        source_errors = validate_data_sources(body, org, existing,
                                              profile_transactions_need_metrics)
        if source_errors is not None:
            errors.add("dataSources", source_errors)
    if "conditionGroup" in body:
        group_error = validate_condition_group(body["conditionGroup"], metric=True)
        if group_error is not None:
            errors.add("conditionGroup", group_error)
    elif not partial:
        errors.add("conditionGroup", REQUIRED)
    errors.raise_if_any()
    # Object-level (MetricIssueDetectorValidator.validate).
    conditions = (body.get("conditionGroup") or {}).get("conditions") or []
    if len(conditions) > MAX_CONDITIONS:
        raise ApiError(400, {"nonFieldErrors": ["Too many conditions"]})
    return body


def validate_data_sources(body: dict, org: Organization, existing: dict | None,
                          transactions_need_metrics: bool) -> JSON | None:
    value = body["dataSources"]
    if value is None:
        return [NOT_NULL]
    if not isinstance(value, list):
        return [not_a_list(value)]
    errors: dict[str, JSON] = {}
    previous = existing_snuba_query(existing)
    cleaned = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors[str(index)] = not_a_dict(item)
            continue
        if previous is not None:
            # PUT: the query is updated in place; fields left out keep their values (MID).
            item = {**previous, **item}
        error, source = validate_snuba_query(item, org, transactions_need_metrics)
        if error:
            errors[str(index)] = error
        else:
            cleaned.append(source)
    if errors:
        return errors
    body["dataSources"] = cleaned
    return None


def existing_snuba_query(detector: dict | None) -> dict | None:
    if not detector or not detector.get("dataSources"):
        return None
    query = detector["dataSources"][0]["queryObj"]["snubaQuery"]
    return {
        "queryType": DATASET_QUERY_TYPE.get(query["dataset"], 1), "dataset": query["dataset"],
        "query": query["query"], "aggregate": query["aggregate"],
        "timeWindow": query["timeWindow"], "environment": query["environment"],
        "eventTypes": list(query["eventTypes"]), "extrapolationMode": query.get(
            "extrapolationMode"),
    }


def validate_snuba_query(item: dict, org: Organization,
                         transactions_need_metrics: bool) -> tuple[JSON | None, dict]:
    """SnubaQueryValidator(timeWindowSeconds=True) (SQV): field errors, then object errors."""
    errors = Errors()
    source = dict(item)
    if "queryType" in item and item["queryType"] is not None:
        query_type = int_value(item["queryType"])
        if query_type is None:
            errors.add("queryType", "A valid integer is required.")
        elif query_type not in QUERY_TYPE_DATASETS:
            errors.add("queryType", f"Invalid query type {query_type}")
        else:
            source["queryType"] = query_type
    dataset = item.get("dataset")
    if "dataset" not in item:
        errors.add("dataset", REQUIRED)
    elif dataset is None:
        errors.add("dataset", NOT_NULL)
    elif dataset not in DATASETS:
        errors.add("dataset", f"Invalid dataset, valid values are {DATASETS!r}")
    elif dataset == "transactions" and transactions_need_metrics:
        errors.add("dataset", "Performance alerts must use the `generic_metrics` dataset")
    if "query" not in item:
        errors.add("query", REQUIRED)
    elif item["query"] is None:
        errors.add("query", NOT_NULL)
    else:
        for term in str(item["query"]).split():
            if term == "release:latest":
                errors.add("query",
                           f"Unsupported Query: We do not currently support the {term} query")
    if "aggregate" not in item:
        errors.add("aggregate", REQUIRED)
    elif not item["aggregate"]:
        errors.add("aggregate", NOT_NULL if item["aggregate"] is None else NOT_BLANK)
    elif item["aggregate"] == "upsampled_count()":
        errors.add("aggregate", "upsampled_count() is not allowed as user input. Use count() "
                   "instead - it will be automatically converted to upsampled_count() when "
                   "appropriate.")
    if "timeWindow" not in item:
        errors.add("timeWindow", REQUIRED)
    elif int_value(item["timeWindow"]) is None:
        errors.add("timeWindow", "A valid integer is required.")
    else:
        source["timeWindow"] = int_value(item["timeWindow"])
    if "environment" not in item:
        errors.add("environment", REQUIRED)
    elif item["environment"] is not None and not environment_exists(org, item["environment"]):
        errors.add("environment", ENVIRONMENT_MISSING)
    if "eventTypes" not in item:
        errors.add("eventTypes", REQUIRED)
    elif not isinstance(item["eventTypes"], list):
        errors.add("eventTypes", not_a_list(item["eventTypes"]))
    elif any(str(t).lower() not in EVENT_TYPES for t in item["eventTypes"]):
        errors.add("eventTypes", f"Invalid event_type, valid values are {EVENT_TYPES!r}")
    else:
        source["eventTypes"] = [str(t).lower() for t in item["eventTypes"]]
    mode = item.get("extrapolationMode")
    if mode is not None and mode not in EXTRAPOLATION_MODES:
        errors.add("extrapolationMode", f"Invalid extrapolation mode: {mode}")
    if errors.fields:
        return errors.fields, source
    # Object-level (SnubaQueryValidator.validate): aggregate, dataset/query type, event types.
    if not AGGREGATE_RE.match(str(source["aggregate"]).strip()):
        return {"aggregate": ["Invalid Metric: Please pass a valid function for aggregation"]}, \
            source
    query_type = source.setdefault("queryType", DATASET_QUERY_TYPE.get(dataset, 0))
    valid = QUERY_TYPE_DATASETS[query_type]
    if dataset not in valid:
        names = sorted(DATASET_ENUM_NAMES.get(d, d) for d in valid)
        return {"nonFieldErrors": [
            f"Invalid dataset for this query type. Valid datasets are {names!r}"]}, source
    event_types = source["eventTypes"]
    if query_type == 2:
        source["eventTypes"] = event_types = []
    allowed = QUERY_TYPE_EVENT_TYPES.get(query_type, [])
    if event_types and set(event_types) - set(allowed):
        return {"nonFieldErrors": [
            f"Invalid event types for this dataset. Valid event types are {sorted(allowed)!r}"]}, \
            source
    if dataset == EAP and len(event_types) > 1:
        return {"nonFieldErrors": [
            f"Multiple event types not allowed. Valid event types are {sorted(allowed)!r}"]}, \
            source
    window = source["timeWindow"]
    if dataset == "metrics" and window not in CRASH_RATE_WINDOWS_SECONDS:
        return {"nonFieldErrors": ["Invalid Time Window: Allowed time windows for crash rate "
                                   "alerts are: 30min, 1h, 2h, 4h, 12h and 24h"]}, source
    if dataset == EAP and window < EAP_MIN_WINDOW_SECONDS:
        return {"nonFieldErrors": ["Invalid Time Window: Time window for this alert type must "
                                   "be at least 5 minutes."]}, source
    source.setdefault("extrapolationMode", None)
    return None, source


def environment_exists(org: Organization, name: Any) -> bool:
    return any(str(name) in project.environments for project in org.projects.values())


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


def snake_keys(value: Any) -> Any:
    """Keys back in snake_case, as Sentry shows a value after its camel-to-snake conversion."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", str(k)).lower(): snake_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


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


def check_detector_save(body: dict, *, creating: bool, transaction_datasets: bool,
                        existing: dict | None) -> None:
    """Checks Sentry runs in validator.save(), after is_valid() (MID create/update, BDV)."""
    sources = body.get("dataSources") or []
    if creating:
        for source in sources:
            if not transaction_datasets and source["dataset"] in TRANSACTION_DATASETS:
                raise ApiError(400, [TRANSACTION_CREATE_MESSAGE])
            if source.get("extrapolationMode") == "server_weighted":
                raise ApiError(400, [
                    "server_weighted extrapolation mode is not supported for new detectors."])
    else:
        old = existing_snuba_query(existing)
        for source in sources[:1]:
            if old is not None and source["dataset"] in TRANSACTION_DATASETS and any(
                    source.get(k) != old.get(k)
                    for k in ("dataset", "query", "aggregate", "timeWindow", "eventTypes")):
                raise ApiError(400, [TRANSACTION_UPDATE_MESSAGE])
            if old is not None and source["dataset"] == EAP and \
                    source.get("extrapolationMode") == "server_weighted" and \
                    old.get("extrapolationMode") != "server_weighted":
                raise ApiError(400, ["Invalid extrapolation mode for this detector type."])
    if creating or "config" in body:
        config = body.get("config") if "config" in body else {}
        message = config_schema_error(config or {})
        if message:  # BaseDetectorTypeValidator: "Invalid config: " + jsonschema's message
            raise ApiError(400, {"config": [f"Invalid config: {message}"]})


def config_schema_error(config: dict) -> str | None:
    """The metric_issue config JSON schema (detection_type required and enumerated,
    comparison_delta enumerated), with jsonschema's first message line (GT-SCHEMA)."""
    if "detectionType" not in config:
        return "'detection_type' is a required property"
    if config["detectionType"] not in DETECTION_TYPES:
        return f"{config['detectionType']!r} is not one of {list(DETECTION_TYPES)!r}"
    delta = config.get("comparisonDelta")
    if "comparisonDelta" in config and (isinstance(delta, bool) or delta not in COMPARISON_DELTAS):
        return f"{delta!r} is not one of {list(COMPARISON_DELTAS)!r}"
    return None


# --- workflows ---

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
