"""How Sentry checks a workflow condition's `comparison`: against the JSON schema its handler
declares, or, for plain operators, as a JSON primitive.

Sources (getsentry/sentry, newest versions; docs/emulator-monitors.md, "Conditions"):
- `src/sentry/workflow_engine/endpoints/validators/base/data_condition.py`,
  `BaseDataConditionValidator.validate_comparison`: operator conditions (`CONDITION_OPS`: eq,
  ne, gt, gte, lt, lte) must be a JSON primitive (`validate_json_primitive`); every other type
  is checked with `validate_json_schema(value, handler.comparison_json_schema)`.
- `src/sentry/workflow_engine/endpoints/validators/utils.py`, `validate_json_schema`: the
  jsonschema error becomes the field's error (`str(error)`; the emulator sends its first line,
  which is jsonschema's message).
- `src/sentry/workflow_engine/handlers/condition/issue_priority_greater_or_equal_handler.py`
  and `.../issue_priority_deescalating_handler.py`: `{"type": "integer", "enum":
  [*PriorityLevel]}` (PriorityLevel: 25 low, 50 medium, 75 high), so `true` is refused.

Handlers not listed in COMPARISON_SCHEMAS are not modelled: their comparisons are accepted as
sent (the client never sends them).
"""

from __future__ import annotations

from typing import Any

OPERATOR_TYPES = ("eq", "ne", "gt", "gte", "lt", "lte")
PRIORITY_LEVELS = {25: "LOW", 50: "MEDIUM", 75: "HIGH"}
# `[*PriorityLevel]` as Python prints it inside jsonschema's enum message.
_PRIORITY_ENUM_TEXT = "[" + ", ".join(
    f"<PriorityLevel.{name}: {value}>" for value, name in PRIORITY_LEVELS.items()) + "]"

PRIORITY_SCHEMA = {"type": "integer", "enum": list(PRIORITY_LEVELS)}
COMPARISON_SCHEMAS: dict[str, dict[str, Any]] = {
    "issue_priority_greater_or_equal": PRIORITY_SCHEMA,
    "issue_priority_deescalating": PRIORITY_SCHEMA,
}


def comparison_error(condition_type: str, value: Any) -> str | None:
    """The error Sentry files under `comparison` for this condition type, or None."""
    if condition_type in OPERATOR_TYPES:
        if isinstance(value, dict | list):
            return (f"Invalid json primitive value: {value}. Must be a string, number, or "
                    "boolean.")
        return None
    schema = COMPARISON_SCHEMAS.get(condition_type)
    if schema is None:
        return None
    # jsonschema checks "type" before "enum" (schema order). Its "integer" takes integral
    # floats (50.0) but never booleans.
    integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if schema["type"] == "integer" and (isinstance(value, bool) or not integral):
        return f"{value!r} is not of type 'integer'"
    if value not in schema["enum"]:
        return f"{value!r} is not one of {_PRIORITY_ENUM_TEXT}"
    return None


__all__ = ["COMPARISON_SCHEMAS", "OPERATOR_TYPES", "PRIORITY_LEVELS", "comparison_error"]
