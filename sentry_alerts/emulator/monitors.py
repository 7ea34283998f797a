"""Monitors (`/detectors/`) and alerts (`/workflows/`): Sentry's workflow-engine API, its routes
and its seeds.

The handlers are in detectors.py and workflows.py; how objects are stored, linked and served
is in monitors_store.py; validation is in detector_validation.py and workflow_validation.py.
Routes, status codes and every known difference from Sentry are in docs/emulator-monitors.md.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import ApiError, Request, Router
from sentry_alerts.emulator.detectors import (
    bulk_delete_detectors,
    bulk_update_detectors,
    create_detector,
    delete_detector,
    get_detector,
    list_detectors,
    update_detector,
)
from sentry_alerts.emulator.workflows import (
    create_workflow,
    delete_workflow,
    get_workflow,
    list_workflows,
    update_workflow,
)

ORG = "/api/0/organizations/{org}"
READ = {"alerts:read", "org:read", "org:write", "org:admin"}
# OrganizationDetectorPermission lets org:read edit too (schema `security` of PUT/DELETE).
DETECTOR_WRITE = {"alerts:write", "org:read", "org:write", "org:admin"}
PROJECT_DETECTOR_CREATE = {"alerts:write", "project:write", "project:admin"}
WORKFLOW_WRITE = {"alerts:write", "org:write", "org:admin"}


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


__all__ = ["register", "seed_monitors"]
