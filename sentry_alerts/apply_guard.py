"""Updates and deletes act only on what the plan saw, read again just before (issue 12).

The plan's listing may have missed an alert or been read a while ago (a person reading the
plan at the confirmation prompt, a saved plan applied later), and someone may have edited or
deleted an alert in Sentry's UI since. So before sending any update or delete, apply lists the
live alerts once more (every accessible project, as --prune does) and holds back:

- every delete, when that listing is incomplete or inconsistent (sentry/listing.py): a delete
  cannot be undone, and a missing page may hold what makes an alert look removable;
- a duplicate's delete, unless another live alert still carries the same marker and key and is
  not itself being deleted, so the managed copy always survives;
- an update or delete of an alert changed in Sentry since the plan (someone's edit would be
  overwritten, or deleted, without anybody having seen it): refused, naming the fields; the
  next plan shows the edit and the policy's values;
- an update of an alert deleted in Sentry since the plan: refused, not sent (its PUT would
  fail); it is not created again by this apply, the next plan shows it as a create.

An update already as the policy says in the fresh listing (another apply at the same time did
it) is reported done without sending it. Creates are not held back: a missed alert there makes
a copy at worst, which the concurrency repair (apply_copies.py) removes.
"""

from __future__ import annotations

from sentry_alerts.diff import FIELD_LABELS, field_changes
from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.model import Alert
from sentry_alerts.plan_data import Change, Plan
from sentry_alerts.sentry.backend import Backend

# What a guarded change becomes instead of being sent: ("failed" | "updated", one sentence).
Verdict = tuple[str, str]


def guard_changes(plan: Plan, backend: Backend) -> dict[int, Verdict]:
    """{id(change): what to report instead of sending it} for the plan's updates and deletes,
    from one fresh listing; changes not in the result are sent."""
    updates, deletes = plan.of("update"), plan.of("delete")
    if not updates and not deletes:
        return {}
    try:
        listing = backend.list_alerts()
    except SentryAlertsError as exc:
        return {id(c): ("failed", f"not deleted: the live alerts could not be listed again "
                                  f"before deleting ({exc.message})") for c in deletes}
    verdicts: dict[int, Verdict] = {}
    if not listing.complete:
        why = "; ".join(listing.problems) or "a page failed"
        verdicts.update({id(c): ("failed", "not deleted: the list of live alerts read again "
                                           f"before deleting was incomplete ({why}); nothing is "
                                           "deleted after an incomplete listing. Run apply "
                                           "again.") for c in deletes})
    now = {a.remote_id: a for a in listing.alerts if a.remote_id}
    for change in (*updates, *deletes):
        if id(change) in verdicts or change.live is None:
            continue
        verdict = _since_the_plan(change, now.get(change.live.remote_id), listing.complete)
        if verdict:
            verdicts[id(change)] = verdict
    if listing.complete:
        verdicts.update(_copies_kept(plan, deletes, listing.alerts, verdicts))
    return verdicts


def _since_the_plan(change: Change, now: Alert | None, complete: bool) -> Verdict | None:
    assert change.live is not None
    verb = "updated" if change.action == "update" else "deleted"
    if now is None:
        if change.action == "update" and complete:
            return ("failed", f"not updated: it was deleted in Sentry since the plan was made "
                              f"(id {change.live.remote_id}); not created again by this apply. "
                              "Run plan again: it shows it as a create.")
        return None  # a delete of an alert already gone reaches its goal (404: already gone)
    edited = field_changes(change.live, now)
    if not edited:
        return None
    if change.action == "update" and change.desired is not None and \
            not field_changes(change.desired, now):
        return ("updated", "already as the policy says (changed in Sentry since the plan, "
                           "by another apply or by hand); nothing sent.")
    fields = ", ".join(FIELD_LABELS.get(f.field, f.field) for f in edited)
    return ("failed", f"not {verb}: it was changed in Sentry since the plan was made ({fields}: "
                      f"{_first_edit(edited)}); that edit is not overwritten unseen. Run plan "
                      "again to see it, then apply.")


def _first_edit(edited: tuple) -> str:
    first = edited[0]
    # field_changes(plan's, now's): .new is what the plan saw, .old what Sentry has now
    return f"{FIELD_LABELS.get(first.field, first.field)} was {first.new}, now {first.old}"


def _copies_kept(plan: Plan, deletes: tuple[Change, ...], live: list[Alert],
                 verdicts: dict[int, Verdict]) -> dict[int, Verdict]:
    """A duplicate is deleted only while another live copy with its marker stays."""
    going = {c.remote_id for c in deletes if id(c) not in verdicts}
    desired_keys = {c.key for c in plan.changes if c.desired is not None}
    kept: dict[int, Verdict] = {}
    for change in deletes:
        if id(change) in verdicts or change.key not in desired_keys or change.live is None \
                or change.live.marker is None:
            continue  # refused already, or an orphan: its key left the policy
        keep = [a for a in live if a.marker == change.live.marker and a.remote_id not in going]
        if not keep:
            kept[id(change)] = ("failed", f"not deleted: no other live alert carries this "
                                          f"policy's marker for key {change.key} now, so this "
                                          f"copy (id {change.remote_id}) is kept. Run plan "
                                          "again.")
    return kept
