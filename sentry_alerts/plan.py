"""The plan: what must change in Sentry so that it matches a policy.

    plan_policy(path, ...) -> PlannedPolicy    (load the policy, connect, build the plan)
    build_plan(policy, connection) -> Plan     (talks to Sentry: lists, looks up, materialises)

The module people import: it also offers the plan's types (`plan_data.py`) and the diff
(`diff.py`, pure: no I/O), which the plan is made of.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sentry_alerts.diff import FIELD_LABELS, diff_alerts, field_changes, format_field
from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.gc_pause import paused_gc
from sentry_alerts.model import Alert
from sentry_alerts.plan_data import (
    ACTIONS,
    EXECUTED_ACTIONS,
    PENDING_ACTIONS,
    PLAN_FORMAT_VERSION,
    Action,
    Change,
    FieldChange,
    Plan,
    alert_from_dict,
    alert_to_dict,
)

if TYPE_CHECKING:  # imported for types only: plan.py must not need requests at import time
    from sentry_alerts.sentry.backend import Backend


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
    desired = desired_alerts(policy, backend, choice.dataset)
    other_api = other_api_alerts(policy, backend, desired, listing.alerts)
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


def desired_alerts(policy: Any, backend: Backend, policy_dataset: str) -> list[Alert]:
    """Every alert the policy asks for, as `backend` would store it, each on its dataset.

    `policy_dataset` is the backend's choice for the policy's `dataset` (the plan header
    explains it). A transaction with its own `dataset:` has the backend choose that one by the
    same rules (`choose_dataset`, once per distinct value): its alert uses it, and the plan
    shows it per alert. Shared by `build_plan` and the saved-plan check (plan_integrity.py),
    so both derive the same alerts."""
    chosen = {policy.dataset: policy_dataset}
    desired = []
    for spec in policy.specs:
        requested = spec.dataset or policy.dataset
        if requested not in chosen:
            chosen[requested] = backend.choose_dataset(requested).dataset
        desired.append(backend.materialize(spec, chosen[requested]))
    return desired


@dataclass(frozen=True)
class PlannedPolicy:
    """What `plan_policy` gives the commands: the plan, and what made it (apply needs the
    connection's backend; the policy's warnings are shown)."""

    plan: Plan
    policy: Any  # policy.Policy
    connection: Any  # sentry.connect.Connection


def other_api_alerts(policy: Any, backend: Backend, desired: list[Alert],
                     live: Sequence[Alert]) -> list[Alert]:
    """The policy's alerts in the other API (a policy applied with the legacy backend, on a
    server that now serves monitors too), which a create would replace. Asked only when some
    desired alert is not live, so a plan with nothing to create costs no request more."""
    legacy_rules = getattr(backend, "legacy_rules", None)
    if legacy_rules is None:
        return []
    managed = {a.marker.key for a in live
               if a.marker is not None and a.marker.policy == policy.name}
    if not any(d.marker is not None and d.marker.key not in managed for d in desired):
        return []
    return legacy_rules(policy_projects(policy))


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


# The public names (the plan's types and the diff live in plan_data.py and diff.py).
__all__ = [
    "ACTIONS", "EXECUTED_ACTIONS", "FIELD_LABELS", "PENDING_ACTIONS", "PLAN_FORMAT_VERSION",
    "Action", "Change", "FieldChange", "Plan", "PlannedPolicy", "alert_from_dict",
    "alert_to_dict", "build_plan", "diff_alerts", "field_changes", "format_field",
    "plan_policy", "resolve_org",
]
