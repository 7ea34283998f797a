"""The diff: which alerts and fields differ between a policy's desired alerts and the live
ones, in the policy's terms. Pure: no I/O, unit-tested directly (tests/test_plan.py).

    field_changes(desired, live) -> FieldChange[]     (one alert: which compared fields differ)
    diff_alerts(policy, desired, live) -> Change[]     (all alerts: matched, what to do with each)

Matching rules (the ownership model):
- A live alert belongs to this policy when its description carries this policy's marker; it is
  matched to the desired alert with the same key (create / update / unchanged).
- A desired alert with no managed match but an *unmanaged* live alert of the same name is a
  conflict; with `adopt=True` it becomes an update that writes the marker (takes it over).
- A same-name alert managed by *another* policy is a conflict that `adopt` never resolves.
- A managed alert whose key left the policy is an orphan: reported, kept.
- With `prune=True` (`--prune`), orphans and duplicates become deletes instead, but only after
  a complete listing of live alerts (issue 5; `_pruned`).
- Two live alerts with the same marker: the one that best matches is managed, each other one is
  a duplicate: reported, kept (deleting is pruning's job).
Unmarked alerts and other policies' alerts are never changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sentry_alerts.model import (
    COMPARED_FIELDS,
    THRESHOLDS_LINE,
    Alert,
    EmailTarget,
    SlackTarget,
    Target,
    format_ms,
    format_targets,
    format_window,
    same_query,
)
from sentry_alerts.plan_data import Change, FieldChange

# --- comparing alerts -------------------------------------------------------------------------


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    # Echoes come back as floats converted from seconds; 750 and 750.0000001 are the same.
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def _target_sort_key(t: Target) -> tuple[str, ...]:
    if isinstance(t, SlackTarget):
        return ("slack", t.channel.lower())
    return ("email", t.to, t.name.lower())


def _same_target(desired: Target, live: Target) -> bool:
    if isinstance(desired, SlackTarget) and isinstance(live, SlackTarget):
        if desired.channel.lower() != live.channel.lower():
            return False
        # An id or workspace the policy leaves out is "whatever Sentry resolved": not a change.
        if desired.channel_id and live.channel_id and desired.channel_id != live.channel_id:
            return False
        return not (desired.workspace and live.workspace
                    and desired.workspace.lower() != live.workspace.lower())
    if isinstance(desired, EmailTarget) and isinstance(live, EmailTarget):
        return desired.to == live.to and desired.name.lower() == live.name.lower()
    return False


def _same_targets(desired: Sequence[Target], live: Sequence[Target]) -> bool:
    if len(desired) != len(live):
        return False
    pairs = zip(sorted(desired, key=_target_sort_key), sorted(live, key=_target_sort_key),
                strict=True)
    return all(_same_target(d, w) for d, w in pairs)


_NUMBER_FIELDS = frozenset({"window_minutes", "critical_ms", "warning_ms", "resolve_ms"})


def _same_value(name: str, desired: Any, live: Any) -> bool:
    if name in _NUMBER_FIELDS:
        return _same_number(desired, live)
    if name == "targets":
        return _same_targets(tuple(desired or ()), tuple(live or ()))
    if name == "query":  # `transaction:/x` typed in Sentry's UI is `transaction:"/x"`
        return same_query(str(desired or ""), str(live or ""))
    if isinstance(desired, str) and isinstance(live, str):
        # Sentry trims text it stores; surrounding whitespace is never a real change.
        return desired.strip() == live.strip()
    return desired == live


# How each compared field is called in the policy's terms (renderers and outcome messages).
FIELD_LABELS: dict[str, str] = {
    "name": "name",
    "project": "project",
    "environment": "environment",
    "dataset": "dataset",
    "aggregate": "aggregate",
    "query": "query",
    "window_minutes": "window",
    "critical_ms": "critical",
    "warning_ms": "warning",
    "resolve_ms": "resolve",
    "targets": "notify",
    "owner": "owner",
    "description": "description",
    "enabled": "enabled",
}


def format_field(name: str, value: Any) -> str:
    """A compared field's value in the policy's terms, for people and for saved plans."""
    if name == "window_minutes":
        return "none" if value is None else format_window(value)
    if name in ("critical_ms", "warning_ms", "resolve_ms"):
        return format_ms(value)
    if name == "targets":
        return format_targets(tuple(value or ()))
    if name == "enabled":
        return "yes" if value else "no (turned off in Sentry)"
    if name == "environment" and not value:
        return "all environments"  # what Sentry does with none, and what its UI says
    if value is None or value == "":
        return "none"
    return str(value)


# The fields the description's thresholds line repeats (model.describe_thresholds).
_IN_THRESHOLDS_LINE = frozenset({"aggregate", "window_minutes", "critical_ms", "warning_ms",
                                 "resolve_ms"})


def field_changes(desired: Alert, live: Alert) -> tuple[FieldChange, ...]:
    """The compared fields whose values differ, in COMPARED_FIELDS order.

    The description repeats the thresholds (`Fires when p95 > 750 ms over 5m.`): when that line
    is all that differs in it and the threshold itself is listed as a change, the description
    is not listed again (200 threshold changes are 200 changed values, not 400). apply still
    writes the whole desired alert, description included."""
    out = []
    for name in COMPARED_FIELDS:
        new, old = getattr(desired, name), getattr(live, name)
        # Equal values are the same in every field's terms: only differences need a closer look.
        if new != old and not _same_value(name, new, old):
            out.append(FieldChange(name, format_field(name, old), format_field(name, new)))
    if any(f.field in _IN_THRESHOLDS_LINE for f in out) and \
            _only_thresholds_line_differs(desired.description, live.description):
        out = [f for f in out if f.field != "description"]
    return tuple(out)


def _only_thresholds_line_differs(new: str, old: str) -> bool:
    def rest(text: str) -> list[str]:
        return [line.strip() for line in (text or "").strip().splitlines()
                if not line.startswith(THRESHOLDS_LINE)]

    return rest(new) == rest(old)


# --- matching desired and live ----------------------------------------------------------------


def _id_order(alert: Alert) -> tuple[int, int, str]:
    """Oldest first: numeric ids in numeric order, then anything else by text."""
    rid = alert.remote_id or ""
    return (0, int(rid), "") if rid.isdigit() else (1, 0, rid)


def _norm_name(name: str) -> str:
    return name.strip()


def _describe_ids(alerts: Iterable[Alert]) -> str:
    return ", ".join(f"id {a.remote_id}" for a in alerts if a.remote_id) or "no id"


def diff_alerts(policy_name: str, desired: Sequence[Alert], live: Sequence[Alert], *,
                adopt: bool = False, prune: bool = False,
                other_api: Sequence[Alert] = ()) -> tuple[Change, ...]:
    """Match desired alerts (from the policy) with live ones and say what to do with each.

    Pure: no I/O. Desired alerts must carry their marker (`desired_alert` sets it). The result
    lists the desired alerts' changes in policy order, then orphans and duplicates by key.
    `other_api`: this org's alerts in the other Sentry API (legacy rules, when planning
    monitors); a create whose key is there replaces that alert instead of adding a second one.
    """
    in_other_api = {a.marker.key: a for a in sorted(other_api, key=_id_order)
                    if a.marker is not None and a.marker.policy == policy_name}
    managed: dict[str, list[Alert]] = {}
    unmanaged_by_name: dict[str, list[Alert]] = {}
    foreign_by_name: dict[str, list[Alert]] = {}
    for alert in sorted(live, key=_id_order):
        if alert.marker is None:
            unmanaged_by_name.setdefault(_norm_name(alert.name), []).append(alert)
        elif alert.marker.policy == policy_name:
            managed.setdefault(alert.marker.key, []).append(alert)
        else:
            foreign_by_name.setdefault(_norm_name(alert.name), []).append(alert)

    changes: list[Change] = []
    extras: list[Change] = []
    taken: set[str] = set()  # remote ids already matched (an alert is adopted at most once)
    for want in desired:
        if want.marker is None:
            raise ValueError(f"desired alert {want.name!r} has no marker")
        key = want.marker.key
        candidates = managed.pop(key, [])
        if candidates:
            # Copies of one key (two applies at once): the oldest is managed, the younger
            # copies are deleted (apply_copies.py says why the oldest: every run agrees on it).
            primary = candidates[0]
            changes.append(_compare(key, want, primary, field_changes(want, primary)))
            for other in candidates[1:]:
                extras.append(Change(
                    "delete", key, other.name, live=other,
                    note=(f"a second live alert carries this policy's marker for key {key} "
                          f"(id {other.remote_id}; two applies at once?): apply deletes this "
                          f"younger copy and keeps the oldest, id {primary.remote_id}.")))
            continue

        name = _norm_name(want.name)
        same_name = [a for a in unmanaged_by_name.get(name, []) if a.remote_id not in taken]
        foreign = foreign_by_name.get(name, [])
        if foreign:
            owner = foreign[0].marker
            assert owner is not None
            changes.append(Change(
                "conflict", key, want.name, desired=want, live=foreign[0],
                note=(f"an alert with this name is managed by policy {owner.policy} "
                      f"(key {owner.key}, {_describe_ids(foreign)}); rename the alert in one of "
                      "the two policies.")))
        elif len(same_name) == 1 and adopt:
            target = same_name[0]
            taken.add(target.remote_id or "")
            adopted = _compare(key, want, target, field_changes(want, target), force_update=True)
            changes.append(replace(adopted, note=" ".join(filter(None, (
                f"adopts the existing alert id {target.remote_id}, made outside "
                "sentry-alerts: writes the ownership marker into its description.",
                target.takeover)))))
        elif same_name:
            if len(same_name) > 1:
                hint = "delete or rename all but one in Sentry, then use --adopt"
            else:
                hint = "use --adopt to take it over, or rename it in the policy or in Sentry"
            changes.append(Change(
                "conflict", key, want.name, desired=want, live=same_name[0],
                note=(("an alert with this name exists" if len(same_name) == 1 else
                       f"{len(same_name)} alerts with this name exist")
                      + f" but sentry-alerts does not manage it ({_describe_ids(same_name)}); "
                      f"{hint}.")))
        elif key in in_other_api:
            old = in_other_api[key]
            changes.append(Change(
                "create", key, want.name,
                desired=replace(want, extra={**want.extra, "replaces_legacy_rule": old.remote_id}),
                note=(f"replaces the legacy alert rule id {old.remote_id}, which this policy made "
                      "through the legacy API: apply creates the monitor, then deletes that rule, "
                      "so the alert exists once.")))
        else:
            changes.append(Change("create", key, want.name, desired=want))

    for key in sorted(managed):
        for orphan in managed[key]:
            extras.append(Change(
                "orphan", key, orphan.name, live=orphan,
                note=(f"managed by this policy (key {key}) but no longer in it; kept. "
                      "--prune deletes it; or put the key back in the policy.")))
    if prune:
        extras = [_pruned(c, policy_name) for c in extras]
    extras.sort(key=lambda c: (c.key, c.action, _id_order(c.live) if c.live else (0, 0, "")))
    return tuple(changes + extras)


def _pruned(change: Change, policy_name: str) -> Change:
    """--prune (issue 5): an orphan or a duplicate becomes a delete. Both only ever hold alerts
    carrying this policy's marker; checked again here, because a delete cannot be undone."""
    live = change.live
    if (change.action not in ("orphan", "duplicate") or live is None or live.marker is None
            or live.marker.policy != policy_name):
        return change
    if change.action == "orphan":
        note = (f"managed by this policy (key {change.key}) but no longer in it; --prune "
                "deletes it.")
    else:
        note = (f"a second live alert with this policy's marker for key {change.key} "
                f"(id {live.remote_id}); --prune deletes this copy, the managed one stays.")
    return replace(change, action="delete", note=note)


def _compare(key: str, want: Alert, live: Alert, diffs: tuple[FieldChange, ...], *,
             force_update: bool = False) -> Change:
    if live.takeover:  # Sentry-made delivery to replace: an update even with equal fields
        return Change("update", key, want.name, desired=want, live=live, fields=diffs,
                      note=live.takeover)
    if diffs or force_update:
        return Change("update", key, want.name, desired=want, live=live, fields=diffs)
    return Change("unchanged", key, want.name, desired=want, live=live)


__all__ = ["FIELD_LABELS", "diff_alerts", "field_changes", "format_field"]
