"""The monitors backend: one metric detector per alert (`/detectors/`), delivery through
workflows (`/workflows/`, "Alerts" in Sentry's UI).

Shapes: notes §5 and §5.1, the OpenAPI schema (createOrganizationProjectDetector,
updateOrganizationDetector, the workflows paths) and docs/sentry-api.md. This module holds the
backend's operations (list, create, update, delete); what it sends is in monitors_bodies.py,
how it reads what Sentry serves in monitors_echoes.py, and the workflows it keeps, one per
policy and target set, in monitors_workflows.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import Alert, AlertSpec, Target
from sentry_alerts.sentry.alert_rules import AlertRulesBackend
from sentry_alerts.sentry.backend import BackendName, DatasetChoice, LiveListing
from sentry_alerts.sentry.client import SentryClient
from sentry_alerts.sentry.common import (
    ChannelBook,
    RetrySafeCreate,
    collect_listings,
    collect_pages,
    delete_if_present,
    materialize,
    project_scope,
)
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.monitors_bodies import detector_body
from sentry_alerts.sentry.monitors_echoes import (
    LinkedWorkflow,
    parse_detector,
    parse_workflow,
    target_from_action,
)
from sentry_alerts.sentry.monitors_workflows import OurWorkflows
from sentry_alerts.sentry.unmodelled import workflow_unmodelled


class MonitorsBackend:
    name: BackendName = "monitors"

    def __init__(self, client: SentryClient, org: str, *, directory: Directory | None = None,
                 progress: Callable[[str], None] | None = None,
                 uncertain_settle: float = 1.0) -> None:
        self.client = client
        self.org = org
        self.directory = directory or Directory(client, org)
        self.progress = progress or (lambda message: None)
        self.channels = ChannelBook()
        self._creates = RetrySafeCreate(self.list_alerts, settle=uncertain_settle,
                                        slow_answer_wait=2 * client.timeout)
        self.workflows = OurWorkflows(client, org, self.directory, self._creates,
                                      uncertain_settle)

    # -- dataset --

    def choose_dataset(self, requested: str) -> DatasetChoice:
        if requested != "auto":
            return DatasetChoice(requested, f"the policy asks for {requested}")
        return DatasetChoice(
            "spans", "auto: monitors — this API (Sentry 2026+, self-hosted 26.7+) refuses new "
                     "transaction-based monitors, so span-based (events_analytics_platform)")

    # -- reading --

    def list_alerts(self, projects: Sequence[str] | None = None) -> LiveListing:
        # Workflows are listed with the same scope: Sentry answers those linked to a monitor
        # of these projects, or to none. Both lists are read at the same time.
        scope = project_scope(self.directory, projects)
        (detectors, complete, problems), (workflows, wf_complete, wf_problems) = \
            collect_listings(
                (self.client.paginate(f"/api/0/organizations/{self.org}/detectors/", scope,
                                      bucket="detectors.list",
                                      what=f"the list of monitors of {self.org}"),
                 "the list of monitors"),
                (self.client.paginate(f"/api/0/organizations/{self.org}/workflows/", scope,
                                      bucket="workflows.list",
                                      what=f"the list of alerts (workflows) of {self.org}"),
                 "the list of alerts (workflows)"))
        complete = complete and wf_complete
        problems = problems + wf_problems
        parsed = [parse_workflow(w, self.directory) for w in workflows if isinstance(w, dict)]
        by_detector: dict[str, list[LinkedWorkflow]] = {}
        for raw, targets, policy in parsed:
            for detector_id in raw.get("detectorIds") or []:
                by_detector.setdefault(str(detector_id), []).append((raw, targets, policy))
        self.workflows.remember(parsed, complete)
        self.workflows.saw_detectors(str(d.get("id")) for d in detectors if isinstance(d, dict))
        alerts = []
        learned: set[tuple[Target, ...]] = set()  # most alerts share their targets
        notes: dict[int, tuple[dict, list[str]]] = {}  # by workflow: see parse_detector
        read_action = partial(target_from_action, directory=self.directory)

        def notes_of(raw: dict) -> list[str]:
            known = notes.get(id(raw))
            if known is None or known[0] is not raw:
                known = notes[id(raw)] = (raw, workflow_unmodelled(raw, read_action))
            return known[1]

        for detector in detectors:
            if not isinstance(detector, dict) or detector.get("type") != "metric_issue":
                continue
            alert = parse_detector(detector, by_detector.get(str(detector.get("id")), []),
                                   self.directory, notes_of)
            if alert.targets not in learned:
                learned.add(alert.targets)
                self.channels.learn(alert.targets)
            alerts.append(alert)
        return LiveListing(alerts, complete, problems)

    # -- desired --

    def materialize(self, spec: AlertSpec, dataset: str) -> Alert:
        return materialize(spec, dataset, self.directory, self.channels)

    # -- writing detectors --

    def create(self, alert: Alert) -> Alert:
        if alert.project is None:
            raise SentryAPIError(f"alert {alert.name!r} has no project; set `project` in the "
                                 "policy.")
        acquired = self.workflows.acquire(alert)
        detector_id: str | None = None
        refused = False
        try:
            body = detector_body(alert, [acquired[1]] if acquired else [], self.directory)
            path = f"/api/0/organizations/{self.org}/projects/{alert.project}/detectors/"

            def once() -> Alert:
                resp = self.client.post(path, body, bucket="detectors.create",
                                        what=f"creating monitor {alert.name!r}")
                return self._parse_written(resp.body, alert)

            live = self._creates.run(alert, once)
            detector_id = live.remote_id
        except SentryAPIError as exc:
            # A clear refusal (4xx) created nothing; an unclear failure may have made a monitor
            # linked to the workflow (apply checks), so that workflow stays.
            refused = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
            raise
        finally:
            self.workflows.release(acquired[0] if acquired else None, detector_id)
            if acquired and refused:
                # A workflow of ours that nothing links to now (e.g. made just for this monitor)
                # is not left behind. Best effort: the refusal is the error to report, and a
                # leftover workflow is reused by the next apply.
                with contextlib.suppress(SentryAPIError):
                    self.workflows.unlink([acquired[1]], "", None)
        legacy_id = (alert.extra or {}).get("replaces_legacy_rule")
        if legacy_id:  # the plan found this alert as a legacy rule: the monitor replaces it
            delete_if_present(self.client, f"/api/0/organizations/{self.org}/alert-rules/"
                              f"{legacy_id}/", bucket="alert_rules.delete",
                              what=f"deleting legacy alert rule {legacy_id}, replaced by "
                                   f"monitor {alert.name!r}")
        return live

    def legacy_rules(self, projects: Sequence[str] | None) -> list[Alert]:
        """The legacy alert rules (with ownership markers) of these projects, when this Sentry
        serves that API too (self-hosted 26.x, sentry.io before its removal), else []: a
        policy applied with `--backend alert-rules` has its alerts there until Sentry migrates
        them. Rules Sentry already migrated are monitors carrying the same marker."""
        scope = project_scope(self.directory, projects)
        legacy = AlertRulesBackend(self.client, self.org, directory=self.directory)
        try:
            rules, complete, problems = collect_pages(
                self.client.paginate(f"/api/0/organizations/{self.org}/alert-rules/", scope,
                                     bucket="alert_rules.list", deprecation_ok=True,
                                     what=f"the legacy alert rules of {self.org}"),
                "the list of legacy alert rules")
        except SentryAPIError as exc:
            if exc.status in (404, 410):  # not served: nothing can be there
                return []
            raise
        if not complete:
            raise SentryAPIError(
                f"{'; '.join(problems)}. sentry-alerts looks there for alerts this policy made "
                "with the legacy API before it proposes to create monitors; run plan again.")
        return [a for a in (legacy.parse(r) for r in rules if isinstance(r, dict))
                if a.marker is not None]

    def update(self, alert: Alert) -> Alert:
        if not alert.remote_id:
            raise SentryAPIError(f"cannot update monitor {alert.name!r}: it has no Sentry id.")
        extra = alert.extra or {}
        ours = list(extra.get("our_workflow_ids") or [])
        # Sentry's migrated workflow is replaced by ours: unlinked here, deleted below.
        migrated = list(extra.get("migrated_workflow_ids") or [])
        # On adoption, people's alerts that notified it are replaced by ours (unlinked here).
        replaced = list(extra.get("replaced_workflows") or {})
        foreign = [w for w in extra.get("workflow_ids") or [] if w not in ours + migrated + replaced]
        acquired = self.workflows.acquire(alert)
        linked = False
        try:
            keep = acquired[1] if acquired else None
            body = detector_body(alert, foreign + ([keep] if keep else []), self.directory)
            resp = self.client.put(
                f"/api/0/organizations/{self.org}/detectors/{alert.remote_id}/", body,
                bucket="detectors.update",
                what=f"updating monitor {alert.name!r} (id {alert.remote_id})")
            live = self._parse_written(resp.body, alert)
            linked = True
        finally:
            self.workflows.release(acquired[0] if acquired else None,
                                   alert.remote_id if linked else None)
        self.workflows.unlink(ours, alert.remote_id, keep)
        for wid in migrated:
            delete_if_present(self.client, f"/api/0/organizations/{self.org}/workflows/{wid}/",
                              bucket="workflows.delete",
                              what=f"deleting Sentry's migrated alert (workflow) {wid} of "
                                   f"{alert.name!r}, replaced by sentry-alerts' own")
        return live

    def delete(self, alert: Alert) -> None:
        if not alert.remote_id:
            return
        delete_if_present(self.client,
                          f"/api/0/organizations/{self.org}/detectors/{alert.remote_id}/",
                          bucket="detectors.delete",
                          what=f"deleting monitor {alert.name!r} (id {alert.remote_id})")
        self.workflows.unlink(list((alert.extra or {}).get("our_workflow_ids") or []),
                              alert.remote_id, None)

    def _parse_written(self, detector: Any, alert: Alert) -> Alert:
        """The live alert after a write: the detector as echoed, with the targets of the
        workflows it now links to (as this run knows them)."""
        if not isinstance(detector, dict):
            raise SentryAPIError(f"Sentry did not return the monitor {alert.name!r}; run plan "
                                 "again to see its state.")
        linked = self.workflows.as_linked(str(w) for w in detector.get("workflowIds") or [])
        live = parse_detector(detector, linked, self.directory)
        self.channels.learn(live.targets)
        if live.remote_id:
            self.workflows.saw_detectors([live.remote_id])
        return live
