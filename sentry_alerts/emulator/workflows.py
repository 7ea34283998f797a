"""The alerts (`/workflows/`) endpoints: create, update (the full validator, not partial), get,
delete, list.

Each handler validates with workflow_validation.py, checks the monitors it links (DWV), keeps
`org.links` in step (links.py) and serves through monitors_store.py. Sources: WV, OWD, DWV, DCG
and the workflow index (docs/emulator-monitors.md, which also lists every known difference
from Sentry).
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.access import access_of, requested_projects
from sentry_alerts.emulator.core import ApiError, Request, Response, iso_now
from sentry_alerts.emulator.links import link_ids
from sentry_alerts.emulator.monitors_lists import WORKFLOW_SORTS, sorted_by, valid_int_ids
from sentry_alerts.emulator.monitors_store import (
    check_ids_exist,
    find_org,
    kept_or_new_id,
    live_detector_ids,
    serve_workflow,
    stored_by_id,
)
from sentry_alerts.emulator.search import WORKFLOW_KEYS, parse_search
from sentry_alerts.emulator.state import Organization
from sentry_alerts.emulator.workflow_validation import validate_workflow


def _find_workflow(org: Organization, workflow_id: str) -> dict:
    return stored_by_id(org.workflows, workflow_id)


def _check_detector_ids(org: Organization, detector_ids: list[int],
                        req: Request | None = None) -> None:
    """validate_detectors_exist_and_have_permissions: unknown (or pending) ids are a 400; a
    detector in a project the token cannot access is a 403."""
    live = {k: org.detectors[k] for k in live_detector_ids(org)}
    check_ids_exist(live, detector_ids, "detectors")
    if req is not None:
        access = access_of(org, req)
        for detector_id in detector_ids:
            project = org.project(live[detector_id]["projectId"])
            if project is not None:
                access.require(project)


def _group_json(emu: Any, org: Organization, group: dict, old: dict | None,
                condition_result: Any = True) -> dict:
    """A workflow's trigger group or action filter: ids kept when they match the old group's,
    new ids otherwise (remove_items_by_api_input)."""
    ids = emu.state.ids
    old_conditions = {str(c["id"]) for c in (old or {}).get("conditions", [])}
    old_actions = {str(a["id"]) for a in (old or {}).get("actions", [])}
    conditions = []
    for condition in group.get("conditions") or []:
        cid = kept_or_new_id(condition.get("id"), old_conditions, ids, "condition")
        conditions.append({"id": cid, "type": condition["type"],
                           "comparison": condition["comparison"],
                           "conditionResult": condition.get("conditionResult",
                                                            condition_result)})
    actions = []
    for action in group.get("actions") or []:
        aid = kept_or_new_id(action.get("id"), old_actions, ids, "workflow_action")
        integration = action.get("integrationId")
        actions.append({"id": aid, "type": action["type"],
                        "integrationId": None if integration in (None, "") else str(integration),
                        "data": action.get("data") or {}, "config": action.get("config") or {},
                        "status": action.get("status") or "active"})
    return {"id": old["id"] if old else str(ids("condition_group").next()),
            "organizationId": str(org.id), "logicType": group.get("logicType", "any-short"),
            "conditions": conditions, "actions": actions}


# Condition types that are workflow triggers (`TRIGGER_CONDITIONS`; the API docs' FetchAnAlert
# example lists these four as triggers).
TRIGGER_CONDITIONS = ("first_seen_event", "issue_resolved_trigger", "reappeared_event",
                      "regression_event")


def check_trigger_logic(triggers: dict | None) -> None:
    """BaseDataConditionGroupValidator._validate_logic_type, run when the group is saved (so a
    bare list): trigger conditions need logicType any-short."""
    if not triggers:
        return
    if triggers.get("logicType", "any") != "any-short" and any(
            c.get("type") in TRIGGER_CONDITIONS for c in triggers.get("conditions") or []):
        raise ApiError(400, ["Triggers' logic type must be 'any-short'"])


def _filters_json(emu: Any, org: Organization, filters: list[dict], old: list[dict]) -> list:
    by_id = {str(f["id"]): f for f in old}
    out = []
    for action_filter in filters:
        given = action_filter.get("id")
        previous = by_id.get(str(given)) if given is not None else None
        if given is not None and previous is None:
            raise ApiError(400, [f"Action filter ID {given} does not belong to this workflow"])
        out.append(_group_json(emu, org, action_filter, previous))
    return out


def create_workflow(emu: Any, req: Request, org: str) -> Response:
    organization = find_org(emu, org)
    data = validate_workflow(req.body if req.body is not None else {}, organization,
                             partial=False)
    with emu.lock:
        detector_ids = data.get("detectorIds") or []
        _check_detector_ids(organization, detector_ids, req)
        workflow_id = emu.state.ids("workflow").next()
        now = iso_now()
        # No `triggers`: Sentry's WorkflowValidator.create reads them unconditionally (a 500);
        # the emulator makes an empty any-short group instead (docs: known differences).
        # Workflows without a trigger group (Sentry's legacy migration) serve null.
        triggers = data.get("triggers") or {"logicType": "any-short", "conditions": []}
        check_trigger_logic(triggers)
        workflow = {
            "id": str(workflow_id),
            "name": data["name"],
            "organizationId": str(organization.id),
            "createdBy": str(req.user_id) if getattr(req, "user_id", None) else None,
            "dateCreated": now,
            "dateUpdated": now,
            "triggers": _group_json(emu, organization, triggers, None),
            "actionFilters": _filters_json(emu, organization, data.get("actionFilters") or [],
                                           []),
            "environment": data.get("environment"),
            "config": dict(data.get("config") or {}),
            "detectorIds": [str(d) for d in dict.fromkeys(detector_ids)],
            "enabled": data.get("enabled", True),
            "lastTriggered": None,
            "owner": data.get("owner"),
        }
        organization.workflows[workflow_id] = workflow
        organization.links.set_workflow(workflow_id, link_ids(workflow["detectorIds"]))
        return Response(201, serve_workflow(organization, workflow))


def update_workflow(emu: Any, req: Request, org: str, workflow_id: str) -> Response:
    """PUT runs the full (not partial) validator: `name` is required and a left-out `enabled`
    falls back to its default, true. Other fields left out keep their values;
    triggers/actionFilters/actions are replaced by id (listed ids kept, unlisted removed, no id
    = new); `detectorIds`, when present, becomes the exact set of linked monitors."""
    organization = find_org(emu, org)
    with emu.lock:
        stored = _find_workflow(organization, workflow_id)
        data = validate_workflow(req.body if req.body is not None else {}, organization,
                                 partial=False)
        data.setdefault("enabled", True)
        if "detectorIds" in data:
            _check_detector_ids(organization, data["detectorIds"], req)
        if "triggers" in data:
            check_trigger_logic(data["triggers"])
            given = data["triggers"].get("id")
            if given is not None and str(given) != (stored["triggers"] or {}).get("id"):
                raise ApiError(400, [f"Invalid Condition Group ID {given}"])
        new_filters = None
        if "actionFilters" in data:
            new_filters = _filters_json(emu, organization, data["actionFilters"],
                                        stored.get("actionFilters") or [])
        for key in ("name", "enabled", "environment", "owner"):
            if key in data:
                stored[key] = data[key]
        if "config" in data:
            stored["config"] = dict(data["config"])
        if "triggers" in data:
            stored["triggers"] = _group_json(emu, organization, data["triggers"],
                                             stored["triggers"] or None)
        if new_filters is not None:
            stored["actionFilters"] = new_filters
        if "detectorIds" in data:
            stored["detectorIds"] = [str(d) for d in dict.fromkeys(data["detectorIds"])]
            organization.links.set_workflow(int(stored["id"]), link_ids(stored["detectorIds"]))
        stored["dateUpdated"] = iso_now()
        return Response(200, serve_workflow(organization, stored))


def get_workflow(emu: Any, req: Request, org: str, workflow_id: str) -> Response:
    organization = find_org(emu, org)
    with emu.lock:
        return Response(200, serve_workflow(organization, _find_workflow(organization,
                                                                         workflow_id)))


def delete_workflow(emu: Any, req: Request, org: str, workflow_id: str) -> Response:
    organization = find_org(emu, org)
    with emu.lock:
        _find_workflow(organization, workflow_id)
        organization.workflows.pop(int(workflow_id), None)
        organization.links.drop_workflow(int(workflow_id))
    return Response(204, None)


def list_workflows(emu: Any, req: Request, org: str) -> Response:
    """OrganizationWorkflowIndexEndpoint: the workflows linked to a detector of the projects
    `get_projects` gives (access.py), or linked to none; then `id` (repeatable) and `query`
    (name); `sortBy` as Sentry's (default id)."""
    organization = find_org(emu, org)
    with emu.lock:
        projects = {str(p.id) for p in requested_projects(organization, req)}
        detectors = organization.detectors

        def in_scope(stored: dict) -> bool:
            linked = stored.get("detectorIds") or []
            return not linked or any(
                (d := detectors.get(i)) is not None and d["projectId"] in projects
                for i in link_ids(linked))

        workflows = [stored for key in sorted(organization.workflows)
                     if in_scope(stored := organization.workflows[key])]
        raw_ids = req.args("id")
        if raw_ids:
            wanted = {str(i) for i in valid_int_ids("id", raw_ids)}
            workflows = [w for w in workflows if str(w["id"]) in wanted]
        query = req.arg("query")
        if query:
            search = parse_search(query, WORKFLOW_KEYS)
            workflows = [w for w in workflows if search.matches(w)]
        detector_ids = {str(i) for i in valid_int_ids("detector", req.args("detector"))}
        if detector_ids:
            workflows = [w for w in workflows
                         if detector_ids & {str(d) for d in w.get("detectorIds") or []}]
        valid_int_ids("priorityDetector", req.args("priorityDetector"))  # ordering only
        workflows = sorted_by(workflows, req.arg("sortBy", "id") or "id", WORKFLOW_SORTS,
                              lambda w: (_served_link_count(organization, w), int(w["id"])))
        return emu.paginate(req, workflows, serve=lambda w: serve_workflow(organization, w))


def _served_link_count(org: Organization, workflow: dict) -> int:
    """How many detector ids `serve_workflow` shows (links to existing detectors)."""
    return sum(1 for d in workflow.get("detectorIds") or [] if int(d) in org.detectors)
