"""Deletes act only on a fresh, complete, consistent listing (issue 12).

The plan's listing may have missed an alert (one deleted during the listing pulls another
back onto a page already read) or been read a while ago. A delete cannot be undone, so before
sending any, apply lists the live alerts again (every accessible project, as --prune does):

- the listing must be complete and consistent (sentry/listing.py), else no delete is sent;
- a duplicate is deleted only while another live alert still carries the same marker and key
  and is not itself being deleted, so the managed copy always survives.

Creates and updates are not held back: a missed alert there makes a duplicate at worst, which
the next plan shows and `--prune` (or the concurrency repair) removes.
"""

from __future__ import annotations

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.plan_data import Plan
from sentry_alerts.sentry.backend import Backend


def refused_deletes(plan: Plan, backend: Backend) -> dict[int, str]:
    """{id(change): why it must not be sent} for the plan's deletes, from a fresh listing."""
    deletes = plan.of("delete")
    if not deletes:
        return {}
    try:
        listing = backend.list_alerts()
    except SentryAlertsError as exc:
        return {id(c): f"not deleted: the live alerts could not be listed again before "
                       f"deleting ({exc.message})" for c in deletes}
    if not listing.complete:
        why = "; ".join(listing.problems) or "a page failed"
        return {id(c): "not deleted: the list of live alerts read again before deleting was "
                       f"incomplete ({why}); nothing is deleted after an incomplete listing. "
                       "Run apply again." for c in deletes}
    going = {c.remote_id for c in deletes}
    desired_keys = {c.key for c in plan.changes if c.desired is not None}
    refused: dict[int, str] = {}
    for change in deletes:
        if change.key not in desired_keys or change.live is None or change.live.marker is None:
            continue  # an orphan: its key left the policy
        keep = [a for a in listing.alerts
                if a.marker == change.live.marker and a.remote_id not in going]
        if not keep:
            refused[id(change)] = (
                f"not deleted: no other live alert carries this policy's marker for key "
                f"{change.key} now, so this copy (id {change.remote_id}) is kept. Run plan "
                "again.")
    return refused

