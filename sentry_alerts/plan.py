"""The plan: what must change in Sentry so that it matches a policy, as data.

    build_plan(policy, connection) -> Plan      (talks to Sentry: lists, looks up, materialises)
    diff_alerts(policy, desired, live) -> Changes  (pure: no I/O, unit-tested directly)

A `Plan` is frozen data. Renderers only read it, `apply.apply_plan` executes exactly it, and
`to_dict()`/`from_dict()` turn it into plain JSON-able data and back (saved plans, JSON output).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.gc_pause import paused_gc
from sentry_alerts.model import (
    COMPARED_FIELDS,
    THRESHOLDS_LINE,
    Alert,
    EmailTarget,
    Marker,
    SlackTarget,
    Target,
    format_ms,
    format_targets,
    format_window,
    same_query,
)

if TYPE_CHECKING:  # imported for types only: plan.py must not need requests at import time
    from sentry_alerts.sentry.backend import Backend

# Bump when a saved plan's shape changes incompatibly; `from_dict` refuses other versions.
PLAN_FORMAT_VERSION = 1

Action = Literal["create", "update", "delete", "unchanged", "conflict", "orphan", "duplicate"]
ACTIONS: tuple[str, ...] = ("create", "update", "delete", "unchanged", "conflict", "orphan",
                            "duplicate")
# What apply sends to Sentry. "delete" only appears in plans made with pruning (issue 5).
EXECUTED_ACTIONS: frozenset[str] = frozenset({"create", "update", "delete"})
# What makes the live state differ from the policy (plan --detailed-exitcode exits 2).
# Orphans and duplicates are kept on purpose, so they are not pending changes.
PENDING_ACTIONS: frozenset[str] = EXECUTED_ACTIONS | {"conflict"}


@dataclass(frozen=True)
class FieldChange:
    """One compared field that differs, old (live) and new (desired) in the policy's terms."""

    field: str  # an `Alert` field name from COMPARED_FIELDS, e.g. "critical_ms"
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    """What the plan says about one alert."""

    action: Action
    key: str  # the policy key (desired key, or the orphan's/duplicate's marker key)
    name: str  # the alert name people see in Sentry
    desired: Alert | None = None  # what the policy asks for (None for orphans/duplicates/deletes)
    live: Alert | None = None  # the live alert it was matched with (None for creates)
    fields: tuple[FieldChange, ...] = ()  # updates: what changes; creates: empty
    note: str = ""  # one sentence for people: why this action (conflicts, adoption, orphans)

    @property
    def remote_id(self) -> str | None:
        return self.live.remote_id if self.live else None


@dataclass(frozen=True)
class Plan:
    format_version: int
    policy_name: str
    policy_path: str
    policy_hash: str
    org: str
    url: str
    backend: str
    backend_reason: str
    dataset: str
    dataset_reason: str
    created_at: str  # ISO-8601 UTC
    listing_complete: bool
    changes: tuple[Change, ...]
    listing_problems: tuple[str, ...] = ()
    adopt: bool = False
    # Made with --prune: orphans and duplicates are deletes, but only when the listing was
    # complete (else they stay orphans and the views say pruning was skipped).
    prune: bool = False

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def summary(self) -> dict[str, int]:
        """Counts per action, every action present (zeros included), in ACTIONS order."""
        return {action: self.count(action) for action in ACTIONS}

    def of(self, *actions: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action in actions)

    @property
    def executable(self) -> tuple[Change, ...]:
        """The changes apply sends to Sentry, in plan order."""
        return self.of(*EXECUTED_ACTIONS)

    @property
    def has_changes(self) -> bool:
        """True when Sentry differs from the policy in a way the plan reports as pending."""
        return any(c.action in PENDING_ACTIONS for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, stable key order. Holds no token, only what the plan says."""
        return {
            "format_version": self.format_version,
            "policy": {"name": self.policy_name, "path": self.policy_path,
                       "content_hash": self.policy_hash},
            "target": {"org": self.org, "url": self.url},
            "backend": {"name": self.backend, "reason": self.backend_reason},
            "dataset": {"name": self.dataset, "reason": self.dataset_reason},
            "created_at": self.created_at,
            "listing": {"complete": self.listing_complete,
                        "problems": list(self.listing_problems)},
            "options": {"adopt": self.adopt, "prune": self.prune},
            "summary": self.summary(),
            "changes": [change_to_dict(c) for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The inverse of `to_dict`. Raises SentryAlertsError on another format version or a
        malformed plan (a saved plan is user input)."""
        try:
            version = data["format_version"]
            if version != PLAN_FORMAT_VERSION:
                raise SentryAlertsError(
                    f"this plan has format version {version!r}, but this sentry-alerts reads "
                    f"version {PLAN_FORMAT_VERSION} only; make the plan again with this version.")
            return cls(
                format_version=version,
                policy_name=data["policy"]["name"],
                policy_path=data["policy"]["path"],
                policy_hash=data["policy"]["content_hash"],
                org=data["target"]["org"],
                url=data["target"]["url"],
                backend=data["backend"]["name"],
                backend_reason=data["backend"]["reason"],
                dataset=data["dataset"]["name"],
                dataset_reason=data["dataset"]["reason"],
                created_at=data["created_at"],
                listing_complete=bool(data["listing"]["complete"]),
                listing_problems=tuple(data["listing"].get("problems") or ()),
                adopt=bool(data.get("options", {}).get("adopt", False)),
                prune=bool(data.get("options", {}).get("prune", False)),
                changes=tuple(change_from_dict(c) for c in data["changes"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SentryAlertsError(
                f"this is not a valid sentry-alerts plan ({type(exc).__name__}: {exc}); make the "
                "plan again with `sentry-alerts plan`.") from None


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


# --- building a plan against Sentry -----------------------------------------------------------


def build_plan(policy: Any, connection: Any, *, policy_path: str, adopt: bool = False,
               prune: bool = False, now: datetime | None = None) -> Plan:
    """Plan `policy` (a `policy.Policy`) against the live alerts of `connection`
    (a `sentry.connect.Connection`: `.backend`, `.backend_reason`, `.org`, `.url`).

    Order matters: every project, environment, team, member and Slack workspace the policy
    names is checked first (nothing is proposed for a project that does not exist); the
    listing comes before `materialize`, because backends learn lookups (e.g. Slack channel
    ids) from existing alerts.
    """
    from sentry_alerts.sentry.references import check_references

    # Environments are checked below, only for what will be created or moved (one request per
    # project): a plan with nothing to create stays within its request budget.
    check_references(policy.specs, connection.directory, environments_for=())
    backend: Backend = connection.backend
    if backend.name == "alert-rules":
        _require_targets(policy)
    choice = backend.choose_dataset(policy.dataset)
    from sentry_alerts.sentry.common import list_alerts_with_lookups

    # The policy's projects (a project the token cannot see is then a 403, not a silent gap);
    # pruning looks at every accessible project, so that nothing this policy made is missed.
    # The lookups the policy's alerts need load meanwhile.
    listing = list_alerts_with_lookups(backend, getattr(connection, "directory", None),
                                       policy.specs, None if prune else policy_projects(policy))
    desired = [backend.materialize(spec, choice.dataset) for spec in policy.specs]
    # Before proposing a create, look for the alert in the other API (a policy applied with
    # the legacy backend, on a server that now serves monitors too): only then, so a plan
    # with nothing to create costs no request more.
    managed = {a.marker.key for a in listing.alerts
               if a.marker is not None and a.marker.policy == policy.name}
    other_api: list[Alert] = []
    legacy_rules = getattr(backend, "legacy_rules", None)
    if legacy_rules is not None and any(
            d.marker is not None and d.marker.key not in managed for d in desired):
        other_api = legacy_rules(policy_projects(policy))
    # Never prune after an incomplete listing: a missing page may hold what makes others
    # look like orphans. The plan still says prune=True, so the views can say it was skipped.
    changes = diff_alerts(policy.name, desired, listing.alerts, adopt=adopt,
                          prune=prune and listing.complete, other_api=other_api)
    moving = {c.key for c in changes if c.action == "create" or (
        c.action == "update" and any(f.field == "environment" for f in c.fields))}
    if moving:
        check_references([s for s in policy.specs if s.key in moving], connection.directory)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    return Plan(
        format_version=PLAN_FORMAT_VERSION,
        policy_name=policy.name,
        policy_path=policy_path,
        policy_hash=policy.content_hash,
        org=connection.org,
        url=connection.url,
        backend=backend.name,
        backend_reason=connection.backend_reason,
        dataset=choice.dataset,
        dataset_reason=choice.reason,
        created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        listing_complete=listing.complete,
        listing_problems=tuple(listing.problems),
        adopt=adopt,
        prune=prune,
        changes=changes,
    )


@dataclass(frozen=True)
class PlannedPolicy:
    """What `plan_policy` gives the commands: the plan, and what made it (apply needs the
    connection's backend; the policy's warnings are shown)."""

    plan: Plan
    policy: Any  # policy.Policy
    connection: Any  # sentry.connect.Connection


def _require_targets(policy: Any) -> None:
    """The legacy API refuses a trigger without an action (Sentry's AlertRuleSerializer: "Each
    trigger must have an associated action for this alert to fire."): say so before sending."""
    silent = [spec for spec in policy.specs if not spec.targets]
    if not silent:
        return
    where = ", ".join(f"{s.transaction} ({s.source[0]}:{s.source[1]})" if s.source
                      else s.transaction for s in silent[:5])
    more = f" and {len(silent) - 5} more" if len(silent) > 5 else ""
    raise SentryAlertsError(
        f"{len(silent)} alert(s) of policy {policy.name} have no notify target: {where}{more}. "
        "Sentry's legacy alert rules API refuses an alert without one (\"Each trigger must have "
        "an associated action for this alert to fire.\"); add `notify:` to them or under "
        "`defaults` (`sentry-alerts validate --backend alert-rules` lists them). Nothing was "
        "sent.")


def policy_projects(policy: Any) -> list[str]:
    """The project slugs a policy's alerts live in."""
    return sorted({spec.project for spec in policy.specs if spec.project})


def resolve_org(org: str | None, policy: Any) -> str:
    """--org / SENTRY_ORG first, then the policy's `organization`; neither is an error."""
    chosen = (org or "").strip() or (policy.organization or "").strip()
    if not chosen:
        raise SentryAlertsError(
            f"no Sentry organization for policy {policy.path}: pass --org SLUG, set SENTRY_ORG, "
            "or add `organization: SLUG` to the policy.")
    return chosen


def plan_policy(path: str, *, token: str | None, url: str, org: str | None,
                backend: str = "auto", adopt: bool = False, insecure: bool = False,
                progress: Any = None, prune: bool = False,
                connect_options: Mapping[str, Any] | None = None) -> PlannedPolicy:
    """Load a policy file, connect to Sentry and plan: the shared first half of `plan` and
    `apply`. Raises PolicyError, AuthError (no token, 401, 403: the caller may fall back to a
    manual guide), or SentryAPIError. `connect_options` go to `connect` (timeouts, polling)."""
    from sentry_alerts.policy import load_policy
    from sentry_alerts.sentry.connect import connect

    policy = load_policy(path)
    connection = connect(url=url, token=token, org=resolve_org(org, policy), backend=backend,
                         insecure=insecure, progress=progress, projects=policy_projects(policy),
                         **dict(connect_options or {}))
    with paused_gc():  # tens of thousands of long-lived objects: see gc_pause.py
        plan = build_plan(policy, connection, policy_path=str(path), adopt=adopt, prune=prune)
    return PlannedPolicy(plan, policy, connection)


# --- plain data ---------------------------------------------------------------------------------


def encode_extra(value: Any) -> Any:
    """Backend-private data (`Alert.extra`) as JSON, reversibly: a saved plan must apply exactly
    as the plan it was made from, so tuples and non-string dict keys (e.g. action ids by target)
    survive the round trip (`{"__tuple__": [...]}`, `{"__map__": [[key, value], ...]}`)."""
    if isinstance(value, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode_extra(v) for k, v in value.items()}
        return {"__map__": [[encode_extra(k), encode_extra(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_extra(v) for v in value]}
    if isinstance(value, list):
        return [encode_extra(v) for v in value]
    if isinstance(value, set | frozenset):
        return [encode_extra(v) for v in sorted(value, key=repr)]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def decode_extra(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(decode_extra(v) for v in value["__tuple__"])
        if set(value) == {"__map__"}:
            return {decode_extra(k): decode_extra(v) for k, v in value["__map__"]}
        return {k: decode_extra(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_extra(v) for v in value]
    return value


def target_to_dict(target: Target) -> dict[str, Any]:
    if isinstance(target, SlackTarget):
        return {"kind": "slack", "channel": target.channel, "channel_id": target.channel_id,
                "workspace": target.workspace}
    return {"kind": "email", "to": target.to, "name": target.name}


def target_from_dict(data: Mapping[str, Any]) -> Target:
    if data["kind"] == "slack":
        return SlackTarget(data["channel"], data.get("channel_id"), data.get("workspace"))
    if data["kind"] == "email":
        return EmailTarget(data["to"], data["name"])
    raise ValueError(f"unknown target kind {data['kind']!r}")


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Alert):
        value = getattr(alert, f.name)
        if f.name == "targets":
            out[f.name] = [target_to_dict(t) for t in value]
        elif f.name == "marker":
            out[f.name] = {"policy": value.policy, "key": value.key} if value else None
        else:
            out[f.name] = encode_extra(value) if f.name == "extra" else value
    return out


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    values = dict(data)
    values["targets"] = tuple(target_from_dict(t) for t in values.get("targets") or ())
    marker = values.get("marker")
    values["marker"] = Marker(marker["policy"], marker["key"]) if marker else None
    values["extra"] = decode_extra(values.get("extra") or {})
    known = {f.name for f in fields(Alert)}
    return Alert(**{k: v for k, v in values.items() if k in known})


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "action": change.action,
        "key": change.key,
        "name": change.name,
        "note": change.note,
        "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in change.fields],
        "desired": alert_to_dict(change.desired) if change.desired else None,
        "live": alert_to_dict(change.live) if change.live else None,
    }


def change_from_dict(data: Mapping[str, Any]) -> Change:
    action = data["action"]
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return Change(
        action=action,
        key=data["key"],
        name=data["name"],
        note=data.get("note") or "",
        fields=tuple(FieldChange(f["field"], f["old"], f["new"]) for f in data.get("fields") or ()),
        desired=alert_from_dict(data["desired"]) if data.get("desired") else None,
        live=alert_from_dict(data["live"]) if data.get("live") else None,
    )


__all__ = [
    "ACTIONS", "EXECUTED_ACTIONS", "FIELD_LABELS", "PENDING_ACTIONS", "PLAN_FORMAT_VERSION", "Action", "Change",
    "FieldChange", "Plan", "PlannedPolicy", "build_plan", "plan_policy", "resolve_org", "diff_alerts", "field_changes", "format_field",
    "alert_to_dict", "alert_from_dict",
]
