"""Apply: execute exactly the changes of a `Plan`, in parallel, without ever duplicating.

`apply_plan` never recomputes a plan: it sends the plan's creates, updates and deletes and
nothing else. The backend's client paces itself under Sentry's rate limits (and retries 5xx,
429 and lost connections within a time budget), so the thread pool only bounds how many alerts
are in flight.

Retry safety, in two layers:
1. The backend: a create whose answer was lost is looked up by its ownership marker before it
   is sent again (sentry/common.py `RetrySafeCreate`); reads, updates and deletes are retried by
   the client.
2. Here: when a change still fails without a clear answer (no response, a 5xx or 429 that
   outlived the client's budget, a Slack lookup still pending), Sentry may or may not have
   applied it. Apply then lists the live alerts once and checks each such change by its marker
   or id: done -> reported as done; done only in part (e.g. a detector created but its
   notification workflow not linked) -> finished with one update; not there -> reported as
   failed, never sent blindly again. A change refused with a clear answer (4xx, a failed Slack
   lookup) is reported with Sentry's reason.
Whatever happens, the next run converges: the marker identifies what this run created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Literal

from sentry_alerts.apply_copies import remove_younger_copies
from sentry_alerts.apply_guard import guard_changes
from sentry_alerts.diff import FIELD_LABELS, field_changes
from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Alert
from sentry_alerts.plan_data import Change, Plan
from sentry_alerts.sentry.backend import Backend
from sentry_alerts.sentry.deadline import DeadlineError

# "not sent": apply was stopped (Ctrl-C) before this change was sent; Sentry never saw it.
OutcomeStatus = Literal["created", "updated", "deleted", "failed", "skipped", "not sent"]
DEFAULT_PARALLELISM = 8


@dataclass(frozen=True)
class Outcome:
    """What happened to one change of the plan."""

    change: Change
    status: OutcomeStatus
    message: str  # one sentence: what happened, and for failures what Sentry said
    alert: Alert | None = None  # the live alert afterwards (created / updated)

    @property
    def ok(self) -> bool:
        return self.status in ("created", "updated", "deleted")


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    interrupted: bool = False  # stopped before every change was sent (Ctrl-C)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def skipped(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "skipped")

    @property
    def not_sent(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "not sent")

    @property
    def ok(self) -> bool:
        """Sentry now matches the plan: nothing failed and nothing was left out."""
        return not self.failed and not self.skipped and not self.not_sent


class _Unclear(Exception):
    """A call whose effect on Sentry is unknown; `error` is what the client raised."""

    def __init__(self, error: SentryAlertsError) -> None:
        super().__init__(error.message)
        self.error = error


def _is_unclear(exc: SentryAlertsError) -> bool:
    """Sentry may or may not have applied the write that raised `exc`."""
    if not isinstance(exc, SentryAPIError) or isinstance(exc, DeadlineError):
        return False  # (a request the deadline stopped was never sent)
    if (exc.call or "").startswith("GET "):
        # A read after the write was accepted (a 202 Slack lookup being polled): a lookup
        # Sentry reported as failed saved nothing; anything else may still finish.
        return not (isinstance(exc.body, dict) and exc.body.get("status") == "failed")
    return exc.status is None or exc.status >= 500 or exc.status == 429


NOT_SENT = "not sent: apply was interrupted before this change was sent."


def _execute(backend: Backend, change: Change, stop: threading.Event | None = None) -> Outcome:
    if stop is not None and stop.is_set():
        return Outcome(change, "not sent", NOT_SENT)
    try:
        if change.action == "create":
            assert change.desired is not None
            alert = backend.create(change.desired)
            return Outcome(change, "created", f"created (id {alert.remote_id}).", alert)
        if change.action == "update":
            assert change.desired is not None and change.live is not None
            alert = backend.update(change.desired.with_identity(change.live))
            what = ", ".join(FIELD_LABELS.get(f.field, f.field) for f in change.fields) or "marker"
            return Outcome(change, "updated", f"updated ({what}).", alert)
        if change.action == "delete":
            assert change.live is not None
            try:
                backend.delete(change.live)
            except SentryAPIError as exc:
                if exc.status != 404:
                    raise
                return Outcome(change, "deleted", "already gone from Sentry.")
            return Outcome(change, "deleted", f"deleted (id {change.live.remote_id}).")
    except SentryAlertsError as exc:
        if _is_unclear(exc):
            raise _Unclear(exc) from exc
        return Outcome(change, "failed", exc.message)
    raise ValueError(f"apply cannot execute a {change.action!r} change")


def _verify(change: Change, live: list[Alert]) -> Outcome | Change | None:
    """After an unclear failure, look at a fresh listing: an Outcome if the change took effect,
    a follow-up update if it took effect only in part, or None if it is not there."""
    if change.action == "create" and change.desired and change.desired.marker:
        found = [a for a in live if a.marker == change.desired.marker]
        if not found:
            return None
        diffs = field_changes(change.desired, found[0])
        if not diffs:
            return Outcome(change, "created",
                           f"created (id {found[0].remote_id}; confirmed after a lost answer).",
                           found[0])
        return replace(change, action="update", live=found[0], fields=diffs)
    if change.action == "update" and change.desired and change.live:
        same = [a for a in live if a.remote_id == change.live.remote_id]
        if same and not field_changes(change.desired, same[0]):
            return Outcome(change, "updated", "updated (confirmed after a lost answer).", same[0])
        return None
    if change.action == "delete" and change.live and not any(
            a.remote_id == change.live.remote_id for a in live):
        return Outcome(change, "deleted", "deleted (confirmed after a lost answer).")
    return None


def _run_all(backend: Backend, work: list[tuple[Change, Change]], parallelism: int,
             report: Callable[[Outcome], None], unclear: list[tuple[Change, _Unclear]],
             stop: threading.Event | None) -> None:
    """Send each (plan change, what to send) pair; outcomes name the plan's change. Once `stop`
    is set, changes not yet started are reported "not sent"; those in flight finish."""
    if not work:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(work))))
    try:
        futures = {pool.submit(_execute, backend, send, stop): change for change, send in work}
        for future in as_completed(futures):
            change = futures[future]
            try:
                outcome = future.result()
            except _Unclear as exc:
                unclear.append((change, exc))
                continue
            if outcome.change is not change:  # a follow-up update finishing a create
                status = "created" if change.action == "create" and outcome.ok else outcome.status
                rid = outcome.alert.remote_id if outcome.alert else None
                message = (f"created (id {rid}; completed after a lost answer)."
                           if status == "created" else outcome.message)
                outcome = replace(outcome, change=change, status=status, message=message)
            report(outcome)
    except BaseException:
        # A KeyboardInterrupt (a caller without `stop`) or a bug: send nothing more; the calls
        # already in flight finish.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def apply_plan(plan: Plan, backend: Backend, *, parallelism: int = DEFAULT_PARALLELISM,
               on_outcome: Callable[[Outcome], None] | None = None,
               stop: threading.Event | None = None) -> ApplyResult:
    """Execute the plan's creates, updates and deletes; report conflicts as skipped.

    `on_outcome` is called once per change, in the calling thread, as each one finishes.
    Setting `stop` (Ctrl-C) ends the apply early: nothing more is sent, the changes in flight
    finish and are reported, the rest are reported "not sent", and the result says
    `interrupted`. The result lists outcomes in plan order.
    """
    if not plan.listing_complete and plan.executable:
        raise SentryAlertsError(
            "this plan was made from an incomplete list of live alerts ("
            + ("; ".join(plan.listing_problems) or "a page of the listing failed")
            + "); applying it could duplicate an alert that was on the missing page. "
            "Nothing was changed; run the command again.")
    if plan.backend != backend.name:
        raise SentryAlertsError(
            f"this plan was made for the {plan.backend} backend, but the connection uses "
            f"{backend.name}; pass --backend {plan.backend} or make the plan again.")
    # Pruning (issue 5) only ever deletes alerts carrying this policy's marker, whatever a
    # (saved, possibly edited) plan says.
    foreign = [c for c in plan.of("delete") if c.live is None or c.live.marker is None
               or c.live.marker.policy != plan.policy_name]
    if foreign:
        raise SentryAlertsError(
            f"this plan deletes {len(foreign)} alert(s) that policy {plan.policy_name} does not "
            f"manage (first: {foreign[0].name!r}); sentry-alerts only deletes alerts carrying "
            "its own policy's marker. Nothing was changed; make the plan again.")

    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    for change in plan.of("conflict"):
        report(Outcome(change, "skipped", f"not applied: {change.note}"))

    refused = guard_changes(plan, backend)  # edited, deleted or unsure since the plan
    for change in plan.executable:
        if id(change) in refused:
            status, message = refused[id(change)]
            report(Outcome(change, status, message))  # type: ignore[arg-type]
    unclear: list[tuple[Change, _Unclear]] = []
    _run_all(backend, [(c, c) for c in plan.executable if id(c) not in refused], parallelism,
             report, unclear, stop)
    if unclear and stop is not None and stop.is_set():
        for change, err in unclear:  # no listing, no follow-up: the user asked to stop
            report(Outcome(change, "failed", f"{err.error.message} Apply was interrupted before "
                                             "this could be checked; run plan to see whether "
                                             "Sentry applied it."))
    elif unclear:
        follow_ups = _settle(backend, unclear, report)
        still: list[tuple[Change, _Unclear]] = []
        _run_all(backend, follow_ups, parallelism, report, still, stop)
        for change, err in still:
            report(Outcome(change, "failed", f"{err.error.message} Run plan again to see what "
                                             "Sentry kept; the marker prevents a duplicate."))

    if not (stop is not None and stop.is_set()):
        remove_younger_copies(backend, outcomes)  # another apply at the same time
    order = {id(c): i for i, c in enumerate(plan.changes)}
    outcomes.sort(key=lambda o: order.get(id(o.change), len(order)))
    return ApplyResult(tuple(outcomes), interrupted=stop is not None and stop.is_set())


def _settle(backend: Backend, unclear: list[tuple[Change, _Unclear]],
            report: Callable[[Outcome], None]) -> list[tuple[Change, Change]]:
    """Check unclear changes against one fresh listing. Reports what is settled; returns the
    follow-up updates that finish half-done creates."""
    try:
        listing = backend.list_alerts()
    except SentryAlertsError as exc:
        for change, err in unclear:
            report(Outcome(change, "failed",
                           f"{err.error.message} Whether Sentry applied it could not be checked "
                           f"({exc.message}); run plan again to see."))
        return []
    if not listing.complete:  # "not in the listing" proves nothing: no verdict from it
        problems = "; ".join(listing.problems) or "a page of the listing failed"
        for change, err in unclear:
            report(Outcome(change, "failed",
                           f"{err.error.message} Whether Sentry applied it could not be checked "
                           f"(the list of live alerts was incomplete: {problems}); run plan "
                           "again to see."))
        return []
    follow_ups: list[tuple[Change, Change]] = []
    for change, err in unclear:
        verdict = _verify(change, listing.alerts)
        if isinstance(verdict, Outcome):
            report(verdict)
        elif isinstance(verdict, Change):
            follow_ups.append((change, verdict))
        elif (getattr(err.error, "call", None) or "").startswith("GET "):  # may still finish
            report(Outcome(change, "failed",
                           f"{err.error.message} It is not in Sentry yet; run plan again in a "
                           "few minutes before applying again."))
        elif change.action == "delete":
            report(Outcome(change, "failed",
                           f"{err.error.message} Checked afterwards: it is still in Sentry, so "
                           "it was not deleted; run apply again to delete it."))
        elif change.action == "update":
            report(Outcome(change, "failed",
                           f"{err.error.message} Checked afterwards: Sentry does not show the "
                           "change, so running apply again is safe."))
        else:
            report(Outcome(change, "failed",
                           f"{err.error.message} Checked afterwards: it is not in Sentry, so "
                           "running apply again is safe."))
    return follow_ups


__all__ = ["ApplyResult", "DEFAULT_PARALLELISM", "Outcome", "apply_plan"]
