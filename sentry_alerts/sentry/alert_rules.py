"""The legacy backend: Sentry's metric alert rules (`/api/0/organizations/{org}/alert-rules/`).

Request shape: notes §2.1, §2.2 and the worked example §2.8. Echo normalisation: §2.5. The async
Slack lookup (202 + task polling): §3.3. Decisions (docs/sentry-api.md): exactly one project;
`inputChannelId` whenever the channel id is known; the warning trigger notifies the same targets
as the critical one; PUT always sends the full rule with trigger and action ids, so ids stay
stable and leaving a field out never clears it by accident.

A Slack channel named without its id is looked up once per run (`_SlackChannels`): the first
write that needs it goes through Sentry's asynchronous lookup, writes needing the same channel
wait for it, then send the id it found, so they are answered at once. 300 alerts to #ops-alerts
cost one lookup (one search through the workspace's channels on Sentry's side, under Slack's
rate limit), not 300.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from sentry_alerts import model
from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Alert, AlertSpec, EmailTarget, SlackTarget, Target
from sentry_alerts.sentry.backend import BackendName, DatasetChoice, LiveListing
from sentry_alerts.sentry.client import SentryClient
from sentry_alerts.sentry.common import (
    ChannelBook,
    RetrySafeCreate,
    collect_pages,
    delete_if_present,
    materialize,
    normalise_resolve,
    number,
    project_scope,
    target_key,
    target_key_text,
)
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.unmodelled import only_if as _only_if
from sentry_alerts.sentry.unmodelled import rule_unmodelled

EVENT_TYPES = {"spans": ["trace_item_span"], "metrics": ["transaction"],
               "transactions": ["transaction"]}

# Org features that tell which datasets new alert rules may use (notes §2.4, §6).
FEATURE_TRANSACTIONS_CLOSED = "discover-saved-queries-deprecation"
FEATURES_METRICS_ONLY = ("mep-rollout-flag", "dynamic-sampling")


def choose_dataset_from_features(requested: str, features: frozenset[str] | None,
                                 api: str) -> DatasetChoice:
    if requested != "auto":
        return DatasetChoice(requested, f"the policy asks for {requested}")
    if features is None:
        return DatasetChoice("spans", f"auto: {api} — this Sentry does not list its org "
                                      "features, and spans are what current Sentry accepts")
    if FEATURE_TRANSACTIONS_CLOSED in features:
        return DatasetChoice("spans", f"auto: {api} — the org has "
                                      f"{FEATURE_TRANSACTIONS_CLOSED}, so only span-based "
                                      "alerts can be created")
    return DatasetChoice("spans", f"auto: {api} — spans (events_analytics_platform) are "
                                  "accepted by this Sentry and are Sentry's recommended dataset")


class SlackLookupError(SentryAPIError):
    """Sentry's asynchronous Slack lookup failed, or did not finish in time; `reason` is
    Sentry's (or the deadline's) in a few words."""

    reason = ""


class _SlackChannels:
    """Who looks up which Slack channel in this run: one write per channel at a time (a lock
    per channel), the others wait and then use the id it learnt (ChannelBook) or its failure."""

    def __init__(self, book: ChannelBook) -> None:
        self.book = book
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._failed: dict[tuple[str, str], str] = {}  # channel -> the alert and reason
        self._guard = threading.Lock()

    @staticmethod
    def key(target: SlackTarget) -> tuple[str, str]:
        return (target.workspace or "").lower(), target.channel.lower()

    @contextlib.contextmanager
    def resolved(self, alert: Alert) -> Iterator[Alert]:
        """The alert with the ids this run knows for its Slack channels; the channels still
        unknown stay locked until the write that looks them up is done."""
        unknown = sorted({self.key(t) for t in alert.targets
                          if isinstance(t, SlackTarget) and not t.channel_id})
        with self._guard:
            locks = [self._locks.setdefault(k, threading.Lock()) for k in unknown]
        with contextlib.ExitStack() as held:
            for lock in locks:  # in key order: two alerts never wait for each other
                held.enter_context(lock)
            for k in unknown:
                if k in self._failed:
                    raise SentryAlertsError(
                        f"not sent: Slack channel {k[1]} could not be looked up earlier in this "
                        f"run ({self._failed[k]}), and each lookup searches the whole "
                        f"workspace; check that {k[1]} exists and that Sentry's Slack app is in "
                        "it, or give the channel id (`channel_id:`) in the policy, then apply "
                        "again.")
            filled = self.fill(alert)
            try:
                yield filled
            except SlackLookupError as exc:
                for t in filled.targets:
                    if isinstance(t, SlackTarget) and not t.channel_id:
                        self._failed[self.key(t)] = f"for alert {alert.name!r}: {exc.reason}"
                raise

    def fill(self, alert: Alert) -> Alert:
        targets = []
        for t in alert.targets:
            seen = self.book.find(t.workspace, t.channel) \
                if isinstance(t, SlackTarget) and not t.channel_id else None
            targets.append(SlackTarget(t.channel, seen.channel_id, t.workspace)
                           if seen is not None else t)
        return replace(alert, targets=model.sort_targets(targets))


class AlertRulesBackend:
    name: BackendName = "alert-rules"

    def __init__(self, client: SentryClient, org: str, *, directory: Directory | None = None,
                 features: frozenset[str] | None = None, task_deadline: float = 300.0,
                 poll_interval: float = 1.0, progress: Callable[[str], None] | None = None,
                 uncertain_settle: float = 1.0) -> None:
        self.client = client
        self.org = org
        self.directory = directory or Directory(client, org)
        self.features = features
        self.task_deadline = task_deadline
        self.poll_interval = poll_interval
        self.progress = progress or (lambda message: None)
        self.channels = ChannelBook()
        self._slack = _SlackChannels(self.channels)
        self._creates = RetrySafeCreate(self.list_alerts, settle=uncertain_settle,
                                        slow_answer_wait=2 * client.timeout)

    # -- dataset --

    def choose_dataset(self, requested: str) -> DatasetChoice:
        return choose_dataset_from_features(requested, self.features, "alert rules")

    # -- reading --

    def _path(self, rule_id: str | None = None) -> str:
        base = f"/api/0/organizations/{self.org}/alert-rules/"
        return f"{base}{rule_id}/" if rule_id else base

    def list_alerts(self, projects: Sequence[str] | None = None) -> LiveListing:
        pages = self.client.paginate(self._path(), project_scope(self.directory, projects),
                                     bucket="alert_rules.list",
                                     what=f"the list of alert rules of {self.org}")
        items, complete, problems = collect_pages(pages, "the list of alert rules")
        alerts = [self.parse(rule) for rule in items if isinstance(rule, dict)]
        for a in alerts:
            self.channels.learn(a.targets)
        return LiveListing(alerts, complete, problems)

    def parse(self, rule: dict[str, Any]) -> Alert:
        """Sentry's rule JSON -> a neutral, normalised Alert (policy terms)."""
        triggers = sorted(rule.get("triggers") or [],
                          key=lambda t: 0 if t.get("label") == "critical" else 1)
        by_label = {t.get("label"): t for t in triggers}
        critical = number((by_label.get("critical") or {}).get("alertThreshold"))
        warning = number((by_label.get("warning") or {}).get("alertThreshold"))
        targets: dict[tuple[str, ...], Target] = {}
        extra_triggers: dict[str, Any] = {}
        for trig in triggers:
            action_ids: dict[str, str] = {}
            for action in trig.get("actions") or []:
                target = self._target_from_action(action)
                if target is None:
                    continue
                targets.setdefault(target_key(target), target)
                if action.get("id") is not None:
                    action_ids[target_key_text(target)] = str(action["id"])
            extra_triggers[str(trig.get("label"))] = {"id": trig.get("id"), "actions": action_ids}
        projects = rule.get("projects") or []
        dataset_api = str(rule.get("dataset") or "")
        description = rule.get("description") or ""
        return Alert(
            name=str(rule.get("name") or ""),
            project=str(projects[0]) if projects else None,
            environment=rule.get("environment") or None,
            dataset=model.DATASET_FROM_API.get(dataset_api, dataset_api),
            aggregate=str(rule.get("aggregate") or ""),
            query=str(rule.get("query") or ""),
            window_minutes=number(rule.get("timeWindow")) or 0,
            critical_ms=critical,
            warning_ms=warning,
            resolve_ms=normalise_resolve(critical, warning, rule.get("resolveThreshold")),
            targets=model.sort_targets(list(targets.values())),
            owner=self.directory.owner_from_ref(rule.get("owner")),
            description=description,
            marker=model.Marker.find(description),
            remote_id=str(rule.get("id")) if rule.get("id") is not None else None,
            version=rule.get("dateModified") or None,
            extra={"triggers": extra_triggers, "project": projects[0] if projects else None,
                   "resolve_set": rule.get("resolveThreshold") is not None,
                   **_only_if(unmodelled=rule_unmodelled(rule, self._target_from_action))},
        )

    def _target_from_action(self, action: dict[str, Any]) -> Target | None:
        kind = action.get("type")
        if kind == "slack":
            name = str(action.get("targetIdentifier") or "")
            channel_id = action.get("inputChannelId") or None
            if not name:  # only an id: show it rather than nothing
                name = str(channel_id or "")
            return SlackTarget(name, str(channel_id) if channel_id else None,
                               self.directory.workspace_name(action.get("integrationId")))
        if kind == "email":
            ident = action.get("targetIdentifier")
            if action.get("targetType") == "team":
                return EmailTarget("team", self.directory.team_slug(ident) or str(ident))
            if action.get("targetType") == "user":
                return EmailTarget("user", self.directory.user_email(ident) or str(ident))
        return None

    # -- desired --

    def materialize(self, spec: AlertSpec, dataset: str) -> Alert:
        return materialize(spec, dataset, self.directory, self.channels)

    # -- writing --

    def body(self, alert: Alert) -> dict[str, Any]:
        """The full rule JSON for POST and PUT (PUT also carries trigger and action ids)."""
        if alert.project is None:
            raise SentryAPIError(f"alert {alert.name!r} has no project; set `project` in the "
                                 "policy.")
        dataset = alert.dataset if alert.dataset in model.API_DATASET else "spans"
        triggers_extra = (alert.extra or {}).get("triggers") or {}
        triggers: list[dict[str, Any]] = []
        for label, threshold in (("critical", alert.critical_ms), ("warning", alert.warning_ms)):
            if threshold is None:
                continue
            previous = triggers_extra.get(label) or {}
            action_ids = previous.get("actions") or {}
            actions = []
            for target in alert.targets:
                action = self._action(target)
                if target_key_text(target) in action_ids:
                    action["id"] = action_ids[target_key_text(target)]
                actions.append(action)
            trigger: dict[str, Any] = {"label": label, "alertThreshold": threshold,
                                       "actions": actions}
            if previous.get("id") is not None:
                trigger["id"] = str(previous["id"])
            triggers.append(trigger)
        body: dict[str, Any] = {
            "name": alert.name,
            "projects": [alert.project],
            "environment": alert.environment,
            "dataset": model.API_DATASET[dataset],
            "queryType": 1,
            "eventTypes": EVENT_TYPES[dataset],
            "aggregate": alert.aggregate,
            "query": alert.query,
            "timeWindow": int(alert.window_minutes),
            "thresholdType": 0,
            "triggers": triggers,
            "owner": self.directory.owner_ref(alert.owner),
            "description": alert.description,
        }
        if alert.resolve_ms is not None:
            body["resolveThreshold"] = alert.resolve_ms
        elif (alert.extra or {}).get("resolve_set"):
            # Clearing a resolve threshold needs an explicit null on PUT (notes §2.7); a POST
            # leaves it out (null is the default, and the schema does not allow null).
            body["resolveThreshold"] = None
        return body

    def _action(self, target: Target) -> dict[str, Any]:
        if isinstance(target, SlackTarget):
            workspace = self.directory.slack_workspace(target.workspace)
            action: dict[str, Any] = {"type": "slack", "targetType": "specific",
                                      "targetIdentifier": target.channel,
                                      "integrationId": int(workspace.integration_id)}
            if target.channel_id:
                action["inputChannelId"] = target.channel_id
            return action
        if target.to == "team":
            return {"type": "email", "targetType": "team",
                    "targetIdentifier": self.directory.team_id(target.name)}
        return {"type": "email", "targetType": "user",
                "targetIdentifier": self.directory.user_id(target.name)}

    def create(self, alert: Alert) -> Alert:
        with self._slack.resolved(alert) as alert:
            body = self.body(replace(alert, extra={}))

            def once() -> Alert:
                resp = self.client.post(self._path(), body, bucket="alert_rules.create",
                                        what=f"creating alert rule {alert.name!r}")
                return self._finish(resp.status, resp.body, alert)

            # A lost answer to a POST that started a Slack lookup (202): the rule appears only
            # when the lookup ends, so look for it longer before sending the POST again.
            waits_for_slack = any(isinstance(t, SlackTarget) and not t.channel_id
                                  for t in alert.targets)
            patience = min(self.task_deadline, 30.0) if waits_for_slack else 0.0
            return self._learned(self._creates.run(alert, once, patience=patience))

    def update(self, alert: Alert) -> Alert:
        if not alert.remote_id:
            raise SentryAPIError(f"cannot update alert {alert.name!r}: it has no Sentry id.")
        with self._slack.resolved(alert) as alert:
            resp = self.client.put(self._path(alert.remote_id), self.body(alert),
                                   bucket="alert_rules.update",
                                   what=f"updating alert rule {alert.name!r} "
                                        f"(id {alert.remote_id})")
            return self._learned(self._finish(resp.status, resp.body, alert))

    def delete(self, alert: Alert) -> None:
        if not alert.remote_id:
            return
        delete_if_present(self.client, self._path(alert.remote_id), bucket="alert_rules.delete",
                          what=f"deleting alert rule {alert.name!r} (id {alert.remote_id})")

    def _learned(self, live: Alert) -> Alert:
        self.channels.learn(live.targets)
        return live

    # -- the 202 path --

    def _finish(self, status: int, body: Any, alert: Alert) -> Alert:
        if status == 202 and isinstance(body, dict) and body.get("uuid"):
            return self.parse(self._wait_for_task(str(body["uuid"]), alert))
        if not isinstance(body, dict):
            raise SentryAPIError(f"Sentry answered {status} for alert {alert.name!r} without the "
                                 "rule; run plan again to see its state.", status=status)
        return self.parse(body)

    def _wait_for_task(self, uuid: str, alert: Alert) -> dict[str, Any]:
        path = f"/api/0/projects/{self.org}/{alert.project}/alert-rule-task/{uuid}/"
        channels = ", ".join(t.channel for t in alert.targets
                             if isinstance(t, SlackTarget) and not t.channel_id) or "Slack"
        start = time.monotonic()
        interval = self.poll_interval
        while True:
            elapsed = time.monotonic() - start
            self.progress(f"waiting for Sentry to find Slack channel {channels} for alert "
                          f"{alert.name!r} ({elapsed:.0f}s of at most {self.task_deadline:.0f}s)")
            task = self.client.get(path, bucket="alert_rules.task",
                                   what=f"the Slack lookup of alert {alert.name!r}")
            status = (task or {}).get("status") if isinstance(task, dict) else None
            if status == "success":
                rule = task.get("alertRule")
                if isinstance(rule, dict):
                    return rule
                raise SentryAPIError(
                    f"Sentry finished the Slack lookup of alert {alert.name!r} but returned no "
                    "rule; run plan again to see whether it exists.")
            if status == "failed":
                reason = task.get("error") or "no reason given"
                failed = SlackLookupError(
                    f"Sentry could not save alert {alert.name!r} because its Slack lookup "
                    f"failed: \"{reason}\"; check that {channels} exists in the workspace and "
                    "that Sentry's Slack app is in the channel, or give the channel id "
                    "(`channel_id:`) in the policy.", call=f"GET {path}", body=task)
                failed.reason = f'"{reason}"'
                raise failed
            if time.monotonic() - start + interval > self.task_deadline:
                late = SlackLookupError(
                    f"Sentry was still looking up Slack channel {channels} for alert "
                    f"{alert.name!r} after {self.task_deadline:.0f}s; the alert may still "
                    "appear: run plan again later, or give the channel id (`channel_id:`) in "
                    "the policy so no lookup is needed.", call=f"GET {path}")
                late.reason = f"still pending after {self.task_deadline:.0f}s"
                raise late
            time.sleep(interval)
            interval = min(interval * 1.5, 10.0)
