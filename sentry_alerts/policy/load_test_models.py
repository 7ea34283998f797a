"""The policy's optional `load_test` sections as pydantic models (shape and local rules).

A policy already knows its endpoints, SLAs and alert thresholds; these sections add what a k6
load test needs besides: where the service is (an environment variable, never a URL in git),
the request where the transaction name is not enough (path parameters, a JSON body, headers),
an auth header whose value is read from the environment when k6 runs, the expected statuses
and the load profile. The top-level section holds the run-wide settings and the request
defaults; a transaction's section describes its request. `sentry_alerts.loadtest` turns both
into a k6 script.

Like models.py, the models are strict and forbid unknown keys; credentials are refused here so
that `validate` catches them before they reach a committed script.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from sentry_alerts.policy.durations import parse_duration_ms

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
PRESET_PROFILES = ("smoke", "ramp", "soak", "burst")
DEFAULT_PEAK_VUS = 50
DEFAULT_MAX_ERROR_RATE = 0.01
DEFAULT_THINK_TIME_MS = 1000.0

_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)
_PROFILE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Path parameters as web frameworks name them in transaction names: {id} (FastAPI, Spring,
# Django's url style), :id (Express, Rails), <id> and <int:id> (Flask).
PATH_PARAM_RE = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>|(?<=/):(\w+)")
# Header names whose values are credentials: they belong in `auth` (read from the environment
# when k6 runs), not in a policy that is committed and copied into a committed script.
_SECRET_HEADER_RE = re.compile(
    r"^(authorization|proxy-authorization|cookie)$|token|secret|passw|api-?key|session",
    re.IGNORECASE)


def _env_name(what: str) -> Any:
    def check(value: str) -> str:
        if not _ENV_RE.fullmatch(value):
            raise ValueError(f"{what} {value!r} is not an environment variable name (letters, "
                             "digits and `_`, not starting with a digit), e.g. BASE_URL")
        return value

    return AfterValidator(check)


def _check_header_name(value: str) -> str:
    if not _HEADER_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an HTTP header name (no spaces or `:`), "
                         "e.g. X-Request-Source")
    return value


def _check_header_values(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        if _SECRET_HEADER_RE.search(name):
            raise ValueError(
                f"header `{name}` looks like a credential, and headers are written into the k6 "
                "script, which is committed. Read it from the environment when k6 runs instead: "
                f"`load_test: {{auth: {{env: LOAD_TEST_TOKEN, header: {name}}}}}` at the top "
                "level of the policy")
        if "\n" in value or "\r" in value:
            raise ValueError(f"header `{name}` has a line break in its value; remove it")
    return headers


def _check_statuses(statuses: list[int]) -> list[int]:
    if not statuses:
        raise ValueError("expected_status is empty; list the statuses that count as success, "
                         "e.g. [200, 201]")
    for status in statuses:
        if not 100 <= status <= 599:
            raise ValueError(f"{status} is not an HTTP status (100-599); e.g. [200, 201]")
    return sorted(set(statuses))


def parse_think_time_ms(value: object) -> float:
    """Like a duration, but 0 (no pause between iterations) is allowed."""
    if value == 0 and not isinstance(value, bool):
        return 0.0
    if isinstance(value, str) and re.fullmatch(r"\s*0+(\.0*)?\s*(ms|s|m|min|h)?\s*", value):
        return 0.0
    return parse_duration_ms(value)


def parse_error_rate(value: object) -> float:
    """`1%` or `0.01` -> 0.01; between 0 and 1 (0 = no failed request is tolerated)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("max_error_rate is a share of failed requests: `1%` or `0.01`")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*", value)
        if not m:
            raise ValueError(f"max_error_rate {value!r} is not a percentage; write e.g. `1%` or "
                             "`0.01`")
        rate = float(m.group(1)) / 100
    else:
        rate = float(value)
    if not math.isfinite(rate) or not 0 <= rate <= 1:
        raise ValueError(f"max_error_rate must be between 0% and 100%, got {value!r}; e.g. `1%`")
    return rate


_K6_DURATION_SCHEMA = {
    "description": "A duration: 30s, 2m, 1h, 500ms (a bare number means milliseconds).",
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$"},
    ],
}
_RATE_SCHEMA = {
    "description": "Share of failed requests tolerated per endpoint: `1%` or `0.01`.",
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*%\s*$"},
    ],
    "default": "1%",
}

StageDuration = Annotated[float, BeforeValidator(parse_duration_ms),
                          WithJsonSchema(_K6_DURATION_SCHEMA)]
ThinkTime = Annotated[float, BeforeValidator(parse_think_time_ms), WithJsonSchema({
    **_K6_DURATION_SCHEMA, "anyOf": [{"type": "number", "minimum": 0},
                                     _K6_DURATION_SCHEMA["anyOf"][1]], "default": "1s"})]
ErrorRate = Annotated[float, BeforeValidator(parse_error_rate), WithJsonSchema(_RATE_SCHEMA)]
EnvName = Annotated[str, _env_name("environment variable")]
HeaderName = Annotated[str, AfterValidator(_check_header_name)]
Headers = Annotated[dict[HeaderName, str], AfterValidator(_check_header_values)]
Statuses = Annotated[list[int], AfterValidator(_check_statuses)]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Stage(_Strict):
    """One k6 stage: move linearly to `target` virtual users over `duration`."""

    duration: StageDuration = Field(description="How long the stage lasts, e.g. 1m.")
    target: Annotated[int, Field(ge=0, le=10_000)] = Field(
        description="Virtual users at the end of the stage (0 ramps down).")


class LoadTestAuth(_Strict):
    """An auth header whose value k6 reads from an environment variable when it runs; the value
    is never written into the script or the policy."""

    env: EnvName = Field(description="Environment variable holding the credential, e.g. "
                                     "LOAD_TEST_TOKEN.")
    header: HeaderName = Field("Authorization", description="Header to send it in.")
    scheme: str = Field(
        "Bearer", description="Written before the value (`Bearer <token>`); an empty string "
                              "sends the value alone, e.g. for X-Api-Key.")


class LoadTestSettings(_Strict):
    """The top-level `load_test` section: run-wide settings and every request's defaults."""

    base_url_env: EnvName = Field(
        "BASE_URL", description="Environment variable holding the service's base URL "
                                "(`loadtest run --base-url` sets it).")
    auth: LoadTestAuth | None = Field(
        None, description="Auth header read from an environment variable at run time.")
    headers: Headers | None = Field(
        None, description="Headers sent with every request (no credentials: use `auth`).")
    expected_status: Statuses | None = Field(
        None, description="Statuses that count as success; default any 2xx.")
    profile: Annotated[str, Field(pattern=_PROFILE_RE.pattern)] = Field(
        "ramp", description="The default load profile: smoke, ramp, soak, burst, or one "
                            "defined under `profiles`.")
    vus: Annotated[int, Field(ge=1, le=10_000)] = Field(
        DEFAULT_PEAK_VUS, description="Peak virtual users of the ramp, soak and burst presets.")
    profiles: dict[Annotated[str, Field(pattern=_PROFILE_RE.pattern)],
                   Annotated[list[Stage], Field(min_length=1)]] | None = Field(
        None, description="Profiles as k6 stages; a preset's name replaces the preset.")
    think_time: ThinkTime = Field(
        DEFAULT_THINK_TIME_MS, description="Pause of each virtual user between iterations.")
    max_error_rate: ErrorRate = Field(
        DEFAULT_MAX_ERROR_RATE, description="Failed requests tolerated per endpoint.")

    @model_validator(mode="after")
    def _known_profile(self) -> LoadTestSettings:
        known = (*PRESET_PROFILES, *(self.profiles or {}))
        if self.profile not in known:
            raise ValueError(
                f"load_test.profile {self.profile!r} is neither a preset ({', '.join(PRESET_PROFILES)}) "
                "nor defined under `load_test.profiles`")
        return self


class LoadTestRequest(_Strict):
    """A transaction's `load_test` section: its request, where the name is not enough."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] | None = Field(
        None, description="HTTP method; default: the transaction name's first word.")
    path: Annotated[str, Field(pattern=r"^/\S*$")] | None = Field(
        None, description="Request path; default: the transaction name's path.")
    params: dict[str, Scalar] | None = Field(
        None, description="Path parameters, e.g. {id: 42} for /api/propostas/{id}.")
    query: dict[str, Scalar] | None = Field(None, description="Query string parameters.")
    body: dict[str, Any] | list[Any] | None = Field(
        None, description="JSON body (sent with Content-Type: application/json).")
    headers: Headers | None = Field(
        None, description="Headers for this request, on top of load_test.headers.")
    expected_status: Statuses | None = Field(
        None, description="Statuses that count as success; replaces load_test.expected_status.")
    skip: bool = Field(False, description="Leave this transaction out of the load test.")


def split_transaction_name(name: str) -> tuple[str | None, str | None]:
    """'GET /api/propostas' -> ('GET', '/api/propostas'); '/api/x' -> (None, '/api/x');
    'tasks.send_email' -> (None, None)."""
    first, _, rest = name.strip().partition(" ")
    if first.upper() in HTTP_METHODS and rest.strip().startswith("/"):
        return first.upper(), rest.strip()
    if name.strip().startswith("/") and " " not in name.strip():
        return None, name.strip()
    return None, None


def path_parameters(path: str) -> list[str]:
    """Names of the placeholders in a path, in order: /a/{id}/b/:sub -> ['id', 'sub']."""
    return [next(g for g in m.groups() if g) for m in PATH_PARAM_RE.finditer(path)]


def request_problem(transaction: str, request: LoadTestRequest) -> str | None:
    """Why this transaction's request cannot be built, or None."""
    if request.skip:
        return None
    _, named_path = split_transaction_name(transaction)
    path = request.path or named_path
    if path is None:
        return (f"the load test cannot tell which request `{transaction}` is (its name is not "
                "`METHOD /path`); set `path:` (and `method:`) under its load_test, or "
                "`skip: true` to leave it out")
    wanted = path_parameters(path.split("?", 1)[0])
    given = set(request.params or {})
    missing = [p for p in wanted if p not in given]
    if missing:
        example = ", ".join(f"{p}: 42" for p in missing)
        return (f"the path {path} has parameter{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} with no value; add `params: {{{example}}}` under load_test")
    unused = sorted(given - set(wanted))
    if unused:
        return (f"params {', '.join(unused)} do not appear in the path {path}; remove them, "
                "or use `query:` for query-string parameters")
    return None
