"""The policy file's structure as pydantic models (types, required and unknown keys).

These models check shape only; `checks.py` applies defaults and the semantic rules. They are
also the source of `sentry-alerts schema`, so descriptions here are what editors show.
All models are strict (no "5" -> 5 coercion) and forbid unknown keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

from sentry_alerts.model import WINDOWS_MINUTES, Statistic, format_window
from sentry_alerts.policy.durations import parse_duration_ms, parse_window_minutes
from sentry_alerts.policy.fields import (
    KEY_RE,
    OWNER_PATTERN,
    SLUG_RE,
    STATISTIC_KEYS,
    check_email,
    check_environment,
    check_key,
    check_non_blank,
    check_owner,
    check_slack_channel,
    check_slug,
)
from sentry_alerts.policy.load_test_models import (
    LoadTestRequest,
    LoadTestSettings,
    request_problem,
)

StatisticName = Statistic
DatasetName = Literal["auto", "spans", "metrics", "transactions"]


def _key(what: str, max_len: int) -> Any:
    return AfterValidator(lambda value: check_key(what, max_len, value))


def _slug(what: str) -> Any:
    return AfterValidator(lambda value: check_slug(what, value))


def _non_blank(what: str) -> Any:
    return AfterValidator(lambda value: check_non_blank(what, value))


_DURATION_SCHEMA = {
    "description": "A duration: 750ms, 0.75s, 1.5s, or a bare number of milliseconds.",
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$"},
    ],
    "examples": ["750ms", "1.5s"],
}
_WINDOW_SCHEMA = {
    "description": "Evaluation window; one of the values Sentry's UI offers.",
    "anyOf": [
        {"type": "string", "enum": [format_window(m) for m in WINDOWS_MINUTES]},
        {"type": "string", "pattern": r"^\s*\d+\s*(m|min|h)\s*$"},
    ],
    "default": "5m",
}

Duration = Annotated[float, BeforeValidator(parse_duration_ms), WithJsonSchema(_DURATION_SCHEMA)]
Window = Annotated[int, BeforeValidator(parse_window_minutes), WithJsonSchema(_WINDOW_SCHEMA)]
PolicyName = Annotated[str, _key("policy name", 64)]
TransactionKey = Annotated[str, _key("id", 100)]
ProjectSlug = Annotated[str, _slug("project")]
OrgSlug = Annotated[str, _slug("organization")]
Owner = Annotated[str, AfterValidator(check_owner)]
EnvironmentName = Annotated[str, AfterValidator(check_environment)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SlackChannel(_Strict):
    channel: Annotated[str, _non_blank("channel"), AfterValidator(check_slack_channel)] = Field(
        description='Channel name, e.g. "#ops-alerts" (or "@user" for a direct message).')
    channel_id: Annotated[str, _non_blank("channel_id")] | None = Field(
        None, description="Slack channel id, e.g. C0123ABC; avoids Sentry's slow name lookup.")
    workspace: Annotated[str, _non_blank("workspace")] | None = Field(
        None, description="Slack workspace name; needed only when Sentry has several.")


def _slack_form(value: Any) -> str:
    return "<mapping>" if isinstance(value, dict) else "<text>"


SlackValue = Annotated[
    Annotated[Annotated[str, _non_blank("slack channel"), AfterValidator(check_slack_channel)],
              Tag("<text>")]
    | Annotated[SlackChannel, Tag("<mapping>")],
    Discriminator(_slack_form),
]


class NotifyTarget(_Strict):
    """Exactly one of `slack` or `email`."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    slack: SlackValue | None = Field(
        None, description='Slack channel: "#ops-alerts" or {channel, channel_id, workspace}.')
    email: Annotated[str, AfterValidator(check_email)] | None = Field(
        None, description="Email a Sentry team or user: team:<slug> or user:<email>.",
        json_schema_extra={"pattern": OWNER_PATTERN})

    @model_validator(mode="after")
    def _exactly_one(self) -> NotifyTarget:
        given = [k for k in ("slack", "email") if getattr(self, k) is not None]
        if not given and "slack" in self.model_fields_set:
            raise ValueError(
                "`slack` is empty; if you wrote a channel such as #ops-alerts without quotes, "
                'YAML read `#` as the start of a comment. Quote it: `- slack: "#ops-alerts"`'
            )
        if len(given) != 1:
            raise ValueError(
                "a notify target has exactly one of `slack` or `email`, e.g. "
                '`- slack: "#ops-alerts"` or `- email: team:backend`'
                + ("; write them as two list items" if len(given) == 2 else "")
            )
        return self


class Sla(_Strict):
    """The objective, e.g. {p95: 500ms}: p95 of transaction duration stays below 500 ms."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    p50: Duration | None = None
    p75: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    avg: Duration | None = None
    max: Duration | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Sla:
        given = [k for k in STATISTIC_KEYS if k in self.model_fields_set and getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "sla names exactly one statistic and its objective, e.g. {p95: 500ms}"
                + (f"; it names {len(given)}: {', '.join(given)}" if given else "")
            )
        return self

    def statistic(self) -> str:
        # The validator guarantees exactly one statistic was set.
        return next(iter(self.model_fields_set))

    def objective_ms(self) -> float:
        return float(getattr(self, self.statistic()))


class AlertThresholds(_Strict):
    critical: Duration = Field(description="Alert (critical) when the statistic is above this.")
    warning: Duration | None = Field(
        None, description="Optional warning level; must be below critical.")
    resolve: Duration | None = Field(
        None, description="Optional resolve level; default: resolve when back below the lowest alert.")
    metric: StatisticName | None = Field(
        None, description="Statistic to alert on; default: the SLA's statistic.")


class Defaults(_Strict):
    """Settings every transaction inherits; each can be overridden per transaction."""

    project: ProjectSlug | None = Field(None, description="Sentry project slug.",
                                        json_schema_extra={"pattern": SLUG_RE.pattern})
    environment: EnvironmentName | None = Field(
        None, description="Sentry environment; absent or null = all environments.")
    window: Window | None = Field(None, description="Evaluation window (default 5m).")
    owner: Owner | None = Field(None, description="team:<slug> or user:<email>.",
                                json_schema_extra={"pattern": OWNER_PATTERN})
    notify: list[NotifyTarget] | None = Field(
        None, description="Where alerts go: Slack channels and/or email to a team or user.")
    runbook: Annotated[str, _non_blank("runbook")] | None = Field(
        None, description="Runbook URL, written into the alert's description.")
    name: Annotated[str, _non_blank("name")] | None = Field(
        None, description="Alert name template; default '{transaction}: {metric} latency'.")


class Transaction(Defaults):
    """One monitored transaction: its SLA and alert thresholds."""

    transaction: Annotated[str, _non_blank("transaction")] = Field(
        description="Transaction name exactly as Sentry shows it, e.g. 'GET /api/propostas'.")
    id: TransactionKey | None = Field(
        None, description="Stable key; default: derived from the transaction name.",
        json_schema_extra={"pattern": KEY_RE.pattern, "maxLength": 100})
    sla: Sla | None = None
    alert: AlertThresholds
    dataset: DatasetName | None = Field(
        None, description="Override the policy's dataset for this transaction.")
    load_test: LoadTestRequest | None = Field(
        None, description="Its request in the k6 load test (`sentry-alerts loadtest`), where "
                          "the transaction name is not enough.")

    @model_validator(mode="after")
    def _load_test_request_resolves(self) -> Transaction:
        problem = request_problem(self.transaction, self.load_test) if self.load_test else None
        if problem:
            raise ValueError(problem)
        return self


class PolicyHead(_Strict):
    """The top level, with transactions left raw: each is validated on its own (see checks)."""

    version: Literal[1] = Field(description="Format version; always 1.")
    name: PolicyName = Field(description="Policy id; part of the ownership marker on every alert.",
                             json_schema_extra={"pattern": KEY_RE.pattern, "maxLength": 64})
    organization: OrgSlug | None = Field(
        None, description="Sentry organization slug; --org / SENTRY_ORG override it.",
        json_schema_extra={"pattern": SLUG_RE.pattern})
    dataset: DatasetName = Field(
        "auto", description="auto picks what the server supports: spans, metrics, transactions.")
    defaults: Defaults | None = None
    load_test: LoadTestSettings | None = Field(
        None, description="k6 load test settings (`sentry-alerts loadtest`): base URL variable, "
                          "auth, default headers and statuses, load profile.")
    transactions: list[Any] | None = Field(description="The monitored transactions.")


class PolicyDocument(PolicyHead):
    """The full document (used for the JSON Schema)."""

    transactions: list[Transaction] | None = Field(description="The monitored transactions.")


OVERRIDABLE: tuple[str, ...] = tuple(Defaults.model_fields)
