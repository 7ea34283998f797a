"""Reading the usual shapes of a policy without pydantic.

pydantic checks the policy's structure (models.py) and words its errors (errors_map.py), but
importing it, building the models and validating each transaction cost about half of a
`validate` of 5,000 transactions (issue 11). A policy that is right, as nearly all are, needs
none of that: these readers accept a value only when it certainly validates, and return the
same values the models would (in objects with the same attribute names and
`model_fields_set`). Anything else, or anything they do not know (a `load_test` section, an
unknown key, a wrong type), returns None, and the caller validates that part with pydantic,
whose findings are then exactly what they always were. The rules themselves are shared with
the models (fields.py, durations.py); tests/test_policy_plain.py checks the two agree.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.policy.durations import DurationError, parse_duration_ms, parse_window_minutes
from sentry_alerts.policy.fields import (
    DATASET_CHOICES,
    KEY_RE,
    SLUG_RE,
    STATISTIC_KEYS,
    check_email,
    check_environment,
    check_non_blank,
    check_owner,
    check_slack_channel,
)

SETTINGS = ("project", "environment", "window", "owner", "notify", "runbook", "name")
_HEAD_KEYS = frozenset(("version", "name", "organization", "dataset", "defaults", "load_test",
                        "transactions"))
_THRESHOLDS = frozenset(("critical", "warning", "resolve", "metric"))
_STATISTICS = frozenset(STATISTIC_KEYS)
_DATASETS = frozenset(DATASET_CHOICES)


class Unsure(Exception):
    """The value may or may not validate: pydantic decides."""


class SlackChannel:
    __slots__ = ("channel", "channel_id", "workspace")

    def __init__(self, channel: str, channel_id: str | None, workspace: str | None) -> None:
        self.channel, self.channel_id, self.workspace = channel, channel_id, workspace


class NotifyTarget:
    """Exactly one of `slack` (a channel's text, or a SlackChannel) and `email`."""

    __slots__ = ("slack", "email")

    def __init__(self, slack: str | SlackChannel | None, email: str | None) -> None:
        self.slack, self.email = slack, email


class Sla:
    __slots__ = ("model_fields_set", "_statistic", "_ms")

    def __init__(self, statistic: str, ms: float) -> None:
        self.model_fields_set = frozenset((statistic,))
        self._statistic, self._ms = statistic, ms

    def statistic(self) -> str:
        return self._statistic

    def objective_ms(self) -> float:
        return self._ms


class AlertThresholds:
    __slots__ = ("critical", "warning", "resolve", "metric")

    def __init__(self, critical: float, warning: float | None, resolve: float | None,
                 metric: str | None) -> None:
        self.critical, self.warning, self.resolve, self.metric = critical, warning, resolve, metric


class Settings:
    """`defaults:`, or what a transaction sets of the same keys. An attribute not given is the
    class's None (instances hold only what the file sets)."""

    model_fields_set: frozenset[str] = frozenset()
    project: str | None = None
    environment: str | None = None
    window: int | None = None
    owner: str | None = None
    notify: list[NotifyTarget] | None = None
    runbook: str | None = None
    name: str | None = None


class Transaction(Settings):
    transaction: str
    id: str | None = None
    sla: Sla | None = None
    alert: AlertThresholds
    dataset: str | None = None
    load_test: None = None


class PolicyHead:
    __slots__ = ("version", "name", "organization", "dataset", "defaults", "load_test",
                 "transactions")


def read_head(data: dict[str, Any]) -> PolicyHead | None:
    """The top level (transactions left raw, as PolicyHead has them), or None: pydantic."""
    try:
        if not data.keys() <= _HEAD_KEYS or "transactions" not in data \
                or data.get("load_test") is not None:
            raise Unsure
        head = PolicyHead()
        version = data.get("version")
        if type(version) is not int or version != 1:
            raise Unsure
        head.version = 1
        head.name = _text(data.get("name"))
        if not KEY_RE.fullmatch(head.name) or len(head.name) > 64:
            raise Unsure
        head.organization = _slug_or_none(data.get("organization"))
        head.dataset = data.get("dataset", "auto")
        if type(head.dataset) is not str or head.dataset not in _DATASETS:
            raise Unsure
        defaults = data.get("defaults")
        head.defaults = None if defaults is None else read_settings(defaults, Settings())
        head.load_test = None
        transactions = data["transactions"]
        if transactions is not None and type(transactions) is not list:
            raise Unsure
        head.transactions = transactions
        return head
    except (Unsure, KeyError, ValueError):
        return None


def read_defaults(value: Any) -> Settings | None:
    """`defaults:` as the Defaults model has it, or None: pydantic (or there are none)."""
    try:
        return None if value is None else read_settings(value, Settings())
    except (Unsure, KeyError, ValueError):
        return None


def read_transaction(item: Any) -> Transaction | None:
    """One transaction as the Transaction model has it, or None: pydantic."""
    if type(item) is not dict or "transaction" not in item or "alert" not in item:
        return None
    t = Transaction()
    values = t.__dict__
    try:
        for key, value in item.items():
            values[key] = _TRANSACTION_READERS[key](value)
    except (KeyError, Unsure, ValueError):  # KeyError: a key the models do not know
        return None
    t.model_fields_set = frozenset(item)
    return t


def read_settings(data: Any, into: Settings) -> Settings:
    """`defaults:` into `into`; raises Unsure, KeyError or ValueError."""
    if type(data) is not dict:
        raise Unsure
    values = into.__dict__
    for key, value in data.items():
        values[key] = _SETTINGS_READERS[key](value)
    into.model_fields_set = frozenset(data)
    return into


def _or_none(read: Any) -> Any:
    return lambda value: None if value is None else read(value)


def _id(value: Any) -> str | None:
    if value is not None and (type(value) is not str or not KEY_RE.fullmatch(value)
                              or len(value) > 100):
        raise Unsure
    return value


def _dataset(value: Any) -> str | None:
    if value is not None and (type(value) is not str or value not in _DATASETS):
        raise Unsure
    return value


def _no_load_test(value: Any) -> None:
    if value is not None:
        raise Unsure  # the load_test models check it
    return None


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Unsure
    return value


def _slug_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str or not SLUG_RE.fullmatch(value):
        raise Unsure
    return value


def _duration(value: Any) -> float:
    if value is None:
        raise Unsure
    try:
        return parse_duration_ms(value)
    except DurationError:
        raise Unsure from None


def _sla(value: Any) -> Sla:
    if type(value) is not dict or len(value) != 1:
        raise Unsure
    ((statistic, objective),) = value.items()
    if statistic not in _STATISTICS:
        raise Unsure
    return Sla(statistic, _duration(objective))


def _thresholds(value: Any) -> AlertThresholds:
    if type(value) is not dict or not value.keys() <= _THRESHOLDS:
        raise Unsure
    warning, resolve, metric = value.get("warning"), value.get("resolve"), value.get("metric")
    if metric is not None and (type(metric) is not str or metric not in _STATISTICS):
        raise Unsure
    return AlertThresholds(_duration(value.get("critical")),
                           None if warning is None else _duration(warning),
                           None if resolve is None else _duration(resolve), metric)


def _targets(value: Any) -> list[NotifyTarget]:
    if type(value) is not list:
        raise Unsure
    found = []
    for item in value:
        if type(item) is not dict or len(item) != 1:
            raise Unsure
        ((kind, given),) = item.items()
        if kind == "email":
            found.append(NotifyTarget(None, check_email(_text(given))))
        elif kind == "slack" and type(given) is str:
            found.append(NotifyTarget(check_slack_channel(check_non_blank("slack channel",
                                                                          given)), None))
        elif kind == "slack":
            found.append(NotifyTarget(_slack_channel(given), None))
        else:
            raise Unsure
    return found


def _slack_channel(value: Any) -> SlackChannel:
    if type(value) is not dict or not value.keys() <= {"channel", "channel_id", "workspace"}:
        raise Unsure
    channel = check_slack_channel(check_non_blank("channel", _text(value.get("channel"))))
    channel_id, workspace = value.get("channel_id"), value.get("workspace")
    return SlackChannel(
        channel,
        None if channel_id is None else check_non_blank("channel_id", _text(channel_id)),
        None if workspace is None else check_non_blank("workspace", _text(workspace)))


_SETTINGS_READERS = {
    "project": _slug_or_none,
    "environment": _or_none(lambda value: check_environment(_text(value))),
    "window": _or_none(parse_window_minutes),
    "owner": _or_none(lambda value: check_owner(_text(value))),
    "notify": _or_none(_targets),
    "runbook": _or_none(lambda value: check_non_blank("runbook", _text(value))),
    "name": _or_none(lambda value: check_non_blank("name", _text(value))),
}
_TRANSACTION_READERS = {
    **_SETTINGS_READERS,
    "transaction": lambda value: check_non_blank("transaction", _text(value)),
    "id": _id,
    "sla": _or_none(_sla),
    "alert": _thresholds,
    "dataset": _dataset,
    "load_test": _no_load_test,
}


__all__ = ["SETTINGS", "AlertThresholds", "NotifyTarget", "PolicyHead", "Settings", "Sla",
           "SlackChannel", "Transaction", "read_defaults", "read_head", "read_transaction"]
