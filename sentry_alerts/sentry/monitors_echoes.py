"""What the monitors backend reads from Sentry: detectors and workflows as Sentry serves them,
normalised into the neutral `Alert` (floats, `#` prefixes, ids, nulls, defaults, order), so
that apply followed by plan shows no changes. Shapes: notes §5, docs/sentry-api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sentry_alerts import model
from sentry_alerts.model import Alert, EmailTarget, SlackTarget, Target
from sentry_alerts.sentry.common import normalise_resolve, number, version_of
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.migrated import is_migrated_workflow
from sentry_alerts.sentry.monitors_bodies import (
    PRIORITY_HIGH,
    PRIORITY_MEDIUM,
    PRIORITY_RESOLVED,
    WORKFLOW_MARKER_RE,
)
from sentry_alerts.sentry.unmodelled import (
    detector_unmodelled,
    only_if,
    skipped_actions,
    workflow_actions,
)

ROLE_OF_PRIORITY = {PRIORITY_HIGH: "critical", PRIORITY_MEDIUM: "warning",
                    PRIORITY_RESOLVED: "resolve"}

# A workflow as listed: its JSON, its targets, and the policy that owns it (None: not ours).
LinkedWorkflow = tuple[dict, tuple[Target, ...], str | None]


def parse_workflow(raw: dict, directory: Directory) -> LinkedWorkflow:
    """A workflow as Sentry serves it: its JSON, its targets (sorted), and the policy whose
    marker its name carries (None: not ours)."""
    targets: list[Target] = []
    for group in [raw.get("triggers") or {}, *(raw.get("actionFilters") or [])]:
        for action in (group or {}).get("actions") or []:
            target = target_from_action(action, directory)
            if target is not None:
                targets.append(target)
    m = WORKFLOW_MARKER_RE.search(str(raw.get("name") or ""))
    return raw, model.sort_targets(targets), m.group(1) if m else None


def target_from_action(action: dict[str, Any], directory: Directory) -> Target | None:
    config = action.get("config") or {}
    if action.get("type") == "slack":
        name = config.get("targetDisplay") or config.get("targetIdentifier") or ""
        channel_id = config.get("targetIdentifier") or None
        return SlackTarget(str(name), str(channel_id) if channel_id else None,
                           directory.workspace_name(action.get("integrationId")))
    if action.get("type") == "email":
        ident = config.get("targetIdentifier")
        if config.get("targetType") == "team":
            return EmailTarget("team", directory.team_slug(ident) or str(ident))
        if config.get("targetType") == "user":
            return EmailTarget("user", directory.user_email(ident) or str(ident))
    return None


def parse_detector(detector: dict[str, Any], linked: list[LinkedWorkflow],
                   directory: Directory,
                   notes_of: Callable[[dict], list[str]] | None = None) -> Alert:
    """A detector as Sentry serves it, with the workflows linked to it, as a live `Alert` in
    the policy's terms. `notes_of`: what each workflow holds beyond its targets
    (unmodelled.workflow_unmodelled), remembered by the listing: one workflow linked to
    10,000 monitors is read once, not once per monitor."""
    description = detector.get("description") or ""
    read_action = partial(target_from_action, directory=directory)
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
    # One workflow's targets are already sorted (parse_workflow): shared, not re-sorted.
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
        and not skipped_actions(workflow_actions(w[0]), read_action)]
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
        project=directory.project_slug(project_id) if project_id is not None else None,
        environment=query.get("environment") or None,
        dataset=model.DATASET_FROM_API.get(dataset_api, dataset_api),
        aggregate=str(query.get("aggregate") or ""),
        query=str(query.get("query") or ""),
        window_minutes=number(window_seconds / 60) or 0,
        critical_ms=critical,
        warning_ms=warning,
        resolve_ms=normalise_resolve(critical, warning, resolve),
        targets=targets,
        owner=directory.owner_from_ref(detector.get("owner")),
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
                                                        read_action, notes_of))},
    )

__all__ = ["ROLE_OF_PRIORITY", "LinkedWorkflow", "parse_detector", "parse_workflow",
           "target_from_action"]
