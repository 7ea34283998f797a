"""Two applies at once: exactly one alert per transaction in the end (issue 12).

Sentry offers no lock or compare-and-set that two CI jobs could share, and a create cannot be
made conditional on "no alert with this marker exists". So the mechanism is: create, list
again, and remove the younger copies. After its creates, apply lists the live alerts once
more and, for every key it created, keeps the oldest alert carrying that policy's marker and
key (the lowest id, which every concurrent run agrees on) and deletes the others, whichever
run made them. Two runs that both see two copies both delete the same younger one (the
second delete answers 404: already gone). A run whose listing is incomplete deletes nothing
and says so; the next plan shows the copies as a change (a delete of the younger copy,
`--detailed-exitcode` 2) and apply repairs it the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Alert, Marker
from sentry_alerts.sentry.backend import Backend

if TYPE_CHECKING:
    from sentry_alerts.apply import Outcome

log = logging.getLogger("sentry_alerts.apply")


def _oldest_first(alert: Alert) -> tuple[int, int, str]:
    rid = alert.remote_id or ""
    return (0, int(rid), "") if rid.isdigit() else (1, 0, rid)


def remove_younger_copies(backend: Backend, outcomes: Sequence[Outcome]) -> int:
    """After creates: delete the younger copies of each created key. Returns how many were
    deleted; each is announced as a warning (shown by the CLI)."""
    markers: dict[Marker, str] = {}
    for outcome in outcomes:
        desired = outcome.change.desired
        if outcome.status == "created" and desired is not None and desired.marker is not None:
            markers[desired.marker] = outcome.change.name
    if not markers:
        return 0
    try:
        listing = backend.list_alerts()
    except SentryAlertsError as exc:
        log.warning("could not list the alerts again to check for copies made by another "
                    "apply at the same time (%s); run plan to see.", exc.message)
        return 0
    if not listing.complete:
        log.warning("the list of alerts read again after the creates was incomplete (%s), so "
                    "copies made by another apply at the same time were not looked for; run "
                    "plan to see.", "; ".join(listing.problems) or "a page failed")
        return 0
    removed = 0
    for marker, name in markers.items():
        copies = sorted((a for a in listing.alerts if a.marker == marker), key=_oldest_first)
        for younger in copies[1:]:
            try:
                backend.delete(younger)
            except SentryAPIError as exc:
                if exc.status != 404:
                    log.warning("%r exists twice (ids %s and %s; another apply ran at the same "
                                "time), and deleting the younger copy failed: %s Run apply "
                                "again.", name, copies[0].remote_id, younger.remote_id,
                                exc.message)
                    continue
            removed += 1
            log.warning("%r was also created by another apply at the same time: kept the "
                        "oldest copy (id %s), deleted id %s.", name, copies[0].remote_id,
                        younger.remote_id)
    return removed
