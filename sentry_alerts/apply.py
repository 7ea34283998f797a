"""Apply: execute exactly the changes of a `Plan`, in parallel, safely retried.

`apply_plan` never recomputes a plan: it sends the plan's creates, updates and deletes and
nothing else. The backend's client paces itself under Sentry's rate limits, so the thread pool
only bounds how many alerts are in flight.

Retry safety. A call that failed without a clear answer (no response, a 5xx, a 429 storm that
outlived the client's retries) may or may not have changed Sentry: the classic case is a create
whose response was lost after Sentry committed it. Retrying such a create blindly would make a
duplicate. So, after the first pass, apply lists the live alerts once and checks each unclear
change against it, by the ownership marker:
- create: an alert with the change's marker exists -> it was created; else create again, once;
- update: the live alert already equals the desired one -> done; else send the update again;
- delete: the alert is gone -> done; else delete again.
A change refused with a clear answer (4xx, a failed Slack lookup) is reported, not retried. An
async Slack lookup still pending at the deadline is reported, not retried either: Sentry may
still finish it, and the next plan sees the result through the marker.
The next run always converges: the marker identifies what this run created.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Literal

from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Alert
from sentry_alerts.plan import Change, Plan, field_changes
from sentry_alerts.sentry.backend import Backend

OutcomeStatus = Literal["created", "updated", "deleted", "failed", "skipped"]
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

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def skipped(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "skipped")

    @property
    def ok(self) -> bool:
        """Sentry now matches the plan: nothing failed and nothing was left out."""
        return not self.failed and not self.skipped


class _Unclear(Exception):
    """A call whose effect on Sentry is unknown; `error` is what the client raised."""

    def __init__(self, error: SentryAlertsError, pending: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.pending = pending


def _is_unclear(exc: SentryAlertsError) -> bool:
    """No answer, a server error, a rate limit or a pending async task: Sentry may or may not
    have applied the change."""
    if not isinstance(exc, SentryAPIError):
        return False
    return exc.status is None or exc.status >= 500 or exc.status in (202, 429)


def _execute(backend: Backend, change: Change) -> Outcome:
    try:
        if change.action == "create":
            assert change.desired is not None
            alert = backend.create(change.desired)
            return Outcome(change, "created", f"created (id {alert.remote_id}).", alert)
        if change.action == "update":
            assert change.desired is not None and change.live is not None
            alert = backend.update(change.desired.with_identity(change.live))
            what = ", ".join(f.field for f in change.fields) or "marker"
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
            raise _Unclear(exc, pending=getattr(exc, "status", None) == 202) from exc
        return Outcome(change, "failed", exc.message)
    raise ValueError(f"apply cannot execute a {change.action!r} change")


def _verify(change: Change, live: list[Alert]) -> Outcome | Change | None:
    """After an unclear failure, look at a fresh listing: an Outcome if the change took effect,
    a follow-up update if it took effect only in part, or None if nothing is there."""
    if change.action == "create" and change.desired and change.desired.marker:
        found = [a for a in live if a.marker == change.desired.marker]
        if not found:
            return None
        if not field_changes(change.desired, found[0]):
            return Outcome(change, "created",
                           f"created (id {found[0].remote_id}; confirmed after a lost answer).",
                           found[0])
        # Created, but not completely (e.g. its notification was not linked): finish it.
        return replace(change, action="update", live=found[0],
                       fields=field_changes(change.desired, found[0]))
    if change.action == "update" and change.desired and change.live:
        same = [a for a in live if a.remote_id == change.live.remote_id]
        if same and not field_changes(change.desired, same[0]):
            return Outcome(change, "updated", "updated (confirmed after a lost answer).", same[0])
        return None
    if change.action == "delete" and change.live and not any(
            a.remote_id == change.live.remote_id for a in live):
        return Outcome(change, "deleted", "deleted (confirmed after a lost answer).")
    return None


def apply_plan(plan: Plan, backend: Backend, *, parallelism: int = DEFAULT_PARALLELISM,
               on_outcome: Callable[[Outcome], None] | None = None) -> ApplyResult:
    """Execute the plan's creates, updates and deletes; report conflicts as skipped.

    `on_outcome` is called once per change, in the calling thread, as each one finishes.
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

    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    for change in plan.of("conflict"):
        report(Outcome(change, "skipped", f"not applied: conflict: {change.note}"))

    unclear: list[tuple[Change, _Unclear]] = []
    todo = list(plan.executable)
    if not todo:
        return ApplyResult(tuple(outcomes))
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(todo)))) as pool:
        futures = {pool.submit(_execute, backend, change): change for change in todo}
        for future in as_completed(futures):
            try:
                report(future.result())
            except _Unclear as exc:
                unclear.append((futures[future], exc))

    if unclear:
        for outcome in _settle_unclear(backend, unclear, parallelism):
            report(outcome)
    # Report in plan order, whatever order the threads finished in.
    order = {id(c): i for i, c in enumerate(plan.changes)}
    outcomes.sort(key=lambda o: order.get(id(o.change), len(order)))
    return ApplyResult(tuple(outcomes))


def _settle_unclear(backend: Backend, unclear: list[tuple[Change, _Unclear]],
                    parallelism: int) -> list[Outcome]:
    """Check unclear changes against one fresh listing; retry, once, those that did not happen.
    Outcomes name the plan's change, even when the retry was a follow-up update."""
    try:
        listing = backend.list_alerts()
    except SentryAlertsError as exc:
        return [Outcome(change, "failed",
                        f"{err.error.message} Sentry could not be asked whether it happened "
                        f"({exc.message}); run plan again to see.")
                for change, err in unclear]
    results: list[Outcome] = []
    retry: list[tuple[Change, Change]] = []  # (the plan's change, what to send now)
    for change, err in unclear:
        verdict = _verify(change, listing.alerts)
        if isinstance(verdict, Outcome):
            results.append(verdict)
        elif isinstance(verdict, Change):
            retry.append((change, verdict))
        elif err.pending:
            results.append(Outcome(
                change, "failed",
                f"{err.error.message} Sentry may still finish it: run plan again later (the "
                "marker prevents a duplicate)."))
        elif change.action == "create" and not listing.complete:
            results.append(Outcome(
                change, "failed",
                f"{err.error.message} It could not be checked (the listing was incomplete), so "
                "it was not retried; run plan again."))
        else:
            retry.append((change, change))
    if not retry:
        return results
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(retry)))) as pool:
        futures = {pool.submit(_execute, backend, send): change for change, send in retry}
        for future in as_completed(futures):
            change = futures[future]
            try:
                outcome = replace(future.result(), change=change)
                if change.action == "create" and outcome.status == "updated":
                    rid = outcome.alert.remote_id if outcome.alert else "?"
                    outcome = replace(outcome, status="created", message=(
                        f"created (id {rid}; completed after a lost answer)."))
                results.append(outcome)
            except _Unclear as exc:
                results.append(Outcome(
                    change, "failed",
                    f"{exc.error.message} This happened twice; run plan again: it shows whether "
                    "Sentry applied it (the marker prevents a duplicate)."))
    return results


__all__ = ["ApplyResult", "DEFAULT_PARALLELISM", "Outcome", "apply_plan"]
