"""Monitors (`/detectors/`) and alerts (`/workflows/`): Sentry's workflow-engine API.

Stored shapes: `org.detectors[id]` and `org.workflows[id]` hold the JSON the API serves (detail
shape), so out-of-band edits (`Emulator.edit`) are plain dict merges. Links between them live in
one place, the workflow's `detectorIds`; a detector's `workflowIds` is computed when it is
served (from `org.links`, links.py, which every write here keeps in step), and links to objects
that no longer exist are dropped, as Sentry deletes the link rows with either side
(docs/emulator-monitors.md). Lists copy and serve only the page they answer with.

Validation is in detector_validation.py and workflow_validation.py. Routes, status codes and
every known difference from Sentry are in docs/emulator-monitors.md.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.access import access_of, requested_projects
from sentry_alerts.emulator.core import (
    JSON,
    ApiError,
    Request,
    Response,
    Router,
    iso_now,
    json_copy,
    not_found,
)
from sentry_alerts.emulator.detector_validation import (
    check_detector_save,
    check_detector_type,
    validate_detector,
)
from sentry_alerts.emulator.links import link_ids
from sentry_alerts.emulator.search import DETECTOR_KEYS, WORKFLOW_KEYS, parse_search
from sentry_alerts.emulator.state import Organization
from sentry_alerts.emulator.workflow_validation import validate_workflow

ORG = "/api/0/organizations/{org}"
READ = {"alerts:read", "org:read", "org:write", "org:admin"}
# OrganizationDetectorPermission lets org:read edit too (schema `security` of PUT/DELETE).
DETECTOR_WRITE = {"alerts:write", "org:read", "org:write", "org:admin"}
PROJECT_DETECTOR_CREATE = {"alerts:write", "project:write", "project:admin"}
WORKFLOW_WRITE = {"alerts:write", "org:write", "org:admin"}

DETECTOR_SORTS = ("id", "name", "type", "connectedWorkflows", "latestGroup", "openIssues")
WORKFLOW_SORTS = ("id", "name", "dateCreated", "dateUpdated", "connectedDetectors",
                  "actions", "lastTriggered")
BULK_FILTER_REQUIRED = "At least one of 'id', 'query', 'project', or 'projectSlug' must be provided."
# Marks a stored detector whose deletion is scheduled (never served; see delete_detector).
PENDING_DELETION = "_pendingDeletion"


def register(router: Router) -> None:
    router.add("POST", ORG + "/projects/{project}/detectors/", create_detector,
               scopes=PROJECT_DETECTOR_CREATE, name="detectors.create")
    router.add("GET", ORG + "/detectors/", list_detectors, scopes=READ, name="detectors.list")
    router.add("PUT", ORG + "/detectors/", bulk_update_detectors, scopes=DETECTOR_WRITE,
               name="detectors.bulk_update")
    router.add("DELETE", ORG + "/detectors/", bulk_delete_detectors, scopes=DETECTOR_WRITE,
               name="detectors.bulk_delete")
    router.add("GET", ORG + "/detectors/{detector_id}/", get_detector, scopes=READ,
               name="detectors.get")
    router.add("PUT", ORG + "/detectors/{detector_id}/", update_detector, scopes=DETECTOR_WRITE,
               name="detectors.update")
    router.add("DELETE", ORG + "/detectors/{detector_id}/", delete_detector,
               scopes=DETECTOR_WRITE, name="detectors.delete")
    router.add("GET", ORG + "/workflows/", list_workflows, scopes=READ, name="workflows.list")
    router.add("POST", ORG + "/workflows/", create_workflow, scopes=WORKFLOW_WRITE,
               name="workflows.create")
    router.add("GET", ORG + "/workflows/{workflow_id}/", get_workflow, scopes=READ,
               name="workflows.get")
    router.add("PUT", ORG + "/workflows/{workflow_id}/", update_workflow, scopes=WORKFLOW_WRITE,
               name="workflows.update")
    router.add("DELETE", ORG + "/workflows/{workflow_id}/", delete_workflow,
               scopes=WORKFLOW_WRITE, name="workflows.delete")


# --- serving stored objects ---

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


# --- detectors ---

def _org(emu: Any, slug: str) -> Organization:
    return emu.state.org(slug)


def _stored_by_id(stored: dict[int, dict], raw_id: str) -> dict:
    """The detector or workflow a URL id names; 404 for a non-numeric or unknown id."""
    try:
        key = int(raw_id)
    except ValueError:
        raise not_found() from None
    if key not in stored:
        raise not_found()
    return stored[key]


def _find_detector(org: Organization, detector_id: str, req: Request | None = None) -> dict:
    """A detector by URL id: 404 when unknown or pending deletion (test_pending_deletion), 403
    when the token cannot access its project (access.py)."""
    detector = _stored_by_id(org.detectors, detector_id)
    if detector.get(PENDING_DELETION):
        raise not_found()
    if req is not None:
        project = org.project(detector["projectId"])
        if project is not None:
            access_of(org, req).require(project)
    return detector


def _enforce_quota(org: Organization) -> None:
    """`enforce_quota` (MetricIssueDetectorValidator.create, notes §5.2): a bare-list 400 once
    the organization has as many metric monitors as its limit allows."""
    limit = org.metric_detector_limit
    if limit is None:
        return
    used = sum(1 for k in _live_detector_ids(org) if org.detectors[k]["type"] == "metric_issue")
    if used >= limit:
        raise ApiError(400, [f"Used {used}/{limit} of allowed metric_issue monitors."])


def _live_detector_ids(org: Organization) -> set[int]:
    """Detectors that exist for validation (`Detector.objects` hides pending deletion)."""
    return {k for k, d in org.detectors.items() if not d.get(PENDING_DELETION)}


def _check_ids_exist(stored: dict[int, dict], wanted: list[int], plural: str) -> None:
    """400 when a body links to detectors/workflows the organization does not have."""
    missing = {i for i in wanted if i not in stored}
    if missing:
        raise ApiError(400, [f"Some {plural} do not exist: {missing}"])


def _check_workflow_ids(org: Organization, workflow_ids: list[int]) -> None:
    _check_ids_exist(org.workflows, workflow_ids, "workflows")


def _kept_or_new_id(given: Any, old_ids: set[str], ids: Any, kind: str) -> str:
    """A sub-object's id: the one given when it names an existing sub-object, else a new one
    (ids not matching the old object are not honoured, as in Sentry's update validators)."""
    return str(given) if given is not None and str(given) in old_ids else str(ids(kind).next())


def _link_workflows(org: Organization, detector_id: int, workflow_ids: list[int]) -> None:
    """Make exactly these workflows point at the detector (BulkDetectorWorkflowsValidator).
    Only the workflows gaining or losing the link are touched: adding a link costs O(1) even
    when 10,000 monitors share the workflow."""
    wanted = set(workflow_ids)
    current = set(org.links.workflows_of(detector_id))
    for wid in sorted(wanted - current):
        workflow = org.workflows.get(wid)
        if workflow is not None:
            workflow["detectorIds"] = workflow.get("detectorIds") or []
            workflow["detectorIds"].append(str(detector_id))
            org.links.link(wid, detector_id)
    for wid in sorted(current - wanted):
        _drop_link(org, wid, detector_id)


def _drop_link(org: Organization, workflow_id: int, detector_id: int) -> None:
    workflow = org.workflows.get(workflow_id)
    if workflow is None:
        return
    workflow["detectorIds"] = [str(d) for d in link_ids(workflow.get("detectorIds"))
                               if d != detector_id]
    org.links.unlink(workflow_id, detector_id)


def _data_source_json(emu: Any, org: Organization, source: dict, old: dict | None) -> dict:
    ids = emu.state.ids
    if old is not None:
        ds_id, sub_id, query_id = old["id"], old["queryObj"]["id"], \
            old["queryObj"]["snubaQuery"]["id"]
        source_id, status = old["sourceId"], old["queryObj"]["status"]
    else:
        ds_id, sub_id = str(ids("data_source").next()), str(ids("query_subscription").next())
        query_id, source_id, status = str(ids("snuba_query").next()), sub_id, 0
    return {
        "id": ds_id, "organizationId": str(org.id), "type": "snuba_query_subscription",
        "sourceId": source_id,
        "queryObj": {
            "id": sub_id, "status": status, "subscription": None,
            "snubaQuery": {
                "id": query_id, "dataset": source["dataset"], "query": source["query"],
                "aggregate": source["aggregate"], "timeWindow": source["timeWindow"],
                "environment": source["environment"], "eventTypes": source["eventTypes"],
                "extrapolationMode": source.get("extrapolationMode") or "unknown",
            },
        },
    }


def _condition_group_json(emu: Any, org: Organization, group: dict, old: dict | None) -> dict:
    """Conditions with an id that matches an existing one keep it; others get new ids; the rest
    are removed (BaseDataConditionGroupValidator.update)."""
    ids = emu.state.ids
    old_ids = {str(c["id"]) for c in (old or {}).get("conditions", [])}
    conditions = []
    for condition in group.get("conditions") or []:
        cid = _kept_or_new_id(condition.get("id"), old_ids, ids, "condition")
        conditions.append({"id": cid, "type": condition["type"],
                           "comparison": condition["comparison"],
                           "conditionResult": condition["conditionResult"]})
    return {
        "id": old["id"] if old else str(ids("condition_group").next()),
        "organizationId": str(org.id),
        "logicType": group.get("logicType", "any"),
        "conditions": conditions,
        "actions": [],
    }


def create_detector(emu: Any, req: Request, org: str, project: str) -> Response:
    organization = _org(emu, org)
    proj = organization.project(project)
    if proj is None:
        raise not_found()
    access_of(organization, req).require(proj)
    body = req.body if req.body is not None else {}
    if isinstance(body, dict):
        check_detector_type(body, required=True)
        if "incidents" not in organization.features:
            raise ApiError(400, {"detail": "Unable to process request, confirm payment options."})
    data = validate_detector(body, organization, existing=None,
                             profile_transactions_need_metrics=_transactions_need_metrics(emu))
    with emu.lock:
        check_detector_save(data, creating=True, transaction_datasets=_transactions_ok(emu),
                            existing=None)
        if "workflowIds" in data:
            _check_workflow_ids(organization, data["workflowIds"])
        _enforce_quota(organization)
        detector_id = emu.state.ids("detector").next()
        now = iso_now()
        detector = {
            "id": str(detector_id),
            "projectId": str(proj.id),
            "name": data["name"],
            "description": data.get("description"),
            "type": "metric_issue",
            "workflowIds": [],
            "owner": owner_json(organization, data.get("owner")),
            "createdBy": str(req.user_id) if getattr(req, "user_id", None) else None,
            "dateCreated": now,
            "dateUpdated": now,
            "dataSources": [_data_source_json(emu, organization, s, None)
                            for s in data.get("dataSources") or []],
            "conditionGroup": _condition_group_json(emu, organization, data["conditionGroup"],
                                                    None),
            "config": dict(data.get("config") or {}),
            "enabled": True,
            "alertRuleId": None,
            "ruleId": None,
            "latestGroup": None,
            "openIssues": 0,
        }
        organization.detectors[detector_id] = detector
        if data.get("workflowIds"):
            _link_workflows(organization, detector_id, data["workflowIds"])
        return Response(201, serve_detector(organization, detector))


def update_detector(emu: Any, req: Request, org: str, detector_id: str) -> Response:
    """PUT is partial (validator built with partial=True): fields left out keep their values;
    `conditionGroup` conditions are replaced by id; `dataSources[0]` is merged into the
    existing query; `workflowIds`, when present, becomes the exact set of linked alerts."""
    organization = _org(emu, org)
    with emu.lock:
        stored = _find_detector(organization, detector_id, req)
        body = req.body if req.body is not None else {}
        if isinstance(body, dict):
            check_detector_type(body, required=False)
        data = validate_detector(body, organization, existing=stored,
                                 profile_transactions_need_metrics=_transactions_need_metrics(emu))
        check_detector_save(data, creating=False, transaction_datasets=_transactions_ok(emu),
                            existing=stored)
        if "workflowIds" in data:
            _check_workflow_ids(organization, data["workflowIds"])
        for key in ("name", "description", "enabled"):
            if key in data:
                stored[key] = data[key]
        if "owner" in data:
            stored["owner"] = owner_json(organization, data["owner"])
        if "config" in data:
            stored["config"] = dict(data["config"])
        if data.get("dataSources"):
            old = stored["dataSources"][0] if stored.get("dataSources") else None
            stored["dataSources"] = [_data_source_json(emu, organization, data["dataSources"][0],
                                                       old)]
        if "conditionGroup" in data and data["conditionGroup"].get("conditions"):
            stored["conditionGroup"] = _condition_group_json(
                emu, organization, data["conditionGroup"], stored.get("conditionGroup"))
        stored["dateUpdated"] = iso_now()
        if "workflowIds" in data:
            _link_workflows(organization, int(stored["id"]), data["workflowIds"])
        return Response(200, serve_detector(organization, stored))


def get_detector(emu: Any, req: Request, org: str, detector_id: str) -> Response:
    organization = _org(emu, org)
    with emu.lock:
        return Response(200, serve_detector(organization, _find_detector(organization,
                                                                         detector_id, req)))


def delete_detector(emu: Any, req: Request, org: str, detector_id: str) -> Response:
    """Deletion is scheduled (`RegionScheduledDeletion`): the detector is hidden at once, but
    its workflow links stay until the deletion task runs (`emu.detector_deletion_delay`)."""
    organization = _org(emu, org)
    with emu.lock:
        _find_detector(organization, detector_id, req)
        schedule_detector_deletion(emu, organization, int(detector_id))
    return Response(204, None)


def schedule_detector_deletion(emu: Any, org: Organization, detector_id: int) -> None:
    org.detectors[detector_id][PENDING_DELETION] = True

    def run_task() -> None:
        with emu.lock:
            _remove_detector(org, detector_id)
        emu.save_state()

    delay = getattr(emu, "detector_deletion_delay", 0.0)
    if delay == 0:
        _remove_detector(org, detector_id)
    else:
        emu.later(delay, run_task)


def _remove_detector(org: Organization, detector_id: int) -> None:
    org.detectors.pop(detector_id, None)
    for wid in org.links.workflows_of(detector_id):
        _drop_link(org, wid, detector_id)


def _filter_detectors(organization: Organization, req: Request, *, by_id: bool = True
                      ) -> list[dict]:
    """OrganizationDetectorIndexEndpoint.filter_detectors: the projects `get_projects` gives
    (access.py: member projects, `-1` = all accessible, explicit ids or 403), then `id`
    (repeatable) and `query`. Detectors whose deletion is pending are hidden
    (`DetectorManager.get_queryset`)."""
    projects = {str(p.id) for p in requested_projects(organization, req)}
    detectors = [d for k in sorted(organization.detectors)
                 if (d := organization.detectors[k])["projectId"] in projects
                 and not d.get(PENDING_DELETION)]
    raw_ids = req.args("id")
    if raw_ids and by_id:
        wanted = set(valid_int_ids("id", raw_ids))
        detectors = [d for d in detectors if int(d["id"]) in wanted]
    query = req.arg("query")
    if query:
        search = parse_search(query, DETECTOR_KEYS)
        detectors = [d for d in detectors if search.matches(d)]
    return detectors


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


def _sorted(items: list[dict], sort_by: str, allowed: tuple[str, ...], link_count: Any
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


def list_detectors(emu: Any, req: Request, org: str) -> Response:
    """Filtered and sorted as stored; only the page's detectors are copied and served."""
    organization = _org(emu, org)
    with emu.lock:
        detectors = _sorted(_filter_detectors(organization, req),
                            req.arg("sortBy", "id") or "id", DETECTOR_SORTS,
                            lambda d: (organization.links.count(int(d["id"])), int(d["id"])))
        return emu.paginate(req, detectors, serve=lambda d: serve_detector(organization, d))


def _bulk_targets(organization: Organization, req: Request, verb: str) -> list[dict] | Response:
    if not (req.args("id") or req.arg("query") or req.args("project")
            or req.args("projectSlug")):
        raise ApiError(400, {"detail": BULK_FILTER_REQUIRED})
    detectors = _filter_detectors(organization, req)
    if req.args("id") and len(detectors) != len(set(req.args("id"))):
        raise ApiError(400, {"detail": "Some detectors were not found or you do not have "
                                       f"permission to {verb} them."})
    if not detectors:
        return Response(200, {"detail": "No detectors found."})
    return detectors


def bulk_update_detectors(emu: Any, req: Request, org: str) -> Response:
    """Bulk enable/disable: body `{"enabled": bool}`, answered with the changed detectors."""
    organization = _org(emu, org)
    with emu.lock:
        if not (req.args("id") or req.arg("query") or req.args("project")
                or req.args("projectSlug")):
            raise ApiError(400, {"detail": BULK_FILTER_REQUIRED})
        body = req.body if isinstance(req.body, dict) else {}
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ApiError(400, {"enabled": ["Must be a valid boolean."]})
        targets = _bulk_targets(organization, req, "update")
        if isinstance(targets, Response):
            return targets
        now = iso_now()
        for detector in targets:
            detector["enabled"] = enabled
            detector["dateUpdated"] = now
        return emu.paginate(req, sorted(targets, key=lambda d: int(d["id"])),
                            serve=lambda d: serve_detector(organization, d))


def bulk_delete_detectors(emu: Any, req: Request, org: str) -> Response:
    organization = _org(emu, org)
    with emu.lock:
        targets = _bulk_targets(organization, req, "delete")
        if isinstance(targets, Response):
            return targets
        for detector in targets:
            schedule_detector_deletion(emu, organization, int(detector["id"]))
    return Response(204, None)


# --- workflows ---

def _find_workflow(org: Organization, workflow_id: str) -> dict:
    return _stored_by_id(org.workflows, workflow_id)


def _check_detector_ids(org: Organization, detector_ids: list[int],
                        req: Request | None = None) -> None:
    """validate_detectors_exist_and_have_permissions: unknown (or pending) ids are a 400; a
    detector in a project the token cannot access is a 403."""
    live = {k: org.detectors[k] for k in _live_detector_ids(org)}
    _check_ids_exist(live, detector_ids, "detectors")
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
        cid = _kept_or_new_id(condition.get("id"), old_conditions, ids, "condition")
        conditions.append({"id": cid, "type": condition["type"],
                           "comparison": condition["comparison"],
                           "conditionResult": condition.get("conditionResult",
                                                            condition_result)})
    actions = []
    for action in group.get("actions") or []:
        aid = _kept_or_new_id(action.get("id"), old_actions, ids, "workflow_action")
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
    organization = _org(emu, org)
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
    organization = _org(emu, org)
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
    organization = _org(emu, org)
    with emu.lock:
        return Response(200, serve_workflow(organization, _find_workflow(organization,
                                                                         workflow_id)))


def delete_workflow(emu: Any, req: Request, org: str, workflow_id: str) -> Response:
    organization = _org(emu, org)
    with emu.lock:
        _find_workflow(organization, workflow_id)
        organization.workflows.pop(int(workflow_id), None)
        organization.links.drop_workflow(int(workflow_id))
    return Response(204, None)


def list_workflows(emu: Any, req: Request, org: str) -> Response:
    """OrganizationWorkflowIndexEndpoint: the workflows linked to a detector of the projects
    `get_projects` gives (access.py), or linked to none; then `id` (repeatable) and `query`
    (name); `sortBy` as Sentry's (default id)."""
    organization = _org(emu, org)
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
        workflows = _sorted(workflows, req.arg("sortBy", "id") or "id", WORKFLOW_SORTS,
                            lambda w: (_served_link_count(organization, w), int(w["id"])))
        return emu.paginate(req, workflows, serve=lambda w: serve_workflow(organization, w))


def _served_link_count(org: Organization, workflow: dict) -> int:
    """How many detector ids `serve_workflow` shows (links to existing detectors)."""
    return sum(1 for d in workflow.get("detectorIds") or [] if int(d) in org.detectors)


# --- seeds ---

def seed_monitors(emu: Any, seed: dict[str, Any]) -> None:
    """Create each seed org's `detectors` (POST bodies plus `project`: slug) and `workflows`
    (POST bodies; `detectorNames` links monitors of this seed by name) through the same
    validation as the API. A bad entry raises ValueError naming it and Sentry's error body.
    The core calls this after loading a seed (like alert_rules.seed_alert_rules)."""
    for raw_org in seed.get("organizations") or []:
        slug = str(raw_org["slug"])
        names: dict[str, int] = {}
        for body in raw_org.get("detectors") or []:
            body = dict(body)
            project = str(body.pop("project", "") or "")
            req = Request("POST", "/", {}, {}, body)
            try:
                created = create_detector(emu, req, org=slug, project=project).body
            except ApiError as exc:
                raise ValueError(f"seed monitor {body.get('name')!r}: {exc.body}") from None
            names[created["name"]] = int(created["id"])
        for body in raw_org.get("workflows") or []:
            body = dict(body)
            wanted = body.pop("detectorNames", None) or []
            unknown = [n for n in wanted if n not in names]
            if unknown:
                raise ValueError(f"seed alert {body.get('name')!r}: no monitor named {unknown}")
            body["detectorIds"] = list(body.get("detectorIds") or []) + [names[n] for n in wanted]
            req = Request("POST", "/", {}, {}, body)
            try:
                create_workflow(emu, req, org=slug)
            except ApiError as exc:
                raise ValueError(f"seed alert {body.get('name')!r}: {exc.body}") from None


# --- profile switches ---

def _transactions_ok(emu: Any) -> bool:
    return bool(getattr(emu.profile, "transaction_datasets", True))


def _transactions_need_metrics(emu: Any) -> bool:
    return bool(getattr(emu.profile, "transactions_needs_metrics", False))


def owner_of(item: dict) -> str | None:
    """The owner of a stored detector or workflow as "team:ID"/"user:ID" (for the client side
    of tests and for out-of-band edits that set owner objects)."""
    return owner_string(item.get("owner"))


__all__ = ["JSON", "owner_of", "register", "seed_monitors", "serve_detector", "serve_workflow"]
