"""The plan as data: its types, and their plain JSON-able form and back.

A `Plan` is frozen data: what must change in Sentry so that it matches a policy, one `Change`
per alert. Renderers only read it, `apply.apply_plan` executes exactly it, and
`Plan.to_dict()`/`Plan.from_dict()` turn it into plain data and back (saved plans, JSON
output; docs/plan-format.md). `diff.py` makes the changes, `plan.py` builds the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.model import Alert, EmailTarget, Marker, SlackTarget, Target

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


__all__ = ["ACTIONS", "EXECUTED_ACTIONS", "PENDING_ACTIONS", "PLAN_FORMAT_VERSION", "Action",
           "Change", "FieldChange", "Plan", "alert_from_dict", "alert_to_dict",
           "change_from_dict", "change_to_dict"]
