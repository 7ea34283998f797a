"""Validation of monitor (detector) requests, with Sentry's messages.

Takes the request body (camelCase or snake_case keys), the organization and the profile's
switches, and returns a normalised camelCase body or raises `core.ApiError(400, body)` with
the body Sentry sends. Sources (short names defined in docs/emulator-monitors.md): OPDI/ODI
(the endpoints' own `type` checks), BDV (`src/sentry/workflow_engine/endpoints/validators/base/
detector.py`, `BaseDetectorTypeValidator`), MID (`src/sentry/incidents/metric_issue_detector.py`,
`MetricIssueDetectorValidator`: fields, condition count, transaction deprecation, extrapolation),
SQV (`src/sentry/snuba/snuba_query_validator.py`, the data source's query) and GT-SCHEMA (the
`metric_issue` config schema). The condition group is validated by condition_validation.py.
"""

from __future__ import annotations

import re

from sentry_alerts.emulator.condition_validation import validate_condition_group
from sentry_alerts.emulator.core import JSON, ApiError
from sentry_alerts.emulator.monitors_fields import (
    ENVIRONMENT_MISSING,
    NOT_BLANK,
    NOT_NULL,
    REQUIRED,
    Errors,
    bool_field,
    camelize_keys,
    char_field,
    environment_exists,
    int_list,
    int_value,
    not_a_dict,
    not_a_list,
    owner_field,
)
from sentry_alerts.emulator.state import Organization

DETECTOR_TYPE = "metric_issue"
# Types Sentry lists in "Unknown detector type" (get_unknown_detector_type_error); only
# metric_issue is modelled by the emulator.
KNOWN_DETECTOR_TYPES = ("metric_issue", "monitor_check_in_failure", "uptime_domain_failure")
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
AGGREGATE_RE = re.compile(r"^[a-z_0-9]+\(([^()]*)\)$")


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
