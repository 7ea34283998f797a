"""The monitors backend: one metric detector per alert (`/detectors/`), delivery through
workflows (`/workflows/`, "Alerts" in Sentry's UI).

Shapes: notes §5 and §5.1, the OpenAPI schema (createOrganizationProjectDetector,
updateOrganizationDetector, the workflows paths) and docs/sentry-api.md.

- A detector holds the query (timeWindow in SECONDS), the thresholds as conditions (gt critical
  → 75 high, optional gt warning → 50 medium, lte resolve-or-lowest-threshold → 0 resolved), the
  owner and the description with the ownership marker.
- Targets live in workflows: ONE workflow per distinct set of targets and policy, named with a
  marker `(sentry-alerts policy P, targets H)`; detectors link to it through `workflowIds` in
  their own POST/PUT (one request per alert). Workflows without that marker (people's, other
  policies') are never changed or deleted; links to them are preserved.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sentry_alerts import model
from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import Alert, AlertSpec, EmailTarget, SlackTarget, Target
from sentry_alerts.sentry.alert_rules import EVENT_TYPES, AlertRulesBackend
from sentry_alerts.sentry.backend import BackendName, DatasetChoice, LiveListing
from sentry_alerts.sentry.client import SentryClient, UncertainWriteError
from sentry_alerts.sentry.common import (
    ChannelBook,
    RetrySafeCreate,
    collect_listings,
    collect_pages,
    delete_if_present,
    materialize,
    normalise_resolve,
    number,
    project_scope,
    target_key,
    version_of,
)
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.migrated import is_migrated_workflow
from sentry_alerts.sentry.unmodelled import (
    detector_unmodelled,
    only_if,
    skipped_actions,
    workflow_actions,
    workflow_unmodelled,
)

PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_RESOLVED = 75, 50, 0
ROLE_OF_PRIORITY = {PRIORITY_HIGH: "critical", PRIORITY_MEDIUM: "warning",
                    PRIORITY_RESOLVED: "resolve"}
WORKFLOW_MARKER_RE = re.compile(
    r"\(sentry-alerts policy ([A-Za-z0-9._-]+), targets ([0-9a-f]{8})\)\s*$")
WORKFLOW_NAME_MAX = 256

TargetSetKey = tuple[str, frozenset[tuple[str, ...]]]  # (policy, target keys)


def targets_hash(targets: tuple[Target, ...]) -> str:
    text = "\n".join(sorted("\t".join(target_key(t)) for t in targets))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def workflow_name(policy: str, targets: tuple[Target, ...]) -> str:
    suffix = f" (sentry-alerts policy {policy}, targets {targets_hash(targets)})"
    summary = "Notify " + model.format_targets(targets)
    room = WORKFLOW_NAME_MAX - len(suffix)
    if len(summary) > room:
        summary = summary[: room - 1] + "…"
    return summary + suffix


@dataclass
class _Workflow:
    id: str
    name: str
    policy: str
    targets: tuple[Target, ...]
    detectors: set[str] = field(default_factory=set)
    pending: int = 0  # creates/updates in progress that will link to it
    version: str | None = None

    @classmethod
    def from_raw(cls, raw: dict, policy: str, targets: tuple[Target, ...]) -> _Workflow:
        """One of ours as Sentry lists or echoes it (no write in progress yet)."""
        return cls(str(raw["id"]), str(raw.get("name")), policy, targets,
                   {str(d) for d in raw.get("detectorIds") or []}, 0, raw.get("dateUpdated"))


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
        self.uncertain_settle = uncertain_settle
        # Our workflows, by (policy, target keys); guarded by _lock (short sections only).
        self._lock = threading.Lock()
        self._workflows: dict[TargetSetKey, _Workflow] = {}
        self._key_locks: dict[TargetSetKey, threading.Lock] = {}
        self._workflows_known = False  # set once a listing filled _workflows
        # Detector ids Sentry served this run (listed or written): a workflow's link to any
        # other id may be stale (deletion pending) and is checked before it keeps a workflow.
        self._seen_detectors: set[str] = set()
        self._load_lock = threading.Lock()

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
        parsed = [self._parse_workflow(w) for w in workflows if isinstance(w, dict)]
        by_detector: dict[str, list[tuple[dict, tuple[Target, ...], str | None]]] = {}
        for raw, targets, policy in parsed:
            for detector_id in raw.get("detectorIds") or []:
                by_detector.setdefault(str(detector_id), []).append((raw, targets, policy))
        self._remember_workflows(parsed, complete)
        with self._lock:
            self._seen_detectors.update(str(d.get("id")) for d in detectors
                                        if isinstance(d, dict))
        alerts = []
        learned: set[tuple[Target, ...]] = set()  # most alerts share their targets
        notes: dict[int, tuple[dict, list[str]]] = {}  # by workflow: see parse's notes_of

        def notes_of(raw: dict) -> list[str]:
            known = notes.get(id(raw))
            if known is None or known[0] is not raw:
                known = notes[id(raw)] = (raw, workflow_unmodelled(raw, self._target_from_action))
            return known[1]

        for detector in detectors:
            if not isinstance(detector, dict) or detector.get("type") != "metric_issue":
                continue
            alert = self.parse(detector, by_detector.get(str(detector.get("id")), []),
                               notes_of=notes_of)
            if alert.targets not in learned:
                learned.add(alert.targets)
                self.channels.learn(alert.targets)
            alerts.append(alert)
        return LiveListing(alerts, complete, problems)

    def _parse_workflow(self, raw: dict) -> tuple[dict, tuple[Target, ...], str | None]:
        targets: list[Target] = []
        for group in [raw.get("triggers") or {}, *(raw.get("actionFilters") or [])]:
            for action in (group or {}).get("actions") or []:
                target = self._target_from_action(action)
                if target is not None:
                    targets.append(target)
        m = WORKFLOW_MARKER_RE.search(str(raw.get("name") or ""))
        return raw, model.sort_targets(targets), m.group(1) if m else None

    def _target_from_action(self, action: dict[str, Any]) -> Target | None:
        config = action.get("config") or {}
        if action.get("type") == "slack":
            name = config.get("targetDisplay") or config.get("targetIdentifier") or ""
            channel_id = config.get("targetIdentifier") or None
            return SlackTarget(str(name), str(channel_id) if channel_id else None,
                               self.directory.workspace_name(action.get("integrationId")))
        if action.get("type") == "email":
            ident = config.get("targetIdentifier")
            if config.get("targetType") == "team":
                return EmailTarget("team", self.directory.team_slug(ident) or str(ident))
            if config.get("targetType") == "user":
                return EmailTarget("user", self.directory.user_email(ident) or str(ident))
        return None

    def _ensure_workflows_known(self) -> None:
        """Writes without a listing first (a saved plan applied by a new process) still reuse
        the workflows that exist: list them once."""
        with self._load_lock:
            if self._workflows_known:
                return
            workflows, complete, _ = collect_pages(
                self.client.paginate(f"/api/0/organizations/{self.org}/workflows/",
                                     project_scope(self.directory, None),
                                     bucket="workflows.list",
                                     what=f"the list of alerts (workflows) of {self.org}"),
                "the list of alerts (workflows)")
            self._remember_workflows(
                [self._parse_workflow(w) for w in workflows if isinstance(w, dict)], complete)

    def _remember_workflows(self, parsed: list[tuple[dict, tuple[Target, ...], str | None]],
                            complete: bool) -> None:
        self._workflows_known = True
        with self._lock:
            previous = dict(self._workflows)
            if complete:
                self._workflows.clear()
            for raw, targets, policy in parsed:
                if policy is None:
                    continue
                key: TargetSetKey = (policy, frozenset(target_key(t) for t in targets))
                current = previous.get(key)
                detectors = {str(d) for d in raw.get("detectorIds") or []}
                if current is not None and current.id == str(raw["id"]):
                    # Same workflow: update in place (other threads may hold this object).
                    current.detectors, current.targets = detectors, targets
                    current.version = raw.get("dateUpdated")
                    self._workflows[key] = current
                    continue
                entry = _Workflow.from_raw(raw, policy, targets)
                chosen = self._workflows.get(key)
                # Two of ours for the same set (a person copied one): keep the most used.
                if chosen is None or len(entry.detectors) > len(chosen.detectors):
                    self._workflows[key] = entry
            for key, wf in previous.items():  # created meanwhile by this run, in use
                if wf.pending and key not in self._workflows:
                    self._workflows[key] = wf

    def parse(self, detector: dict[str, Any],
              linked: list[tuple[dict, tuple[Target, ...], str | None]],
              notes_of: Callable[[dict], list[str]] | None = None) -> Alert:
        """The neutral Alert of a monitor and the workflows linked to it. `notes_of`: what each
        workflow holds beyond its targets (unmodelled.workflow_unmodelled), remembered by the
        listing: one workflow linked to 10,000 monitors is read once, not once per monitor."""
        description = detector.get("description") or ""
        marker = model.Marker.find(description)
        source = (detector.get("dataSources") or [{}])[0] or {}
        query = (source.get("queryObj") or {}).get("snubaQuery") or source
        conditions = (detector.get("conditionGroup") or {}).get("conditions") or []
        critical = warning = resolve = None
        condition_ids: dict[str, str] = {}
        for c in conditions:
            result = number(c.get("conditionResult"))
            role = ROLE_OF_PRIORITY.get(result)  # type: ignore[call-overload]
            if role is None or isinstance(c.get("comparison"), dict):
                continue
            value = number(c.get("comparison"))
            if role == "critical":
                critical = value
            elif role == "warning":
                warning = value
            else:
                resolve = value
            if c.get("id") is not None:
                condition_ids[role] = str(c["id"])
        # Targets: a managed monitor's come from its policy's workflows only (a person's extra
        # workflow linked to it is theirs), and from the workflow Sentry made when it migrated
        # the legacy rule, which the next write replaces (migrated.py); an unmanaged monitor
        # shows every linked workflow.
        detector_id = str(detector.get("id"))
        ours = [w for w in linked if marker is not None and w[2] == marker.policy]
        # Sentry's migrated workflow links exactly one detector: checking that first keeps a
        # workflow linked to 10,000 monitors from being read once per monitor.
        migrated = [w for w in linked if w[2] is None and len(w[0].get("detectorIds") or ()) == 1
                    and is_migrated_workflow(w[0], detector_id)]
        shown = ours + migrated if marker is not None else linked
        # One workflow's targets are already sorted (_parse_workflow): shared, not re-sorted.
        targets = shown[0][1] if len(shown) == 1 else \
            model.sort_targets([t for _, ts, _ in shown for t in ts])
        linked_ids = [str(w[0]["id"]) for w in linked]
        our_ids = [str(w[0]["id"]) for w in ours]
        # Adopting an unmarked monitor: the alerts (workflows) people made that notify it, with
        # only Slack and email actions, are replaced by sentry-alerts' own for the same targets
        # (else each target would be notified twice); they stay as they are for other monitors.
        migrated_ids = {str(w[0]["id"]) for w in migrated}
        replaced = [] if marker is not None else [
            w for w in linked if w[2] is None and str(w[0]["id"]) not in migrated_ids
            and not skipped_actions(workflow_actions(w[0]), self._target_from_action)]
        takeover = None
        if migrated:
            names = ", ".join(f"{str(w[0].get('name'))!r} (id {w[0]['id']})" for w in migrated)
            takeover = (f"Sentry migrated this alert from a legacy alert rule and notifies "
                        f"through its own alert (workflow) {names}; apply links sentry-alerts' "
                        "alert instead and deletes that one, so each target is notified once.")
        if replaced:
            names = ", ".join(f"{str(w[0].get('name'))!r} (id {w[0]['id']})" for w in replaced)
            one = len(replaced) == 1
            takeover = " ".join(filter(None, (takeover, (
                "On adoption, apply links sentry-alerts' own alert (workflow) to this monitor in "
                f"place of {names}, which notif{'ies' if one else 'y'} the same targets, so "
                f"nobody is notified twice; {'it stays' if one else 'they stay'} as "
                f"{'it is' if one else 'they are'} for any other monitor."))))
        dataset_api = str(query.get("dataset") or "")
        window_seconds = number(query.get("timeWindow")) or 0
        project_id = detector.get("projectId")
        return model.construct(  # Alert(...) without its __init__: 10,000 per listing
            Alert,
            name=str(detector.get("name") or ""),
            project=self.directory.project_slug(project_id) if project_id is not None else None,
            environment=query.get("environment") or None,
            dataset=model.DATASET_FROM_API.get(dataset_api, dataset_api),
            aggregate=str(query.get("aggregate") or ""),
            query=str(query.get("query") or ""),
            window_minutes=number(window_seconds / 60) or 0,
            critical_ms=critical,
            warning_ms=warning,
            resolve_ms=normalise_resolve(critical, warning, resolve),
            targets=targets,
            owner=self.directory.owner_from_ref(detector.get("owner")),
            description=description,
            enabled=detector.get("enabled") is not False,
            marker=marker,
            remote_id=str(detector.get("id")) if detector.get("id") is not None else None,
            version=version_of(detector.get("dateUpdated"), *sorted(
                str(w[0].get("dateUpdated")) for w in ours + migrated + replaced)),
            takeover=takeover,
            extra={"workflow_ids": linked_ids, "our_workflow_ids": our_ids,
                   "migrated_workflow_ids": [str(w[0]["id"]) for w in migrated],
                   "condition_ids": condition_ids, "project_id": project_id,
                   **only_if(replaced_workflows={
                       str(w[0]["id"]): {"name": str(w[0].get("name") or ""),
                                         "detectors": [str(d) for d in w[0].get("detectorIds")
                                                       or []]} for w in replaced},
                             alert_rule_id=detector.get("alertRuleId"),
                             unmodelled=detector_unmodelled(detector, [w[0] for w in shown],
                                                            self._target_from_action,
                                                            notes_of))},
        )

    # -- desired --

    def materialize(self, spec: AlertSpec, dataset: str) -> Alert:
        return materialize(spec, dataset, self.directory, self.channels)

    # -- request bodies --

    def detector_body(self, alert: Alert, workflow_ids: list[str]) -> dict[str, Any]:
        dataset = alert.dataset if alert.dataset in model.API_DATASET else "spans"
        ids = (alert.extra or {}).get("condition_ids") or {}
        conditions: list[dict[str, Any]] = []

        def condition(role: str, kind: str, value: float | int, result: int) -> None:
            item: dict[str, Any] = {"type": kind, "comparison": value, "conditionResult": result}
            if role in ids:
                item["id"] = ids[role]
            conditions.append(item)

        if alert.critical_ms is not None:
            condition("critical", "gt", alert.critical_ms, PRIORITY_HIGH)
        if alert.warning_ms is not None:
            condition("warning", "gt", alert.warning_ms, PRIORITY_MEDIUM)
        resolve = alert.resolve_ms if alert.resolve_ms is not None else \
            (alert.warning_ms if alert.warning_ms is not None else alert.critical_ms)
        if resolve is not None:
            condition("resolve", "lte", resolve, PRIORITY_RESOLVED)
        return {
            "name": alert.name,
            "type": "metric_issue",
            "description": alert.description,
            "owner": self.directory.owner_ref(alert.owner),
            "enabled": True,
            "dataSources": [{
                "queryType": 1,
                "dataset": model.API_DATASET[dataset],
                "aggregate": alert.aggregate,
                "query": alert.query,
                "timeWindow": int(round(float(alert.window_minutes) * 60)),
                "environment": alert.environment,
                "eventTypes": EVENT_TYPES[dataset],
            }],
            "conditionGroup": {"logicType": "any", "conditions": conditions},
            "config": {"detectionType": "static"},
            "workflowIds": [int(w) for w in workflow_ids],
        }

    def workflow_body(self, policy: str, targets: tuple[Target, ...]) -> dict[str, Any]:
        return {
            "name": workflow_name(policy, targets),
            "enabled": True,
            "environment": None,
            # Notify at once on every state change (frequency in minutes; 0 = no throttling).
            "config": {"frequency": 0},
            "triggers": {"logicType": "any-short", "conditions": []},
            "actionFilters": [{
                "logicType": "any-short",
                # Warning (50, medium) and critical (75, high) issues notify. De-escalation
                # notifies too, at medium: Sentry fires it when the open period reached at
                # least this priority and the issue then fell below it or resolved, so the
                # resolution of a warning notifies as well as a critical's (a legacy metric
                # alert's resolve message). Comparisons are PriorityLevel integers: the
                # handler's comparison_json_schema refuses `true` (notes §5.2).
                "conditions": [
                    {"type": "issue_priority_greater_or_equal", "comparison": PRIORITY_MEDIUM,
                     "conditionResult": True},
                    {"type": "issue_priority_deescalating", "comparison": PRIORITY_MEDIUM,
                     "conditionResult": True},
                ],
                "actions": [self._action(t) for t in targets],
            }],
        }

    def _action(self, target: Target) -> dict[str, Any]:
        if isinstance(target, SlackTarget):
            workspace = self.directory.slack_workspace(target.workspace)
            config: dict[str, Any] = {"targetType": "specific", "targetDisplay": target.channel}
            if target.channel_id:  # never an empty targetIdentifier (notes §5.1, TF #963)
                config["targetIdentifier"] = target.channel_id
            return {"type": "slack", "integrationId": str(workspace.integration_id),
                    "config": config, "data": {}, "status": "active"}
        ident = self.directory.team_id(target.name) if target.to == "team" else \
            self.directory.user_id(target.name)
        return {"type": "email", "integrationId": None, "data": {}, "status": "active",
                "config": {"targetType": target.to, "targetDisplay": None,
                           "targetIdentifier": str(ident)}}

    # -- workflows: one per (policy, target set) --

    def _key(self, alert: Alert) -> TargetSetKey | None:
        if not alert.targets or alert.marker is None:
            return None
        return (alert.marker.policy, frozenset(target_key(t) for t in alert.targets))

    def _key_lock(self, key: TargetSetKey) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _acquire_workflow(self, alert: Alert) -> tuple[TargetSetKey, str] | None:
        """The id of our workflow for this alert's targets, creating it once; counts a pending
        link so it is not deleted meanwhile."""
        key = self._key(alert)
        if key is None:
            return None
        assert alert.marker is not None
        self._ensure_workflows_known()
        with self._key_lock(key):
            with self._lock:
                wf = self._workflows.get(key)
                if wf is not None:
                    wf.pending += 1
                    return key, wf.id
            created = self._create_workflow(alert.marker.policy, alert.targets)
            with self._lock:
                created.pending += 1
                self._workflows[key] = created
                return key, created.id

    def _release_workflow(self, key: TargetSetKey | None, detector_id: str | None) -> None:
        if key is None:
            return
        with self._lock:
            wf = self._workflows.get(key)
            if wf is None:
                return
            wf.pending = max(0, wf.pending - 1)
            if detector_id:
                wf.detectors.add(detector_id)

    def _unlink(self, workflow_ids: list[str], detector_id: str, keep: str | None) -> None:
        """The detector no longer uses these workflows of ours: delete those left unused."""
        if workflow_ids:
            self._ensure_workflows_known()
        for wid in workflow_ids:
            if wid == keep:
                continue
            with self._lock:
                found = [(k, wf) for k, wf in self._workflows.items() if wf.id == wid]
            if not found:
                continue
            key, wf = found[0]
            with self._key_lock(key):
                with self._lock:
                    wf.detectors.discard(detector_id)
                    unseen = wf.detectors - self._seen_detectors
                # A deleted detector's links outlive it until Sentry's deletion task runs
                # (notes §5.2): a link to a detector that is gone must not keep ours alive.
                gone = {d for d in unseen if not self._detector_exists(d)}
                with self._lock:
                    wf.detectors -= gone
                    unused = not wf.detectors and wf.pending == 0
                    if unused:
                        self._workflows.pop(key, None)
                if unused:
                    self._delete_workflow(wf)

    def _detector_exists(self, detector_id: str) -> bool:
        try:
            self.client.get(f"/api/0/organizations/{self.org}/detectors/{detector_id}/",
                            bucket="detectors.get",
                            what=f"monitor {detector_id}, still linked to an alert (workflow)")
        except SentryAPIError as exc:
            if exc.status == 404:
                return False
            if exc.status == 403:  # in a project this token cannot see: it exists
                return True
            raise
        with self._lock:
            self._seen_detectors.add(detector_id)
        return True

    def _create_workflow(self, policy: str, targets: tuple[Target, ...]) -> _Workflow:
        body = self.workflow_body(policy, targets)
        wanted = frozenset(target_key(t) for t in targets)
        path = f"/api/0/organizations/{self.org}/workflows/"
        for attempt in range(self._creates.attempts):
            try:
                resp = self.client.post(path, body, bucket="workflows.create",
                                        what=f"creating alert (workflow) {body['name']!r}")
                raw, parsed, _ = self._parse_workflow(resp.body)
                return _Workflow.from_raw(raw, policy, parsed)
            except UncertainWriteError as exc:
                if attempt == self._creates.attempts - 1:
                    raise
                give_up = time.monotonic() + (
                    self._creates.slow_answer_wait if exc.still_running else 0.0)
                time.sleep(self.uncertain_settle * (attempt + 1))
                while True:
                    found = self._find_workflow(body["name"], wanted)
                    if found is not None:
                        return found
                    if time.monotonic() >= give_up:
                        break
                    time.sleep(max(self.uncertain_settle, 0.05) * 2)
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_workflow(self, name: str, wanted: frozenset) -> _Workflow | None:
        m = WORKFLOW_MARKER_RE.search(name)
        pages = self.client.paginate(f"/api/0/organizations/{self.org}/workflows/",
                                     {"query": m.group(2) if m else name,
                                      **project_scope(self.directory, None)},
                                     bucket="workflows.list",
                                     what="the alerts (workflows) matching a lost create")
        for page in pages:
            for raw in page:
                raw, targets, policy = self._parse_workflow(raw)
                if raw.get("name") == name and \
                        frozenset(target_key(t) for t in targets) == wanted and policy:
                    return _Workflow.from_raw(raw, policy, targets)
        return None

    def _delete_workflow(self, wf: _Workflow) -> None:
        delete_if_present(self.client, f"/api/0/organizations/{self.org}/workflows/{wf.id}/",
                          bucket="workflows.delete",
                          what=f"deleting unused alert (workflow) {wf.name!r}")

    # -- writing detectors --

    def create(self, alert: Alert) -> Alert:
        if alert.project is None:
            raise SentryAPIError(f"alert {alert.name!r} has no project; set `project` in the "
                                 "policy.")
        acquired = self._acquire_workflow(alert)
        detector_id: str | None = None
        refused = False
        try:
            body = self.detector_body(alert, [acquired[1]] if acquired else [])
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
            self._release_workflow(acquired[0] if acquired else None, detector_id)
            if acquired and refused:
                # A workflow of ours that nothing links to now (e.g. made just for this monitor)
                # is not left behind. Best effort: the refusal is the error to report, and a
                # leftover workflow is reused by the next apply.
                with contextlib.suppress(SentryAPIError):
                    self._unlink([acquired[1]], "", None)
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
        acquired = self._acquire_workflow(alert)
        linked = False
        try:
            keep = acquired[1] if acquired else None
            body = self.detector_body(alert, foreign + ([keep] if keep else []))
            resp = self.client.put(
                f"/api/0/organizations/{self.org}/detectors/{alert.remote_id}/", body,
                bucket="detectors.update",
                what=f"updating monitor {alert.name!r} (id {alert.remote_id})")
            live = self._parse_written(resp.body, alert)
            linked = True
        finally:
            self._release_workflow(acquired[0] if acquired else None,
                                   alert.remote_id if linked else None)
        self._unlink(ours, alert.remote_id, keep)
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
        self._unlink(list((alert.extra or {}).get("our_workflow_ids") or []), alert.remote_id,
                     None)

    def _parse_written(self, detector: Any, alert: Alert) -> Alert:
        """The live alert after a write: the detector as echoed, with the targets of the
        workflows it now links to (as this run knows them)."""
        if not isinstance(detector, dict):
            raise SentryAPIError(f"Sentry did not return the monitor {alert.name!r}; run plan "
                                 "again to see its state.")
        wanted = [str(w) for w in detector.get("workflowIds") or []]
        with self._lock:
            known = {wf.id: wf for wf in self._workflows.values()}
        linked: list[tuple[dict, tuple[Target, ...], str | None]] = []
        for wid in wanted:
            wf = known.get(wid)
            if wf is not None:
                linked.append(({"id": wf.id, "dateUpdated": wf.version}, wf.targets, wf.policy))
            else:  # not ours: kept linked, its targets are not this alert's
                linked.append(({"id": wid}, (), None))
        live = self.parse(detector, linked)
        self.channels.learn(live.targets)
        if live.remote_id:
            with self._lock:
                self._seen_detectors.add(live.remote_id)
        return live
