"""A saved plan's changes must be what its policy gives: `apply FILE` re-derives them.

A saved plan is a file anyone with write access to a CI workspace or an artifact store can
edit. Its policy hash proves the policy did not change, and `live_reasons` (saved_plan.py)
proves Sentry did not; this module proves the third thing: that the plan's changes are the
ones that policy, with the plan's own options (`--adopt`, `--prune`), gives against the live
alerts. So an edited threshold, target, query or window, a duplicated create, an update turned
into a delete, or an adoption pointed at another alert's id is refused, naming each difference,
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sentry_alerts.diff import diff_alerts
from sentry_alerts.model import Alert
from sentry_alerts.plan import desired_alerts, other_api_alerts
from sentry_alerts.plan_data import EXECUTED_ACTIONS, Change, Plan, alert_to_dict

# Fields of a desired alert named in a refusal, in the order people read them.
_SHOWN = ("critical_ms", "warning_ms", "resolve_ms", "statistic", "query", "window_minutes",
          "targets", "name", "environment", "project", "dataset", "description")


def as_the_plan_saw_them(plan: Plan, live: Sequence[Alert]) -> list[Alert]:
    """The live alerts as the plan saw them: the alerts it leaves alone (unchanged, orphans,
    conflicts) as recorded, even when edited or deleted since (such drift does not block a
    plan that does not touch them; the next plan shows it), the rest as listed now. The alerts
    the plan changes were just proved unchanged since (`live_reasons`)."""
    recorded = {c.live.remote_id: c.live for c in plan.changes
                if c.live is not None and c.live.remote_id and c.action not in EXECUTED_ACTIONS}
    now = [a for a in live if a.remote_id not in recorded]
    return now + list(recorded.values())


def expected_changes(plan: Plan, policy: Any, backend: Any,
                     live: Sequence[Alert]) -> tuple[Change, ...]:
    """The changes the plan's policy and options give against `live` (what `build_plan` does,
    without its reference checks, which the plan already passed)."""
    live = as_the_plan_saw_them(plan, live)
    desired = desired_alerts(policy, backend, plan.dataset)
    other_api = other_api_alerts(policy, backend, desired, live)
    return diff_alerts(policy.name, desired, live, adopt=plan.adopt, prune=plan.prune,
                       other_api=other_api)


def _identity(change: Change) -> tuple[str, str, str]:
    return change.action, change.key, change.remote_id or ""


def _differing_fields(saved: Alert | None, expected: Alert | None) -> list[str]:
    a = alert_to_dict(saved) if saved else {}
    b = alert_to_dict(expected) if expected else {}
    names = [f for f in _SHOWN if a.get(f) != b.get(f)]
    names += sorted(k for k in set(a) | set(b) if k not in _SHOWN and a.get(k) != b.get(k))
    return names


def tampered_reasons(plan: Plan, expected: Sequence[Change]) -> list[str]:
    """How the saved plan's executable changes differ from `expected` (empty: they do not)."""
    want = [c for c in expected if c.action in EXECUTED_ACTIONS]
    have = list(plan.executable)
    reasons: list[str] = []
    remaining = list(want)
    for change in have:
        match = next((c for c in remaining if _identity(c) == _identity(change)), None)
        label = f'{change.action} of "{change.name}" (key {change.key}' + (
            f", id {change.remote_id})" if change.remote_id else ")")
        if match is None:
            other = next((c for c in want if c.key == change.key), None)
            if any(_identity(c) == _identity(change) for c in want):
                reasons.append(f"the {label} appears more than once")
            elif other is None:
                reasons.append(f"the {label} is not a change the policy gives")
            else:
                article = "an" if other.action[0] in "aeiou" else "a"
                reasons.append(f"the {label} should be {article} {other.action}"
                               + (f" of id {other.remote_id}" if other.remote_id else ""))
            continue
        remaining.remove(match)
        differing = _differing_fields(change.desired, match.desired)
        if differing:
            reasons.append(f"the {label} has other values than the policy gives "
                           f"({', '.join(differing)})")
    for missing in remaining:
        reasons.append(f'the policy also gives a {missing.action} of "{missing.name}" '
                       f"(key {missing.key}), which the plan file lacks")
    return reasons
