"""The backend-neutral model of one alert.

Everything between the policy file and Sentry's JSON speaks these types:

    policy file --(policy.load)--> AlertSpec  (what the user asked for, policy terms)
    AlertSpec  --(Backend.materialize)--> Alert (desired, concrete dataset/aggregate/query)
    Sentry JSON --(Backend.list_alerts)--> Alert (live, normalised)
    diff(desired Alert, live Alert) --> plan

An `Alert` is always in the policy's terms (milliseconds, window in minutes, Slack channel
names with `#`), never in a backend's (seconds, floats, ids), so that the diff of a desired and
a live alert shows only real changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")
Statistic = Literal["p50", "p75", "p90", "p95", "p99", "avg", "max"]
STATISTICS: tuple[str, ...] = ("p50", "p75", "p90", "p95", "p99", "avg", "max")

# Concrete datasets. A policy may also say "auto"; a backend turns that into one of these.
Dataset = Literal["spans", "metrics", "transactions"]
DATASETS: tuple[str, ...] = ("spans", "metrics", "transactions")
DatasetChoice = Literal["auto", "spans", "metrics", "transactions"]

# Sentry's API names for our datasets.
API_DATASET = {
    "spans": "events_analytics_platform",
    "metrics": "generic_metrics",
    "transactions": "transactions",
}
DATASET_FROM_API = {v: k for k, v in API_DATASET.items()}

# Window values Sentry's UI can show (minutes). Others are accepted by the API but break the UI
# (getsentry/sentry#43548), so the policy only allows these.
WINDOWS_MINUTES: tuple[int, ...] = (1, 5, 10, 15, 30, 60, 120, 240, 1440)


@dataclass(frozen=True, order=True)
class SlackTarget:
    """A Slack channel (or `@user`). `channel` is normalised to start with `#` or `@`."""

    channel: str
    channel_id: str | None = None
    workspace: str | None = None  # Slack workspace (integration) name; None = the only one

    kind: Literal["slack"] = "slack"

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", normalise_channel(self.channel))

    def describe(self) -> str:
        where = f" ({self.workspace})" if self.workspace else ""
        return f"Slack {self.channel}{where}"


@dataclass(frozen=True, order=True)
class EmailTarget:
    """Email to a Sentry team (`team`: slug) or user (`user`: email address)."""

    to: Literal["team", "user"]
    name: str

    kind: Literal["email"] = "email"

    def describe(self) -> str:
        return f"email {self.to}:{self.name}"


Target = SlackTarget | EmailTarget


def normalise_channel(channel: str) -> str:
    """`ops`, `#ops`, ` #ops ` -> `#ops`; `@alice` stays a user."""
    channel = channel.strip()
    if channel.startswith("@"):
        return channel
    return "#" + channel.lstrip("#")


def sort_targets(targets: tuple[Target, ...] | list[Target]) -> tuple[Target, ...]:
    """Targets compare as a set: a stable order so echoes in another order are not a change."""
    return tuple(sorted(set(targets), key=lambda t: (t.kind, t.describe())))


@dataclass(frozen=True)
class AlertSpec:
    """One monitored transaction as the policy asks for it (after defaults are applied)."""

    policy: str  # policy name (part of the ownership marker)
    key: str  # stable key, unique within the policy
    name: str  # rendered alert name
    project: str  # Sentry project slug
    transaction: str
    statistic: Statistic
    window_minutes: int
    critical_ms: float
    warning_ms: float | None = None
    resolve_ms: float | None = None
    environment: str | None = None
    targets: tuple[Target, ...] = ()
    owner: str | None = None  # "team:<slug>" or "user:<email>"
    sla_statistic: Statistic | None = None
    sla_ms: float | None = None
    runbook: str | None = None
    dataset: DatasetChoice = "auto"
    # Where in the policy file this came from, for messages: (file, line).
    source: tuple[str, int] | None = field(default=None, compare=False)

    def marker(self) -> Marker:
        return Marker(policy=self.policy, key=self.key)


@dataclass(frozen=True)
class Marker:
    """The ownership marker: which policy and key manage an alert.

    It is written into the alert's description, readable by a person in Slack and in
    Sentry's UI, and parsed back so that only alerts this policy made are updated or deleted.
    """

    policy: str
    key: str

    def text(self) -> str:
        return (
            f"Managed by sentry-alerts (policy {self.policy}, key {self.key}). "
            "Edit the policy file, not this alert: changes made here are overwritten."
        )

    @staticmethod
    def find(description: str | None) -> Marker | None:
        """The marker in its own place only: the description's last line, exactly as `text()`
        writes it (trailing whitespace aside). Marker-like text anywhere else (a runbook URL,
        an SLA note, a name, a line followed by more text) claims nothing, so policy text
        cannot make sentry-alerts take over, update or delete another policy's alert."""
        if not description:
            return None
        m = _MARKER_RE.search(description.rstrip())
        return Marker(policy=m.group(1), key=m.group(2)) if m else None


# Policy names and keys are restricted to [A-Za-z0-9._-] by the policy validator, so the
# marker parses unambiguously. Anchored: the whole last line (after the start or a newline).
_MARKER_RE = re.compile(
    r"(?:\A|\n)Managed by sentry-alerts \(policy ([A-Za-z0-9._-]+), key ([A-Za-z0-9._-]+)\)\. "
    r"Edit the policy file, not this alert: changes made here are overwritten\.\Z")


def describe_alert(spec: AlertSpec) -> str:
    """The description sentry-alerts writes: what the SLA is, when it fires (the thresholds,
    which the default name leaves out so that it stays stable), the runbook, and the marker."""
    lines = []
    if spec.sla_ms is not None:
        lines.append(f"SLA: {spec.sla_statistic or spec.statistic} < {format_ms(spec.sla_ms)} for {spec.transaction}.")
    lines.append(describe_thresholds(spec))
    if spec.runbook:
        lines.append(f"Runbook: {spec.runbook}")
    lines.append(spec.marker().text())
    return "\n".join(lines)


THRESHOLDS_LINE = "Fires when "  # how the description's thresholds line starts


def describe_thresholds(spec: AlertSpec) -> str:
    """`Fires when p95 > 750 ms over 5m (warning > 600 ms; resolves below 500 ms).`"""
    extra = []
    if spec.warning_ms is not None:
        extra.append(f"warning > {format_ms(spec.warning_ms)}")
    if spec.resolve_ms is not None:
        extra.append(f"resolves below {format_ms(spec.resolve_ms)}")
    details = f" ({'; '.join(extra)})" if extra else ""
    return (f"{THRESHOLDS_LINE}{spec.statistic} > {format_ms(spec.critical_ms)} over "
            f"{format_window(spec.window_minutes)}{details}.")


def quote_search_value(value: str) -> str:
    """Quote a value for Sentry's search syntax so that it means exactly `value`.

    Sentry's grammar (getsentry/sentry, src/sentry/api/event_search.py) reads a quoted value as
    `"` then `\\"` or any other character, up to the next `"`: only `\\"` is an escape. An
    unescaped `*` is a wildcard, and `\\*` a literal star. A backslash is otherwise literal, so
    it is not doubled. Two things cannot be written this way: a backslash at the very end (it
    would escape the closing quote) and a backslash before `*` (it would make a wildcard); the
    policy refuses transaction names with either (policy/text_fields.py)."""
    return '"' + value.replace('"', '\\"').replace("*", "\\*") + '"'


def unquotable_search_value(value: str) -> str | None:
    """Why `value` cannot be written in Sentry's search syntax with its meaning kept, or None."""
    if value.endswith("\\"):
        return "it ends with a backslash, which would escape the closing quote"
    if "\\*" in value:
        return "a backslash before `*` would turn the star into a wildcard"
    return None


# One search term: key:value, the value bare or quoted as Sentry reads it: `"`, then `\"` or
# any other character (possessive, as Sentry's PEG grammar never backtracks into it), then `"`.
_TERM_RE = re.compile(r'\s*([A-Za-z_.]+):("(?:\\"|[^"])*+"|[^\s"()]+)\s*')
_WILDCARD_RE = re.compile(r"(?<!\\)(?:\\\\)*\*")  # a `*` after an even number of `\`


def _search_value(raw: str) -> str | None:
    """What Sentry matches for a value as written (quoted or bare), or None for a wildcard."""
    value = raw[1:-1] if raw.startswith('"') else raw
    value = value.replace('\\"', '"')
    if _WILDCARD_RE.search(value):
        return None
    return value.replace("\\*", "*")


def transaction_filter(query: str) -> tuple[str, bool] | None:
    """(transaction, has `is_transaction:true`) when a query is only a filter on one
    transaction, as sentry-alerts writes it or as Sentry's UI does (`transaction:/x` bare, the
    two terms in either order); None for anything else (other filters, negations, ORs,
    wildcards)."""
    terms: dict[str, str] = {}
    pos = 0
    while pos < len(query):
        m = _TERM_RE.match(query, pos)
        if m is None or m.end() == pos or m.group(1) in terms:
            return None
        terms[m.group(1)] = m.group(2)
        pos = m.end()
    value = terms.pop("transaction", None)
    flag = terms.pop("is_transaction", None)
    if value is None or terms or flag not in (None, "true"):
        return None
    transaction = _search_value(value)
    return (transaction, flag is not None) if transaction else None


def same_query(a: str, b: str) -> bool:
    """The same filter, even when written differently (`transaction:/x` vs `transaction:"/x"`,
    term order, spaces): Sentry echoes what people typed, which is not a change."""
    fa, fb = transaction_filter(a), transaction_filter(b)
    if fa is not None or fb is not None:
        return fa == fb
    return " ".join(a.split()) == " ".join(b.split())


def aggregate_for(statistic: str, dataset: str) -> str:
    column = "span.duration" if dataset == "spans" else "transaction.duration"
    return f"{statistic}({column})"


def query_for(transaction: str, dataset: str) -> str:
    q = f"transaction:{quote_search_value(transaction)}"
    return f"is_transaction:true {q}" if dataset == "spans" else q


@dataclass(frozen=True)
class Alert:
    """One alert, desired or live, in backend-neutral, policy terms.

    Desired alerts come from `Backend.materialize(spec)`; live ones from `Backend.list_alerts()`.
    The fields in `COMPARED_FIELDS` are what a plan diffs; the rest identify the alert.
    """

    name: str
    project: str | None
    environment: str | None
    dataset: str  # "spans" | "metrics" | "transactions", or Sentry's raw name if unknown
    aggregate: str
    query: str
    window_minutes: float
    critical_ms: float | None
    warning_ms: float | None
    resolve_ms: float | None
    targets: tuple[Target, ...]
    owner: str | None
    description: str
    # A monitor someone turned off in Sentry is live with enabled=False; desired alerts are on.
    enabled: bool = True

    # Identity and management; not compared.
    marker: Marker | None = None
    remote_id: str | None = None
    # An opaque token that changes whenever the live alert changes (e.g. dateModified);
    # saved plans record it to detect staleness.
    version: str | None = None
    # Live alerts only: what Sentry made that the next write of this alert replaces, in one
    # sentence for the plan (e.g. the workflow Sentry's legacy-rule migration made: left in
    # place, it would notify the same channel a second time). None: nothing to replace.
    takeover: str | None = None
    # Backend-private data needed to update or delete (e.g. trigger ids, workflow ids).
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def compared(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COMPARED_FIELDS}

    def with_identity(self, live: Alert) -> Alert:
        """This desired alert carrying a live alert's identity (for an update)."""
        return replace(self, remote_id=live.remote_id, version=live.version, extra=live.extra)


def construct(cls: type[_T], /, **values: Any) -> _T:
    """`cls(**values)` for a frozen dataclass without a `__post_init__` (Alert, AlertSpec),
    without running its generated `__init__`, which sets each field through a checked
    `object.__setattr__`: 5 µs for an Alert, and a plan of 10,000 alerts makes 20,000 of them
    (issue 11). Fields not given take their defaults. Unlike `__init__` it does not check the
    names: callers pass every field without a default, by name (tests/test_plan.py compares
    the objects with `__init__`'s)."""
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _defaults_of(cls)
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", {**defaults, **values} if defaults else values)
    if cls is Alert and "extra" not in values:
        made.__dict__["extra"] = {}  # its default_factory: a fresh dict for each
    return made


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults_of(cls: type) -> dict[str, Any]:
    """A dataclass's plain defaults (a default_factory other than Alert.extra's is refused)."""
    assert not hasattr(cls, "__post_init__"), cls
    factories = {f.name for f in fields(cls) if f.default_factory is not MISSING}
    assert factories <= ({"extra"} if cls is Alert else set()), (cls, factories)
    found = _DEFAULTS[cls] = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    return found


def desired_alert(spec: AlertSpec, dataset: str) -> Alert:
    """The alert a spec asks for on a concrete dataset, in neutral terms.

    Both backends, the manual guide and the monitoring plan use this one function, so what a
    person is told to type is exactly what `apply` would create.
    """
    return construct(
        Alert,
        name=spec.name,
        project=spec.project,
        environment=spec.environment,
        dataset=dataset,
        aggregate=aggregate_for(spec.statistic, dataset),
        query=query_for(spec.transaction, dataset),
        window_minutes=spec.window_minutes,
        critical_ms=spec.critical_ms,
        warning_ms=spec.warning_ms,
        resolve_ms=spec.resolve_ms,
        targets=sort_targets(spec.targets),
        owner=spec.owner,
        description=describe_alert(spec),
        marker=spec.marker(),
    )


COMPARED_FIELDS: tuple[str, ...] = (
    "name",
    "project",
    "environment",
    "dataset",
    "aggregate",
    "query",
    "window_minutes",
    "critical_ms",
    "warning_ms",
    "resolve_ms",
    "targets",
    "owner",
    "description",
    "enabled",
)

assert set(COMPARED_FIELDS) <= {f.name for f in fields(Alert)}


def format_ms(value: float | None) -> str:
    """750.0 -> '750 ms', 1500 -> '1500 ms', 0.5 -> '0.5 ms'; None -> 'none'."""
    if value is None:
        return "none"
    return f"{value:g} ms"


def format_window(minutes: float) -> str:
    """5 -> '5m', 60 -> '1h', 1440 -> '24h'."""
    m = int(minutes) if float(minutes).is_integer() else minutes
    if isinstance(m, int) and m >= 60 and m % 60 == 0:
        return f"{m // 60}h"
    return f"{m}m"


def format_targets(targets: tuple[Target, ...]) -> str:
    return ", ".join(t.describe() for t in targets) if targets else "none"
