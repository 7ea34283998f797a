"""Parameters the detector and workflow lists share: repeatable integer ids and `sortBy`.

Sources: `sentry.api.utils.to_valid_int_id_list` (`src/sentry/api/utils.py`) and the index
endpoints' sort fields (ODI `src/sentry/workflow_engine/endpoints/organization_detector_index.py`,
`.../organization_workflow_index.py`); docs/emulator-monitors.md.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import ApiError

DETECTOR_SORTS = ("id", "name", "type", "connectedWorkflows", "latestGroup", "openIssues")
WORKFLOW_SORTS = ("id", "name", "dateCreated", "dateUpdated", "connectedDetectors",
                  "actions", "lastTriggered")


def valid_int_ids(name: str, raw: list[str]) -> list[int]:
    """sentry.api.utils.to_valid_int_id_list: non-negative integers or a 400 naming the value."""
    ids = []
    for value in raw:
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            raise ApiError(400, {name: [f"Value {value} is not a valid integer id"]})
        ids.append(number)
    return ids


def sorted_by(items: list[dict], sort_by: str, allowed: tuple[str, ...], link_count: Any
              ) -> list[dict]:
    """`items` in `sortBy` order; they come in id order (stored objects are keyed by id)."""
    field = sort_by.lstrip("-")
    if field not in allowed or sort_by.count("-") > 1:
        raise ApiError(400, {"sortBy": ["Invalid sort field"]})
    reverse = sort_by.startswith("-")
    if field == "id":
        return items[::-1] if reverse else items
    if field in ("connectedWorkflows", "connectedDetectors"):
        key: Any = link_count
    elif field in ("name", "type", "dateCreated", "dateUpdated"):
        key = lambda d: (str(d.get(field) or ""), int(d["id"]))  # noqa: E731
    else:  # latestGroup, openIssues, actions, lastTriggered: all equal in the emulator
        return items
    return sorted(items, key=key, reverse=reverse)
