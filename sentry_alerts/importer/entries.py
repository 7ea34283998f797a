"""From live alerts to policy entries, or to the reason an alert cannot be one.

Pure: no I/O. An alert is an entry when the policy format can say everything Sentry holds about
it (run.py then proves that the written entry reproduces it exactly); otherwise it is `Skipped`
with one phrase per reason, for the comments at the end of the written file. Nothing is dropped
without a word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sentry_alerts.importer.read import LiveAlert, Reading
from sentry_alerts.model import (
    DATASETS,
    STATISTICS,
    WINDOWS_MINUTES,
    Alert,
    EmailTarget,
    SlackTarget,
    Target,
    aggregate_for,
    format_window,
    query_for,
    same_query,
    transaction_filter,
)
from sentry_alerts.policy.templates import MAX_NAME
from sentry_alerts.policy.transaction_spec import slug_key

_AGGREGATE_RE = re.compile(r"^(p50|p75|p90|p95|p99|avg|max)\((span|transaction)\.duration\)$")
_SLA_RE = re.compile(r"^SLA: (p50|p75|p90|p95|p99|avg|max) < ([0-9.]+) ms for (.*)\.$")
_RUNBOOK_RE = re.compile(r"^(?:Runbook:\s*)?(https?://\S+)$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WHAT_THE_POLICY_ALERTS_ON = ("the policy alerts on p50, p75, p90, p95, p99, avg or max of a "
                             "transaction's duration")


@dataclass
class Entry:
    """One policy transaction that reproduces one live alert."""

    live: LiveAlert
    transaction: str
    statistic: str
    marker_key: str | None = None  # set when the alert carries this policy's marker
    sla: tuple[str, float] | None = None
    runbook: str | None = None
    notes: list[str] = field(default_factory=list)  # comment lines above the entry
    key: str = ""  # the policy key, assigned by `assign_keys`

    @property
    def alert(self) -> Alert:
        return self.live.alert


@dataclass
class Skipped:
    live: LiveAlert
    reasons: list[str]


def decide(reading: Reading, policy_name: str, teams: Iterable[str]) -> tuple[list[Entry],
                                                                             list[Skipped]]:
    """Each alert of the reading as an entry or skipped; then alerts whose name is not unique
    (adoption matches by name) and alerts on another dataset than most are skipped."""
    team_slugs = set(teams)
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    for live in reading.alerts:
        result = consider(live, policy_name, team_slugs)
        (entries if isinstance(result, Entry) else skipped).append(result)
    for live in reading.legacy_only:
        skipped.append(Skipped(live, [
            "a legacy alert rule Sentry has not migrated to a monitor yet: this server serves "
            "both APIs and the policy is planned with monitors, where adopting it would make a "
            "second alert; import it with --backend alert-rules, or after Sentry's migration"]))
    entries, more = _unique_names(entries, reading, policy_name)
    skipped += more
    entries, more = _one_dataset(entries)
    return entries, skipped + more


def consider(live: LiveAlert, policy_name: str, teams: set[str]) -> Entry | Skipped:
    a = live.alert
    if a.marker is not None and a.marker.policy != policy_name:
        return Skipped(live, [
            f"it is managed by policy {a.marker.policy} (key {a.marker.key}); that policy's "
            f"file holds it (import with --name {a.marker.policy} to write that file again)"])
    reasons = [str(r) for r in a.extra.get("unmodelled") or ()]
    transaction, statistic = _what(a, reasons)
    window = float(a.window_minutes or 0)
    if window not in WINDOWS_MINUTES:
        reasons.append(f"a {window:g}-minute window: the policy offers the windows Sentry's UI "
                       f"does ({', '.join(format_window(w) for w in WINDOWS_MINUTES)})")
    elif window < 5:
        reasons.append("a 1-minute window, which validate --strict refuses as noisy "
                       "(short-window); set 5 minutes or more in Sentry and import again")
    reasons += _threshold_problems(a.critical_ms, a.warning_ms, a.resolve_ms)
    reasons += _target_problems(a.targets, teams)
    if a.owner and not _known_owner(a.owner, teams):
        reasons.append(f"its owner {a.owner} is not a team or member of the organization")
    if not a.enabled:
        reasons.append("it is turned off in Sentry, and the policy's alerts are always on")
    if not a.project:
        reasons.append("it names no project")
    env = a.environment
    if env is not None and (not env.strip() or "/" in env or "\n" in env or len(env) > 64):
        reasons.append(f"its environment {env!r} is not one a policy can name")
    if not a.name.strip() or len(a.name.strip()) > MAX_NAME:
        reasons.append(f"its name is empty or longer than {MAX_NAME} characters")
    if reasons or transaction is None or statistic is None:
        return Skipped(live, list(dict.fromkeys(reasons)))
    entry = Entry(live, transaction, statistic)
    if a.marker is not None:
        entry.marker_key = a.marker.key
        entry.sla, entry.runbook = _from_description(a.description, transaction)
    else:
        _adopted_description(entry)
    if a.takeover:
        entry.notes.append(a.takeover)
    return entry


def _what(a: Alert, reasons: list[str]) -> tuple[str | None, str | None]:
    """The transaction and statistic the alert watches, or reasons why it is not one."""
    statistic = None
    match = _AGGREGATE_RE.match(a.aggregate.replace(" ", ""))
    if a.dataset not in DATASETS:
        reasons.append(f"the dataset {a.dataset or 'none'}: the policy alerts on spans, "
                       "performance metrics or transactions")
    elif match is None:
        reasons.append(f"the aggregate {a.aggregate}: {WHAT_THE_POLICY_ALERTS_ON}")
    elif aggregate_for(match.group(1), a.dataset) != a.aggregate.replace(" ", ""):
        reasons.append(f"the aggregate {a.aggregate} on {a.dataset}, where the policy writes "
                       f"{aggregate_for(match.group(1), a.dataset)}")
    else:
        statistic = match.group(1)
    found = transaction_filter(a.query)
    if found is None:
        reasons.append(f"the filter {a.query.strip() or '(none)'!s} is not one transaction's "
                       "name (the policy filters on the transaction only)")
        return None, statistic
    if a.dataset in DATASETS and not same_query(query_for(found[0], a.dataset), a.query):
        want = query_for(found[0], a.dataset)
        reasons.append(f"the filter {a.query.strip()} on {a.dataset}, where the policy writes "
                       f"{want}")
        return None, statistic
    return found[0], statistic


def _threshold_problems(critical: float | None, warning: float | None,
                        resolve: float | None) -> list[str]:
    if critical is None or critical <= 0:
        return ["it has no critical threshold above 0"]
    out = []
    if warning is not None and not 0 < warning < critical:
        out.append("its warning threshold is not between 0 and the critical one")
    lowest = warning if warning is not None else critical
    if resolve is not None and not 0 < resolve < lowest:
        out.append("its resolve threshold is not between 0 and the lowest alert threshold")
    return out


def _target_problems(targets: tuple[Target, ...], teams: set[str]) -> list[str]:
    if not targets:
        return ["nobody is notified (no Slack or email target), and validate --strict refuses "
                "an alert nobody hears (no-notify)"]
    out = []
    for t in targets:
        if isinstance(t, SlackTarget) and not t.workspace:
            out.append(f"its Slack target {t.channel} is in a workspace that is not installed")
        elif isinstance(t, EmailTarget) and t.to == "team" and t.name not in teams:
            out.append(f"its email target team {t.name} is not a team of the organization")
        elif isinstance(t, EmailTarget) and t.to == "user" and not _EMAIL_RE.match(t.name):
            out.append(f"its email target user {t.name} is not a member of the organization")
    return out


def _known_owner(owner: str, teams: set[str]) -> bool:
    kind, _, name = owner.partition(":")
    return (kind == "team" and name in teams and bool(_SLUG_RE.match(name))) or \
        (kind == "user" and bool(_EMAIL_RE.match(name)))


def _from_description(description: str, transaction: str) -> tuple[tuple[str, float] | None,
                                                                    str | None]:
    """The SLA and runbook lines sentry-alerts wrote into a description (model.describe_alert)."""
    sla = runbook = None
    for line in description.splitlines():
        m = _SLA_RE.match(line.strip())
        if m and m.group(3) == transaction:
            try:
                sla = (m.group(1), float(m.group(2)))
            except ValueError:
                sla = None
        if line.startswith("Runbook: "):
            runbook = line[len("Runbook: "):].strip() or None
    return sla, runbook


def _adopted_description(entry: Entry) -> None:
    """Adoption writes the ownership marker as the description: a runbook link is kept as
    `runbook:`, other text is named in a comment (never dropped without a word)."""
    text = entry.alert.description.strip()
    if not text:
        return
    link = _RUNBOOK_RE.match(text)
    if link:
        entry.runbook = link.group(1)
        entry.notes.append("its description, a link, is kept as the runbook")
        return
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 300 else shown[:299] + "…"
    entry.notes.append(f"adoption replaces its description with the ownership marker; it was: "
                       f"{shown!r}")


def _unique_names(entries: list[Entry], reading: Reading,
                  policy_name: str) -> tuple[list[Entry], list[Skipped]]:
    """Adoption finds an unmarked alert by its name (org-wide): two with one name, or one named
    like another policy's alert, cannot be told apart."""
    unmarked = Counter(x.alert.name.strip() for x in reading.alerts if x.alert.marker is None)
    others = {x.alert.name.strip() for x in reading.alerts
              if x.alert.marker is not None and x.alert.marker.policy != policy_name}
    kept, skipped = [], []
    for e in entries:
        name = e.alert.name.strip()
        if e.marker_key is None and unmarked[name] > 1:
            skipped.append(Skipped(e.live, [
                f"{unmarked[name]} alerts are named {name!r} and adoption finds an alert by its "
                "name; rename all but one in Sentry and import again"]))
        elif e.marker_key is None and name in others:
            skipped.append(Skipped(e.live, [
                f"an alert of another policy is also named {name!r}; rename one of them and "
                "import again"]))
        else:
            kept.append(e)
    return kept, skipped


def shared_workflows(entries: list[Entry]) -> tuple[list[Entry], list[Skipped]]:
    """Adoption moves a monitor off the alerts (workflows) people made for it, to the policy's
    own: fine for a workflow that serves only imported monitors, but one that also notifies for
    other monitors (errors, another dataset, ...) cannot be expressed. Repeated until stable:
    skipping one monitor can make another one's workflow shared."""
    kept, skipped = list(entries), []
    while True:
        imported = {e.alert.remote_id for e in kept if e.live.kind == "monitor"}
        more = []
        for e in kept:
            shared = {wid: info for wid, info in (e.alert.extra.get("replaced_workflows")
                                                  or {}).items()
                      if set(info.get("detectors") or ()) - imported}
            if shared:
                more.append(Skipped(e.live, [
                    f"it notifies through the alert (workflow) {info.get('name')!r} (id {wid}), "
                    "which also serves monitors this file does not import (ids "
                    f"{', '.join(sorted(set(info.get('detectors') or ()) - imported))}); the "
                    "policy gives its alerts workflows of their own and cannot express one "
                    "shared with other monitors"
                    for wid, info in sorted(shared.items())]))
        if not more:
            return kept, skipped
        gone = {id(s.live) for s in more}
        kept = [e for e in kept if id(e.live) not in gone]
        skipped += more


def policy_dataset(entries: Iterable[Entry]) -> str:
    """The dataset most entries use (spans when tied): a policy plans all its alerts on one."""
    counts = Counter(e.alert.dataset for e in entries)
    if not counts:
        return "spans"
    return max(sorted(counts), key=lambda d: (counts[d], d == "spans"))


def _one_dataset(entries: list[Entry]) -> tuple[list[Entry], list[Skipped]]:
    main = policy_dataset(entries)
    kept = [e for e in entries if e.alert.dataset == main]
    skipped = [Skipped(e.live, [
        f"it uses the {e.alert.dataset} dataset and the other imported alerts {main}: "
        "sentry-alerts plans all the alerts of one policy on one dataset; import it into "
        "another file (--project, --out) or move it to the same dataset in Sentry"])
        for e in entries if e.alert.dataset != main]
    return kept, skipped


def assign_keys(entries: list[Entry]) -> None:
    """Stable keys: this policy's own key where the alert has one, else the transaction's slug,
    made unique with the statistic, environment and window (then a number)."""
    used = {e.marker_key for e in entries if e.marker_key}
    for e in sorted(entries, key=sort_key):
        if e.marker_key:
            e.key = e.marker_key
            continue
        base = (slug_key(e.transaction) or "alert")[:80].strip("-") or "alert"
        env = re.sub(r"[^A-Za-z0-9._-]+", "-", e.alert.environment or "all").strip("-") or "env"
        window = format_window(e.alert.window_minutes)
        options = [base, f"{base}-{e.statistic}", f"{base}-{e.statistic}-{env}"[:100],
                   f"{base}-{e.statistic}-{env}-{window}"[:100]]
        options += [f"{base}-{n}" for n in range(2, len(entries) + 3)]
        e.key = next(k for k in options if k not in used)
        used.add(e.key)


def sort_key(e: Entry) -> tuple:
    a = e.alert
    rid = a.remote_id or ""
    return (a.project or "", e.transaction, STATISTICS.index(e.statistic),
            a.environment or "", a.window_minutes, (0, int(rid)) if rid.isdigit() else (1, rid))


__all__ = ["Entry", "Skipped", "assign_keys", "consider", "decide", "policy_dataset",
           "shared_workflows", "sort_key"]
