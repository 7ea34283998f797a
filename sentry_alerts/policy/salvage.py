"""Validate what can be validated: when part of a mapping is wrong, check the rest anyway.

One `validate` should report every problem it can. When a transaction has a bad `window`, its
thresholds, name template and key are still worth checking; pydantic, though, gives all or
nothing. `salvage` drops the keys pydantic refused (optional keys only) and validates the rest,
and says which keys it dropped: checks that depend on them must be skipped, not guessed (a
dropped `project` is not a missing project).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sentry_alerts.policy.errors_map import did_you_mean
from sentry_alerts.policy.models import AlertThresholds


def _optional(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if not field.is_required()}


def salvage(model: type[BaseModel], data: Any,
            errors: list[dict[str, Any]]) -> tuple[BaseModel | None, frozenset[str]]:
    """`model` validated from `data` without the keys `errors` (pydantic's, for `data`) point
    at: (the model, the dropped keys as `key` or `alert.key`), or (None, ∅) when a required key
    is wrong. Extra keys pydantic refused are dropped too (typos, reported already), and the
    key each most likely meant counts as dropped: `notfy:` may well hold the notify targets."""
    if not isinstance(data, dict):
        return None, frozenset()
    optional = _optional(model)
    drop: set[str] = set()
    drop_alert: set[str] = set()
    meant_keys: set[str] = set()  # what the typos probably meant: unknown, though not dropped
    for err in errors:
        loc = err.get("loc") or ()
        if not loc:
            return None, frozenset()
        top = str(loc[0])
        if top == "alert" and "alert" in model.model_fields and len(loc) >= 2 \
                and str(loc[1]) in _optional(AlertThresholds):
            drop_alert.add(str(loc[1]))
        elif top in optional:
            drop.add(top)
        elif top not in model.model_fields:
            drop.add(top)
            meant = did_you_mean(top, list(model.model_fields))
            if meant is not None and meant in optional:
                meant_keys.add(meant)
        else:
            return None, frozenset()  # a required key is wrong: nothing sensible is left
    cleaned = {k: v for k, v in data.items() if k not in drop}
    if drop_alert and isinstance(cleaned.get("alert"), dict):
        cleaned["alert"] = {k: v for k, v in cleaned["alert"].items() if k not in drop_alert}
    try:
        result = model.model_validate(cleaned, strict=True)
    except ValidationError:
        return None, frozenset()
    return result, frozenset(drop | meant_keys | {f"alert.{k}" for k in drop_alert})


__all__ = ["salvage"]
