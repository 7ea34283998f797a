"""The monitors (`/detectors/`) endpoints: create, update, get, delete (scheduled), list, and
bulk enable/disable and delete.

Each handler validates with detector_validation.py, keeps links with workflows in step (the
workflow's `detectorIds` and `org.links`, links.py), and serves through monitors_store.py.
Sources: OPDI, ODI, ODD, BDV, MID, DWV (docs/emulator-monitors.md, which also lists every
known difference from Sentry).
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.access import access_of, requested_projects
from sentry_alerts.emulator.core import ApiError, Request, Response, iso_now, not_found
from sentry_alerts.emulator.detector_validation import (
    check_detector_save,
    check_detector_type,
    validate_detector,
)
from sentry_alerts.emulator.links import link_ids
from sentry_alerts.emulator.monitors_lists import DETECTOR_SORTS, sorted_by, valid_int_ids
from sentry_alerts.emulator.monitors_store import (
    PENDING_DELETION,
    check_ids_exist,
    find_org,
    kept_or_new_id,
    live_detector_ids,
    owner_json,
    serve_detector,
    stored_by_id,
)
from sentry_alerts.emulator.search import DETECTOR_KEYS, parse_search
from sentry_alerts.emulator.state import Organization

BULK_FILTER_REQUIRED = "At least one of 'id', 'query', 'project', or 'projectSlug' must be provided."


def _find_detector(org: Organization, detector_id: str, req: Request | None = None) -> dict:
    """A detector by URL id: 404 when unknown or pending deletion (test_pending_deletion), 403
    when the token cannot access its project (access.py)."""
    detector = stored_by_id(org.detectors, detector_id)
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
    used = sum(1 for k in live_detector_ids(org) if org.detectors[k]["type"] == "metric_issue")
    if used >= limit:
        raise ApiError(400, [f"Used {used}/{limit} of allowed metric_issue monitors."])



def _check_workflow_ids(org: Organization, workflow_ids: list[int]) -> None:
    check_ids_exist(org.workflows, workflow_ids, "workflows")



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
        cid = kept_or_new_id(condition.get("id"), old_ids, ids, "condition")
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
    organization = find_org(emu, org)
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
    organization = find_org(emu, org)
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
    organization = find_org(emu, org)
    with emu.lock:
        return Response(200, serve_detector(organization, _find_detector(organization,
                                                                         detector_id, req)))


def delete_detector(emu: Any, req: Request, org: str, detector_id: str) -> Response:
    """Deletion is scheduled (`RegionScheduledDeletion`): the detector is hidden at once, but
    its workflow links stay until the deletion task runs (`emu.detector_deletion_delay`)."""
    organization = find_org(emu, org)
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


def list_detectors(emu: Any, req: Request, org: str) -> Response:
    """Filtered and sorted as stored; only the page's detectors are copied and served."""
    organization = find_org(emu, org)
    with emu.lock:
        detectors = sorted_by(_filter_detectors(organization, req),
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
    organization = find_org(emu, org)
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
    organization = find_org(emu, org)
    with emu.lock:
        targets = _bulk_targets(organization, req, "delete")
        if isinstance(targets, Response):
            return targets
        for detector in targets:
            schedule_detector_deletion(emu, organization, int(detector["id"]))
    return Response(204, None)


def _transactions_ok(emu: Any) -> bool:
    return bool(getattr(emu.profile, "transaction_datasets", True))


def _transactions_need_metrics(emu: Any) -> bool:
    return bool(getattr(emu.profile, "transactions_needs_metrics", False))
