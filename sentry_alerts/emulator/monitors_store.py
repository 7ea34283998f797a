"""How the emulator keeps monitors (detectors) and alerts (workflows), finds them by URL id, and
serves them.

`org.detectors[id]` and `org.workflows[id]` hold the JSON the API serves (detail shape), so
out-of-band edits (`Emulator.edit`) are plain dict merges. Links live in one place, the
workflow's `detectorIds`; a detector's `workflowIds` is computed when it is served (from
`org.links`, links.py), and links to objects that no longer exist are not served, as Sentry
deletes the link rows with either side. Serializers: DSER
(`src/sentry/workflow_engine/endpoints/serializers/detector_serializer.py`) and the workflow
serializer (`.../serializers/workflow_serializer.py`); owners as ActorSerializer shows them.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import ApiError, json_copy, not_found
from sentry_alerts.emulator.state import Organization

# Marks a stored detector whose deletion is scheduled (never served; see detectors.delete_detector).
PENDING_DELETION = "_pendingDeletion"


def find_org(emu: Any, slug: str) -> Organization:
    return emu.state.org(slug)


def stored_by_id(stored: dict[int, dict], raw_id: str) -> dict:
    """The detector or workflow a URL id names; 404 for a non-numeric or unknown id."""
    try:
        key = int(raw_id)
    except ValueError:
        raise not_found() from None
    if key not in stored:
        raise not_found()
    return stored[key]


def live_detector_ids(org: Organization) -> set[int]:
    """Detectors that exist for validation (`Detector.objects` hides pending deletion)."""
    return {k for k, d in org.detectors.items() if not d.get(PENDING_DELETION)}


def check_ids_exist(stored: dict[int, dict], wanted: list[int], plural: str) -> None:
    """400 when a body links to detectors/workflows the organization does not have."""
    missing = {i for i in wanted if i not in stored}
    if missing:
        raise ApiError(400, [f"Some {plural} do not exist: {missing}"])


def kept_or_new_id(given: Any, old_ids: set[str], ids: Any, kind: str) -> str:
    """A sub-object's id: the one given when it names an existing sub-object, else a new one
    (ids not matching the old object are not honoured, as in Sentry's update validators)."""
    return str(given) if given is not None and str(given) in old_ids else str(ids(kind).next())


def serve_detector(org: Organization, detector: dict) -> dict:
    """The stored detector with its links computed (a copy, safe to send)."""
    out = json_copy(detector)
    out.pop(PENDING_DELETION, None)
    # Kept for validation, not served: Sentry's snuba query serializer has no such field
    # (sentry-contract/detector_serializer_expected.jsonc).
    for source in out.get("dataSources") or []:
        source.get("queryObj", {}).get("snubaQuery", {}).pop("extrapolationMode", None)
    out["workflowIds"] = [str(wid) for wid in org.links.workflows_of(int(detector["id"]))]
    return out


def serve_workflow(org: Organization, workflow: dict) -> dict:
    out = json_copy(workflow)
    out["detectorIds"] = [str(d) for d in workflow.get("detectorIds") or []
                          if int(d) in org.detectors]
    return out


def owner_json(org: Organization, owner: str | None) -> dict | None:
    """ActorSerializer: {type, id, name} plus email for users."""
    if not owner:
        return None
    kind, _, ident = owner.partition(":")
    if kind == "team":
        team = org.team(ident)
        return {"type": "team", "id": ident, "name": team.slug if team else ident}
    member = org.user(ident)
    if member is None:
        return {"type": "user", "id": ident, "name": ident}
    return {"type": "user", "id": ident, "name": member.name, "email": member.email}


def owner_string(owner: Any) -> str | None:
    """A stored owner (object, string or None) as "team:ID"/"user:ID"."""
    if isinstance(owner, dict):
        return f"{owner.get('type')}:{owner.get('id')}"
    return owner or None
