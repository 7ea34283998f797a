"""What both backends share: materialising a spec the way Sentry will store it, normalising
numbers and targets, learning Slack channel ids, and retry-safe creates."""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sentry_alerts import model
from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import Alert, AlertSpec, EmailTarget, SlackTarget, Target
from sentry_alerts.sentry.backend import LiveListing
from sentry_alerts.sentry.client import SentryClient, UncertainWriteError
from sentry_alerts.sentry.listing import PageChecks
from sentry_alerts.sentry.lookups import Directory


def number(value: Any) -> float | int | None:
    """Sentry echoes 750 as 750.0 and 5 minutes as 5.0: whole floats become ints."""
    if type(value) is int:  # the common case, ten times per listed alert
        return value
    if value is None or value == "":
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


def lowest_threshold(critical: float | None, warning: float | None) -> float | None:
    return warning if warning is not None else critical


def normalise_resolve(critical: float | None, warning: float | None,
                      resolve: float | None) -> float | None:
    """A resolve threshold equal to the lowest alert threshold is what Sentry does when none is
    set (notes §2.3 item 5), and newer servers echo it as a number (notes §2.5): both sides
    treat it as "none" so neither shows a false change."""
    resolve = number(resolve)
    if resolve is not None and resolve == number(lowest_threshold(critical, warning)):
        return None
    return resolve


def target_key(target: Target) -> tuple[str, ...]:
    """Identity of a target for matching Sentry's actions (case-insensitive names)."""
    if isinstance(target, SlackTarget):
        return ("slack", (target.workspace or "").lower(), target.channel.lower())
    return ("email", target.to, target.name.lower())


def target_key_text(target: Target) -> str:
    """`target_key` as one string: safe as a JSON object key (saved plans keep `Alert.extra`)."""
    return "\t".join(target_key(target))


class ChannelBook:
    """Slack channels seen in live alerts, by (workspace, channel name case-insensitively): a
    policy that names only the channel gets the id Sentry resolved before (and Sentry's spelling
    of the name), so it shows no false change and later writes can send the id (no 202
    lookup)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], SlackTarget] = {}
        self._lock = threading.Lock()
        # Each policy target list as materialize() makes it: 10,000 specs share a few lists.
        # Emptied whenever a channel is learnt (the answer may change).
        self._made: dict[tuple[Target, ...], tuple[Target, ...]] = {}
        self._version = 0

    def learn(self, targets: Iterable[Target]) -> None:
        with self._lock:
            for t in targets:
                key = ((t.workspace or "").lower(), t.channel.lower()) \
                    if isinstance(t, SlackTarget) and t.channel_id else None
                if key is not None and key not in self._seen:
                    self._seen[key] = t
                    self._made.clear()
                    self._version += 1

    def find(self, workspace: str | None, channel: str) -> SlackTarget | None:
        with self._lock:
            return self._seen.get(((workspace or "").lower(), channel.lower()))

    def made(self, targets: tuple[Target, ...],
             make: Callable[[], tuple[Target, ...]]) -> tuple[Target, ...]:
        """`make()` for these targets, once until a channel is learnt."""
        with self._lock:
            found, version = self._made.get(targets), self._version
        if found is None:
            found = make()
            with self._lock:
                if version == self._version:
                    self._made[targets] = found
        return found


def materialize(spec: AlertSpec, dataset: str, directory: Directory,
                channels: ChannelBook) -> Alert:
    """`model.desired_alert` plus what only the server knows, so desired == live after apply."""
    alert = model.desired_alert(spec, dataset)
    owner = alert.owner
    if owner:
        owner = directory.owner_from_ref(directory.owner_ref(owner))
    return _evolve(
        alert,
        window_minutes=number(alert.window_minutes),
        critical_ms=number(alert.critical_ms),
        warning_ms=number(alert.warning_ms),
        resolve_ms=normalise_resolve(alert.critical_ms, alert.warning_ms, alert.resolve_ms),
        targets=channels.made(alert.targets,
                              lambda: _live_targets(alert.targets, directory, channels)),
        owner=owner,
    )


def _evolve(alert: Alert, **changes: Any) -> Alert:
    """`dataclasses.replace` for an Alert just made here and not shared: a copy of its fields
    with these changed, without running the frozen __init__ again (twenty checked setattrs,
    10,000 times in a plan)."""
    copied = object.__new__(Alert)
    copied.__dict__.update(alert.__dict__, **changes)
    return copied


def _live_targets(wanted: tuple[Target, ...], directory: Directory,
                  channels: ChannelBook) -> tuple[Target, ...]:
    """The policy's targets as Sentry will show them: the workspace's name, a channel id
    learnt from live alerts, a member's email as Sentry spells it. Unknown names raise."""
    targets: list[Target] = []
    for t in wanted:
        if isinstance(t, SlackTarget):
            workspace = directory.slack_workspace(t.workspace).name
            seen = channels.find(workspace, t.channel)
            if t.channel_id is None and seen is not None:
                targets.append(SlackTarget(seen.channel, seen.channel_id, workspace))
            else:
                targets.append(SlackTarget(t.channel, t.channel_id, workspace))
        elif isinstance(t, EmailTarget) and t.to == "user":
            directory.user_id(t.name)
            targets.append(EmailTarget("user", directory.user_email(directory.user_id(t.name))
                                       or t.name))
        else:
            directory.team_id(t.name)
            targets.append(t)
    return model.sort_targets(targets)


ALL_ACCESSIBLE_PROJECTS = "-1"


def project_scope(directory: Directory, projects: Sequence[str] | None) -> dict[str, Any]:
    """The `project` parameter every list call sends (notes §5.2, Sentry's `get_projects`):
    without it Sentry lists only the projects of teams the token's user is on, so an alert in
    any other project would look missing, and be created twice. Explicit ids (the policy's
    projects) make Sentry answer 403 for a project the token cannot see, rather than leave it
    out; None (`-1`) asks for every accessible project (pruning, retry-safety lookups)."""
    if not projects:
        return {"project": ALL_ACCESSIBLE_PROJECTS}
    ids = {directory.project_id(slug) for slug in projects}
    return {"project": sorted(ids, key=lambda i: (len(i), i))}


def list_alerts_with_lookups(backend: Any, directory: Directory | None,
                             specs: Sequence[AlertSpec], projects: Sequence[str] | None
                             ) -> LiveListing:
    """`backend.list_alerts(projects)`, while the lookups these specs will need (teams,
    members, Slack workspaces) load in other threads: requests the plan sends anyway, sent at
    the same time. A lookup that fails here is fetched again, and its error raised, where it is
    used."""
    loads = directory.prefetch(
        teams=any(_names(s, "team") for s in specs), users=any(_names(s, "user") for s in specs),
        slack=any(isinstance(t, SlackTarget) for s in specs for t in s.targets),
    ) if directory is not None else []
    if not loads:
        return backend.list_alerts(projects)
    with ThreadPoolExecutor(max_workers=len(loads), thread_name_prefix="lookups") as pool:
        for load in loads:
            pool.submit(contextvars.copy_context().run, load)
        return backend.list_alerts(projects)


def _names(spec: AlertSpec, kind: str) -> bool:
    """The spec's owner or email targets name a team (kind "team") or a member ("user")."""
    return (spec.owner or "").startswith(kind + ":") or any(
        isinstance(t, EmailTarget) and t.to == kind for t in spec.targets)


def collect_pages(pages: Iterable[list[Any]], what: str) -> tuple[list[Any], bool, list[str]]:
    """All items of a paginated listing. The first page's failure is raised (auth, 404, 410);
    a later page's failure ends the listing with complete=False and the reason, as does an
    inconsistent listing (an id twice, too many pages: sentry/listing.py)."""
    items: list[Any] = []
    iterator = iter(pages)
    first = True
    checks = PageChecks(what)
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return items, True, []
        except SentryAPIError as exc:
            if first:
                raise
            return items, False, [f"{what} stopped after {len(items)} items: {exc.message}"]
        first = False
        if not checks.add(page):
            return items, False, [checks.problem or f"{what} was inconsistent"]
        items.extend(page)


def collect_listings(first: tuple[Iterable[list[Any]], str],
                     *others: tuple[Iterable[list[Any]], str]
                     ) -> list[tuple[list[Any], bool, list[str]]]:
    """`collect_pages` for listings that do not depend on each other, at the same time. The
    first listing's first page comes alone, so its failure (auth, 404, 410) is raised before
    anything else is sent, as when they ran one after another; then the rest of it and the
    other listings run concurrently (the client keeps within the rate limits). Another
    listing's first-page failure is raised next, in order; a later page's failure makes that
    listing incomplete, never a partial result that looks complete."""
    pages, what = first
    iterator = iter(pages)
    try:
        head = [next(iterator)]
    except StopIteration:
        head = []
    rest = itertools.chain(head, iterator)
    if not others:
        return [collect_pages(rest, what)]
    with ThreadPoolExecutor(max_workers=len(others), thread_name_prefix="listing") as pool:
        # Each task runs in a copy of the caller's context, so what is bound there (e.g. the
        # self-monitoring SDK's scope, which turns log lines into breadcrumbs) sees its work.
        futures = [pool.submit(contextvars.copy_context().run, collect_pages, other, name)
                   for other, name in others]
        results = [collect_pages(rest, what)]
        return results + [future.result() for future in futures]


def delete_if_present(client: SentryClient, path: str, *, bucket: str, what: str) -> None:
    """DELETE, where a 404 means already gone: the goal is reached, not an error."""
    try:
        client.delete(path, bucket=bucket, what=what)
    except SentryAPIError as exc:
        if exc.status != 404:
            raise


class RetrySafeCreate:
    """Creates that never duplicate: when a POST's outcome is unknown, look the alert up by its
    ownership marker (one shared listing for all uncertain creates at that moment) before
    sending it again."""

    def __init__(self, list_alerts: Callable[[], LiveListing], *, attempts: int = 5,
                 settle: float = 1.0, slow_answer_wait: float = 60.0) -> None:
        self._list_alerts = list_alerts
        self.attempts = attempts
        self.settle = settle  # seconds to let an in-flight write land before looking
        # After a read timeout Sentry may still be working on the request: keep looking this
        # long before sending it again (twice the client's timeout).
        self.slow_answer_wait = slow_answer_wait
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], Alert] = {}
        self._index_time = 0.0
        self._incomplete: str | None = None

    def run(self, alert: Alert, create_once: Callable[[], Alert], *,
            patience: float = 0.0) -> Alert:
        """`patience`: how long to keep looking before sending again, for writes Sentry may
        finish later (a legacy rule whose Slack channel is being looked up after a 202)."""
        last: UncertainWriteError | None = None
        for attempt in range(self.attempts):
            try:
                return create_once()
            except UncertainWriteError as exc:
                last = exc
                if alert.marker is None:
                    raise
                wait = max(patience, self.slow_answer_wait if exc.still_running else 0.0)
                give_up = time.monotonic() + wait
                time.sleep(self.settle * (attempt + 1))
                while True:
                    found = self.find(alert.marker, since=time.monotonic())
                    if found is not None:
                        return found
                    if time.monotonic() >= give_up:
                        patience = 0.0  # be patient once; later failures retry sooner
                        break
                    time.sleep(max(self.settle, 0.05) * 2)
        assert last is not None
        raise SentryAPIError(
            f"{last.message[:-1]} (tried {self.attempts} times; no alert with the marker of "
            f"{alert.name!r} exists, so nothing was created twice).", status=last.status,
            call=last.call, body=last.body)

    def find(self, marker: model.Marker, since: float) -> Alert | None:
        with self._lock:
            if self._index_time < since:
                listing = self._list_alerts()
                self._index = {(a.marker.policy, a.marker.key): a for a in listing.alerts
                               if a.marker is not None}
                self._index_time = time.monotonic()
                self._incomplete = None if listing.complete else (
                    "; ".join(listing.problems) or "a page of the listing failed")
            found = self._index.get((marker.policy, marker.key))
            if found is None and self._incomplete:
                # Not seen in an incomplete listing is not "not there": sending the create
                # again could make a second alert.
                raise SentryAPIError(
                    f"whether Sentry created the alert with the marker {marker.key!r} could "
                    f"not be checked ({self._incomplete}), so it was not sent again; run plan "
                    "to see whether it exists.")
            return found


def version_of(*parts: Any) -> str | None:
    values = [str(p) for p in parts if p]
    return "|".join(values) if values else None


__all__ = ["ALL_ACCESSIBLE_PROJECTS", "ChannelBook", "list_alerts_with_lookups", "project_scope", "RetrySafeCreate", "SentryClient", "collect_listings", "collect_pages", "materialize",
           "normalise_resolve", "number", "target_key", "target_key_text", "version_of"]
