"""Field behaviour shared by the monitor (detector) and alert (workflow) request validators.

Sentry's validators are Django REST framework serializers; these helpers reproduce the field
behaviour they inherit (parsing, messages) and the error shapes DRF builds:
- field errors: `{"field": ["msg"]}`, all fields checked before any object-level rule;
- object-level errors: `{"nonFieldErrors": ["msg"]}`;
- errors inside a list field: `{"dataSources": {"0": {...}}}` (ListField keys by index);
- errors of a `many=True` serializer: a list with one dict per item (`{}` for valid items);
- errors raised while saving (after validation): a bare JSON list of strings.

Also the key case (CamelSnakeSerializer: `src/sentry/api/serializers/rest_framework/base.py`),
owners (ACTOR: `src/sentry/api/fields/actor.py`) and environments, which both validators check.
The short names (ACTOR, ...) are defined in docs/emulator-monitors.md.
"""

from __future__ import annotations

import re
from typing import Any

from sentry_alerts.emulator.core import JSON, ApiError
from sentry_alerts.emulator.state import Organization

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
ACTOR_FORMAT = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
ENVIRONMENT_MISSING = "Environment is not part of this organization"


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


def snake_keys(value: Any) -> Any:
    """Keys back in snake_case, as Sentry shows a value after its camel-to-snake conversion."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", str(k)).lower(): snake_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


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


def environment_exists(org: Organization, name: Any) -> bool:
    return any(str(name) in project.environments for project in org.projects.values())
