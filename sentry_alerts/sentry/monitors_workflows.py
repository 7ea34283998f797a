"""sentry-alerts' own workflows ("Alerts" in Sentry's UI), as the monitors backend keeps them.

Targets live in workflows: ONE workflow per distinct set of targets and policy, named with a
marker `(sentry-alerts policy P, targets H)` (monitors_bodies.py); detectors link to it through
`workflowIds` in their own POST/PUT (one request per alert). A workflow is created the first
time a write needs it and deleted once no monitor links to it. Workflows without that marker
(people's, other policies') are never changed or deleted; links to them are preserved.

Writes run in parallel: a workflow is made once per target set (a lock per set), and one that
a write in progress will link to is never deleted meanwhile (`pending`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import Alert, Target
from sentry_alerts.sentry.client import SentryClient, UncertainWriteError
from sentry_alerts.sentry.common import (
    RetrySafeCreate,
    collect_pages,
    delete_if_present,
    project_scope,
    target_key,
)
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.monitors_bodies import WORKFLOW_MARKER_RE, workflow_body
from sentry_alerts.sentry.monitors_echoes import LinkedWorkflow, parse_workflow

TargetSetKey = tuple[str, frozenset[tuple[str, ...]]]  # (policy, target keys)


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


class OurWorkflows:
    """This run's knowledge of our workflows, by (policy, target set), and the requests that
    create, find and delete them. Thread-safe: apply writes in parallel."""

    def __init__(self, client: SentryClient, org: str, directory: Directory,
                 creates: RetrySafeCreate, uncertain_settle: float) -> None:
        self.client = client
        self.org = org
        self.directory = directory
        self._creates = creates  # the retry rules of creates (attempts, waits) the monitors share
        self.uncertain_settle = uncertain_settle
        # Our workflows, by (policy, target keys); guarded by _lock (short sections only).
        self._lock = threading.Lock()
        self._workflows: dict[TargetSetKey, _Workflow] = {}
        self._key_locks: dict[TargetSetKey, threading.Lock] = {}
        self._known = False  # set once a listing filled _workflows
        # Detector ids Sentry served this run (listed or written): a workflow's link to any
        # other id may be stale (deletion pending) and is checked before it keeps a workflow.
        self._seen_detectors: set[str] = set()
        self._load_lock = threading.Lock()

    def saw_detectors(self, detector_ids: Iterable[str]) -> None:
        """Detectors Sentry served this run (listed or written): they exist."""
        with self._lock:
            self._seen_detectors.update(detector_ids)

    def as_linked(self, workflow_ids: Iterable[str]) -> list[LinkedWorkflow]:
        """Workflows a detector links to, as this run knows them (others are not ours: kept
        linked)."""
        with self._lock:
            known = {wf.id: wf for wf in self._workflows.values()}
        linked: list[LinkedWorkflow] = []
        for wid in workflow_ids:
            wf = known.get(wid)
            if wf is not None:
                linked.append(({"id": wf.id, "dateUpdated": wf.version}, wf.targets, wf.policy))
            else:  # not ours: kept linked, its targets are not this alert's
                linked.append(({"id": wid}, (), None))
        return linked

    def _ensure_known(self) -> None:
        """Writes without a listing first (a saved plan applied by a new process) still reuse
        the workflows that exist: list them once."""
        with self._load_lock:
            if self._known:
                return
            workflows, complete, _ = collect_pages(
                self.client.paginate(f"/api/0/organizations/{self.org}/workflows/",
                                     project_scope(self.directory, None),
                                     bucket="workflows.list",
                                     what=f"the list of alerts (workflows) of {self.org}"),
                "the list of alerts (workflows)")
            self.remember([parse_workflow(w, self.directory) for w in workflows
                           if isinstance(w, dict)], complete)

    def remember(self, parsed: list[LinkedWorkflow], complete: bool) -> None:
        """Our workflows (those with a marker) as a listing found them: a complete listing
        says which exist (but for those this run made meanwhile and links to); an incomplete
        one only adds to what this run knew."""
        self._known = True
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

    def _key(self, alert: Alert) -> TargetSetKey | None:
        if not alert.targets or alert.marker is None:
            return None
        return (alert.marker.policy, frozenset(target_key(t) for t in alert.targets))

    def _key_lock(self, key: TargetSetKey) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def acquire(self, alert: Alert) -> tuple[TargetSetKey, str] | None:
        """The id of our workflow for this alert's targets, creating it once; counts a pending
        link so it is not deleted meanwhile."""
        key = self._key(alert)
        if key is None:
            return None
        assert alert.marker is not None
        self._ensure_known()
        with self._key_lock(key):
            with self._lock:
                wf = self._workflows.get(key)
                if wf is not None:
                    wf.pending += 1
                    return key, wf.id
            created = self._create(alert.marker.policy, alert.targets)
            with self._lock:
                created.pending += 1
                self._workflows[key] = created
                return key, created.id

    def release(self, key: TargetSetKey | None, detector_id: str | None) -> None:
        if key is None:
            return
        with self._lock:
            wf = self._workflows.get(key)
            if wf is None:
                return
            wf.pending = max(0, wf.pending - 1)
            if detector_id:
                wf.detectors.add(detector_id)

    def unlink(self, workflow_ids: list[str], detector_id: str, keep: str | None) -> None:
        """The detector no longer uses these workflows of ours: delete those left unused."""
        if workflow_ids:
            self._ensure_known()
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
                    self._delete(wf)

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

    def _create(self, policy: str, targets: tuple[Target, ...]) -> _Workflow:
        body = workflow_body(policy, targets, self.directory)
        wanted = frozenset(target_key(t) for t in targets)
        path = f"/api/0/organizations/{self.org}/workflows/"
        for attempt in range(self._creates.attempts):
            try:
                resp = self.client.post(path, body, bucket="workflows.create",
                                        what=f"creating alert (workflow) {body['name']!r}")
                raw, parsed, _ = parse_workflow(resp.body, self.directory)
                return _Workflow.from_raw(raw, policy, parsed)
            except UncertainWriteError as exc:
                if attempt == self._creates.attempts - 1:
                    raise
                give_up = time.monotonic() + (
                    self._creates.slow_answer_wait if exc.still_running else 0.0)
                time.sleep(self.uncertain_settle * (attempt + 1))
                while True:
                    found = self._find(body["name"], wanted)
                    if found is not None:
                        return found
                    if time.monotonic() >= give_up:
                        break
                    time.sleep(max(self.uncertain_settle, 0.05) * 2)
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, name: str, wanted: frozenset) -> _Workflow | None:
        m = WORKFLOW_MARKER_RE.search(name)
        pages = self.client.paginate(f"/api/0/organizations/{self.org}/workflows/",
                                     {"query": m.group(2) if m else name,
                                      **project_scope(self.directory, None)},
                                     bucket="workflows.list",
                                     what="the alerts (workflows) matching a lost create")
        for page in pages:
            for raw in page:
                raw, targets, policy = parse_workflow(raw, self.directory)
                if raw.get("name") == name and \
                        frozenset(target_key(t) for t in targets) == wanted and policy:
                    return _Workflow.from_raw(raw, policy, targets)
        return None

    def _delete(self, wf: _Workflow) -> None:
        delete_if_present(self.client, f"/api/0/organizations/{self.org}/workflows/{wf.id}/",
                          bucket="workflows.delete",
                          what=f"deleting unused alert (workflow) {wf.name!r}")


__all__ = ["OurWorkflows", "TargetSetKey"]
