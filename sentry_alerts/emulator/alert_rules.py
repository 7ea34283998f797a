"""The legacy metric alert rules API (../shared/reference/sentry-api-notes.md §1-§3): routes and
handlers.

Routes (org- and project-scoped list/create/get/update/delete, available-actions, the
project-scoped Slack task endpoint), permissions, the validation order of notes §2.6, PUT
semantics, deletes, and the seed's rules. The steps live in their own modules:
alert_rules_validation.py (the request: fields, query, triggers), alert_rules_actions.py
(save-time action checks), alert_rules_stored.py (the stored detail-GET shape and the response
shapes), slack_task.py (the async (202) Slack lookup and its task endpoint).

Where the notes are silent the choice is written in docs/emulator.md ("Known differences").
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.access import access_of, requested_projects
from sentry_alerts.emulator.alert_rules_stored import build_rule, rule_as_request, serialize
from sentry_alerts.emulator.alert_rules_validation import non_field, snake_keys, validate_rule
from sentry_alerts.emulator.core import ApiError, Request, Response, Router, forbidden, not_found
from sentry_alerts.emulator.migration import dual_delete, migrate_rules
from sentry_alerts.emulator.slack_task import get_task, needs_async_lookup, start_task
from sentry_alerts.emulator.state import Organization

GET_SCOPES = {"org:read", "org:write", "org:admin", "alerts:read"}
POST_SCOPES = {"org:read", "org:write", "org:admin", "alerts:write"}
WRITE_SCOPES = {"org:write", "org:admin", "alerts:write"}
CREATE_ALLOWED = {"alerts:write", "org:admin", "org:write"}  # BASES check_can_create_alert
TASK_SCOPES = {"project:read", "project:write", "project:admin"}  # ProjectSettingPermission
# MAX_QUERY_SUBSCRIPTIONS_PER_ORG, a server setting in Sentry too: `Emulator(alert_rule_limit=)`.
RULE_LIMIT = 1000

TRANSACTIONS_DISABLED = (
    "Creation of transaction-based alerts is disabled, as we migrate to the span dataset. "
    "Create span-based alerts (dataset: events_analytics_platform) with the "
    "is_transaction:true filter instead."
)
EXTRAPOLATION_OK = {"client_and_server_weighted", "unknown"}


def _org_with_incidents(emu: Any, org: str) -> Organization:
    o = emu.state.org(org)
    if "incidents" not in o.features:
        raise not_found()
    return o


def _body(req: Request) -> dict[str, Any]:
    if not isinstance(req.body, dict):
        got = "list" if isinstance(req.body, list) else type(req.body).__name__
        raise non_field(f"Invalid data. Expected a dictionary, but got {got}.")
    return snake_keys(req.body)


def _get_rule(emu: Any, o: Organization, rule_id: str, project: str | None = None,
              req: Request | None = None) -> dict[str, Any]:
    """A rule by URL id: 404 when unknown (or not in the URL's project), 403 when the token
    cannot access its project (access.py)."""
    if not rule_id.isdigit() or int(rule_id) not in o.alert_rules:
        raise not_found()
    rule = o.alert_rules[int(rule_id)]
    if project is not None:
        p = o.project(project)
        if p is None or p.slug not in rule["projects"]:
            raise not_found()
    if req is not None:
        _require_access(o, req, rule["projects"])
    return rule


def _require_access(o: Organization, req: Request, slugs: list[str]) -> None:
    access = access_of(o, req)
    for slug in slugs:
        p = o.project(slug)
        if p is not None:
            access.require(p)


def list_rules(emu: Any, req: Request, org: str, project: str | None = None) -> Response:
    """OrganizationAlertRuleIndexEndpoint: the rules of the projects `get_projects` gives
    (access.py: member projects without `project`, `-1` = all accessible, ids or 403)."""
    o = _org_with_incidents(emu, org)
    ids, slugs = req.args("project"), req.args("projectSlug")
    if ids and slugs:
        raise ApiError(400, {"detail": "Cannot query for both ids and slugs"})
    if project is not None:
        p = o.project(project)
        if p is None:
            raise not_found()
        access_of(o, req).require(p)
        wanted = {p.slug}
    else:
        wanted = {p.slug for p in requested_projects(o, req)}
    with emu.lock:
        rules = [r for _, r in sorted(o.alert_rules.items(), reverse=True)
                 if not wanted.isdisjoint(r["projects"])]
        # Only the page's rules are copied and serialised.
        response = emu.paginate(req, rules, serve=serialize)
    response.headers["X-Sentry-Alert-Rule-Hits"] = str(len(rules))
    response.headers["X-Sentry-Rule-Limit"] = str(_rule_limit(emu))
    return response


def _rule_limit(emu: Any) -> int:
    return int(getattr(emu, "alert_rule_limit", RULE_LIMIT))


def _check_extrapolation(data: dict[str, Any], *, creating: bool) -> None:
    mode = data.get("extrapolation_mode")
    if mode is None or mode in EXTRAPOLATION_OK:
        return
    if creating:
        raise ApiError(400, [f"{mode} extrapolation mode is not supported for new alerts. "
                             "Allowed modes are: client_and_server_weighted, unknown."])
    raise ApiError(400, ["Invalid extrapolation mode for this alert type."])


def create_rule(emu: Any, req: Request, org: str, project: str | None = None) -> Response:
    if not req.scopes & CREATE_ALLOWED:
        raise forbidden()
    o = _org_with_incidents(emu, org)
    raw = req.body if isinstance(req.body, dict) else {}
    if not emu.profile.transaction_datasets and raw.get("dataset") in ("transactions",
                                                                        "generic_metrics"):
        raise ApiError(400, [TRANSACTIONS_DISABLED])
    data = _body(req)
    _check_extrapolation(data, creating=True)
    if project is not None:
        p = o.project(project)
        if p is None:
            raise not_found()
        data["projects"] = [p.slug]
    with emu.lock:
        clean = validate_rule(emu, o, req, data)
        _require_access(o, req, clean["projects"])
        limit = _rule_limit(emu)
        if len(o.alert_rules) >= limit:
            raise ApiError(400, [f"You may not exceed {limit} metric alerts per organization"])
        if needs_async_lookup(o, clean):
            return start_task(emu, o, req, clean, None)
        rule = build_rule(emu, o, req.user_id, clean, None, resolve_names=False)
        o.alert_rules[int(rule["id"])] = rule
        return Response(201, serialize(rule))


def get_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None) -> Response:
    o = _org_with_incidents(emu, org)
    with emu.lock:
        return Response(200, serialize(_get_rule(emu, o, rule_id, project, req), detail=True))


def update_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None
                ) -> Response:
    o = _org_with_incidents(emu, org)
    with emu.lock:
        existing = _get_rule(emu, o, rule_id, project, req)
        data = _body(req)
        _check_extrapolation(data, creating=False)
        merged = rule_as_request(existing)
        merged["environment"] = None  # leaving environment out clears it (notes §2.7)
        merged.update(data)
        clean = validate_rule(emu, o, req, merged)
        if needs_async_lookup(o, clean):
            return start_task(emu, o, req, clean, int(existing["id"]))
        rule = build_rule(emu, o, req.user_id, clean, existing, resolve_names=False)
        o.alert_rules[int(rule["id"])] = rule
        return Response(200, serialize(rule))


def delete_rule(emu: Any, req: Request, org: str, rule_id: str, project: str | None = None
                ) -> Response:
    o = emu.state.org(org)  # DELETE works without the incidents feature
    with emu.lock:
        _get_rule(emu, o, rule_id, project, req)
        del o.alert_rules[int(rule_id)]
        detectors = len(o.detectors)
        dual_delete(o, int(rule_id))
        if len(o.detectors) != detectors:  # it removed a migrated detector and its links
            o.links.invalidate()
    return Response(204)


def available_actions(emu: Any, req: Request, org: str) -> Response:
    o = _org_with_incidents(emu, org)
    items: list[dict[str, Any]] = [{"type": "email", "allowedTargetTypes": ["user", "team"]}]
    for ws in o.slack:
        items.append({"type": "slack", "allowedTargetTypes": ["specific"],
                      "integrationName": ws.name, "integrationId": ws.integration_id})
    return Response(200, items)


def seed_alert_rules(emu: Any, seed: dict[str, Any]) -> None:
    """Create each org's `alert_rules` (POST bodies) from the seed, resolving Slack names at
    once; `migrated_alert_rules` are created the same way, then migrated to monitors as Sentry
    did (migration.py). A bad seed rule raises ValueError naming it and Sentry's error."""
    for raw_org in seed.get("organizations") or []:
        o = emu.state.org(raw_org["slug"])
        migrated = raw_org.get("migrated_alert_rules") or []
        if migrated and not emu.profile.monitors_api:
            raise ValueError(f"migrated_alert_rules need a profile with the monitors API, not "
                             f"{emu.profile.name}")
        for key in ("alert_rules", "migrated_alert_rules"):
            made = []
            for body in raw_org.get(key) or []:
                req = Request("POST", "/", {}, {}, body, b"", None, frozenset({"team:admin"}),
                              None)
                try:
                    clean = validate_rule(emu, o, req, snake_keys(body))
                    rule = build_rule(emu, o, None, clean, None, resolve_names=True)
                except ApiError as exc:
                    raise ValueError(f"seed alert rule {body.get('name')!r}: {exc.body}") \
                        from None
                o.alert_rules[int(rule["id"])] = rule
                made.append(int(rule["id"]))
            if key == "migrated_alert_rules":
                migrate_rules(emu, o, made)
                o.links.invalidate()


def register(router: Router) -> None:
    org_base = "/api/0/organizations/{org}/alert-rules/"
    proj_base = "/api/0/projects/{org}/{project}/alert-rules/"
    add = router.add
    add("GET", org_base + "available-actions/", available_actions, scopes=GET_SCOPES,
        name="alert_rules.available_actions")
    add("GET", org_base, list_rules, scopes=GET_SCOPES, name="alert_rules.list")
    add("POST", org_base, create_rule, scopes=POST_SCOPES, name="alert_rules.create")
    add("GET", org_base + "{rule_id}/", get_rule, scopes=GET_SCOPES, name="alert_rules.get")
    add("PUT", org_base + "{rule_id}/", update_rule, scopes=WRITE_SCOPES, name="alert_rules.update")
    add("DELETE", org_base + "{rule_id}/", delete_rule, scopes=WRITE_SCOPES,
        name="alert_rules.delete")
    add("GET", proj_base, list_rules, scopes=GET_SCOPES | TASK_SCOPES,
        name="project_alert_rules.list")
    add("POST", proj_base, create_rule, scopes=POST_SCOPES, name="project_alert_rules.create")
    add("GET", proj_base + "{rule_id}/", get_rule, scopes=GET_SCOPES | TASK_SCOPES,
        name="project_alert_rules.get")
    add("PUT", proj_base + "{rule_id}/", update_rule, scopes=WRITE_SCOPES,
        name="project_alert_rules.update")
    add("DELETE", proj_base + "{rule_id}/", delete_rule, scopes=WRITE_SCOPES,
        name="project_alert_rules.delete")
    add("GET", "/api/0/projects/{org}/{project}/alert-rule-task/{task_uuid}/", get_task,
        scopes=TASK_SCOPES, name="alert_rule_task.get")
