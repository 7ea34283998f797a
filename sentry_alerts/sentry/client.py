"""The HTTP client for Sentry's API: one session, timeouts, retries, pacing, pagination, and
errors that read as one sentence.

What it guarantees (docs/sentry-api.md has the details and sources):
- Retries (tenacity) on connection failures, 5xx and 429, waiting until
  `X-Sentry-Rate-Limit-Reset` when Sentry sends it, otherwise exponential backoff with jitter,
  all within a bounded total time (`retry_budget`).
- A POST is never retried blindly once it may have reached the server (read timeout, a
  connection dropped after sending, 5xx): `UncertainWriteError` is raised instead, so the
  caller can look the object up (by its ownership marker) before trying again. A POST answered
  429 was not processed and is retried.
- At most `X-Sentry-Rate-Limit-ConcurrentLimit` requests in flight, and new requests wait for the
  next window when `X-Sentry-Rate-Limit-Remaining` says the current one is used up.
- The token is sent in the Authorization header only; it is never part of a message, a log
  line or a repr.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import tenacity
import urllib3

from sentry_alerts import __version__
from sentry_alerts.errors import AuthError, SentryAlertsError, SentryAPIError
from sentry_alerts.sentry.deadline import Deadline, DeadlineError, capped_reset, server_skew
from sentry_alerts.sentry.listing import page_of

log = logging.getLogger("sentry_alerts.sentry")

PER_PAGE = 100  # Sentry's maximum (notes §1.4)
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRY_BUDGET = 120.0  # seconds one request may spend on retries
DEFAULT_MAX_ATTEMPTS = 10  # and at most this many tries
CONNECT_TIMEOUT = 5.0  # seconds to open a connection (a dead host fails this fast)
DEFAULT_CONCURRENCY = 25  # Sentry SaaS's usual concurrent limit (notes §1.5)

JSON = Any


class UncertainWriteError(SentryAPIError):
    """A POST may or may not have been applied (its answer was lost or was a 5xx).

    Retrying it blindly could create a duplicate; the caller must look the object up first.
    `still_running` is True when no answer came in time: Sentry may still be working on it.
    """

    still_running = False


class InsecureURLError(SentryAlertsError):
    """Plain http:// to a host that is not this machine."""


@dataclass
class ApiResponse:
    status: int
    body: JSON
    headers: Mapping[str, str]
    links: dict[str, dict[str, str]] = field(default_factory=dict)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, insecure: bool = False) -> str:
    """The base URL without a trailing slash or `/api/0`; raises a clear error when unusable."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SentryAlertsError(
            f"the Sentry URL {raw!r} is not an http(s) URL; pass e.g. --url https://sentry.io "
            "or your self-hosted address.")
    if parts.scheme == "http" and not insecure and not is_loopback(parts.hostname):
        raise InsecureURLError(
            f"refusing to send the Sentry token over plain http:// to {parts.hostname}: use "
            "https://, or pass --insecure if this network is trusted (http:// is only allowed "
            "to this machine by default).")
    base = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    if base.endswith("/api/0"):
        base = base[: -len("/api/0")]
    return base


# --- turning Sentry's error bodies into readable text ---


def flatten_sentry_body(body: JSON) -> str:
    """Sentry's error body, verbatim but flattened: `detail`, `message`, lists joined, field
    errors as `field: message` (nested paths like `triggers[0].actions[0].targetIdentifier`)."""
    parts: list[str] = []

    def walk(value: JSON, path: str) -> None:
        if value is None or value == "" or value == [] or value == {}:
            return
        if isinstance(value, str | int | float | bool):
            text = str(value)
            parts.append(f"{path}: {text}" if path else text)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                child = path if isinstance(item, str | int | float) else f"{path}[{i}]"
                walk(item, child)
        elif isinstance(value, dict):
            if "detail" in value and path == "":
                detail = value["detail"]
                if isinstance(detail, dict) and "message" in detail:
                    walk(detail["message"], "")
                else:
                    walk(detail, "")
                return
            if "message" in value and path == "" and isinstance(value["message"], str):
                walk(value["message"], "")
                return
            for key, item in value.items():
                if key in ("nonFieldErrors", "non_field_errors", "detail"):
                    walk(item, path)
                else:
                    walk(item, f"{path}.{key}" if path else str(key))

    walk(body, "")
    return "; ".join(p.strip() for p in parts if p.strip())


# Sentry's refusals of transaction-based datasets (notes §2.4).
DATASET_REFUSALS = (
    "Creation of transaction-based alerts is disabled",
    "Updates to transaction-based alerts is disabled",
    "must use the `generic_metrics` dataset",
    "does not have access to the `generic_metrics` dataset",
)


# The monitor quota (`enforce_quota`, notes §5.2): a bare list `["Used 5/5 of allowed
# metric_issue monitors."]`.
QUOTA_REFUSAL = re.compile(r"Used \d+/\d+ of allowed \w+ monitors")


def _scope_needed(method: str) -> str:
    return "org:read" if method == "GET" else "alerts:write"


def describe_http_error(method: str, path: str, status: int | None, body: JSON,
                        *, org: str | None = None, what: str | None = None) -> str:
    """One sentence: which call, what Sentry said, what to do."""
    call = f"{method} {path}"
    said = flatten_sentry_body(body) if body not in (None, "") else ""
    said_part = f": Sentry said \"{said}\"" if said else ""
    subject = f"{call} ({what})" if what else call
    if status == 401:
        advice = ("the token is invalid or expired; create a new one (Settings → Auth Tokens) "
                  "and set SENTRY_AUTH_TOKEN")
    elif status == 403:
        advice = (f"the token lacks the scope this call needs ({_scope_needed(method)}; "
                  "sentry-alerts needs org:read and alerts:write), or your role may not change "
                  "alerts in this project")
    elif status == 404:
        target = f"organization {org!r}" if org else "the organization"
        advice = (f"{target}, the project or the object is unknown to this Sentry (check --org, "
                  "the project slugs in the policy and --url), or this Sentry does not serve "
                  "this API")
    elif status == 410 and ("/detectors/" in path or "/workflows/" in path):
        advice = ("this Sentry does not serve the monitors API there (a brownout or an older "
                  "server); try again later, or use --backend alert-rules on a server that "
                  "still serves the legacy alert rules")
    elif status == 410:
        advice = ("this Sentry no longer serves that API (sentry.io retired the legacy alert "
                  "rules in 2026); use --backend monitors")
    elif status == 429:
        advice = ("Sentry kept rate-limiting the requests until the retry budget ran out; "
                  "try again later or with a lower --parallelism")
    elif status is not None and status >= 500:
        advice = "Sentry had an internal error; try again later (re-running is safe)"
    elif status == 400 and QUOTA_REFUSAL.search(said):
        advice = ("the organization has as many monitors as its plan allows; delete monitors "
                  "it no longer needs or raise the plan's limit, then run apply again (what was "
                  "already applied stays)")
    elif status == 400 and any(text in said for text in DATASET_REFUSALS):
        advice = ("this Sentry refuses that dataset for new alerts; set `dataset: spans` (or "
                  "`auto`) in the policy")
    elif status == 400:
        advice = "fix the value Sentry names in the policy and re-run"
    else:
        advice = "check the request and try again"
    status_text = f"answered {status}" if status is not None else "failed"
    return f"Sentry {status_text} to {subject}{said_part}; {advice}."


# How a request can fail before any answer: (kind, the reason in words, the likely fix).
# "dns", "refused" and "tls" are mistakes in --url far more often than passing trouble, so they
# are not retried on the first contact with a host (see `SentryClient._attempt`).
FAIL_FAST_KINDS = frozenset({"dns", "refused", "tls", "connect-timeout"})


def _connection_failure(base: str, exc: BaseException) -> tuple[str, str]:
    """(kind, one clause saying what happened and what to do) for a request that got no
    answer."""
    host = urlsplit(base).hostname or base
    chain = _exception_chain(exc)
    text = " ".join(type(e).__name__ + " " + str(e) for e in chain)
    if any(isinstance(e, urllib3.exceptions.NameResolutionError) for e in chain) or \
            "Name or service not known" in text or "nodename nor servname" in text \
            or "getaddrinfo failed" in text or "Temporary failure in name resolution" in text:
        return "dns", (f"the host name {host} could not be resolved (DNS); check the spelling "
                       "of --url / SENTRY_URL")
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "refused", (f"the connection to {host} was refused (nothing listens there); "
                           "check the address and port in --url / SENTRY_URL, and that Sentry "
                           "is running")
    if any(isinstance(e, requests.exceptions.SSLError) for e in chain):
        return "tls", (f"the TLS handshake with {host} failed ({_tls_reason(chain)}); check "
                       "--url / SENTRY_URL (http:// or https://?), or pass --ca-bundle with "
                       "your certificate authority's certificate")
    if any(isinstance(e, requests.exceptions.ConnectTimeout
                      | urllib3.exceptions.ConnectTimeoutError) for e in chain):
        return "connect-timeout", (f"{host} did not accept a connection in time; check --url / "
                                   "SENTRY_URL, or a firewall or proxy (HTTPS_PROXY) in between")
    if any(isinstance(e, requests.exceptions.Timeout) for e in chain):
        return "timeout", f"{host} did not answer in time; try again later"
    return "other", f"the connection to {host} failed ({type(exc).__name__}); try again later"


def _tls_reason(chain: list[BaseException]) -> str:
    """The SSL library's own words, shortened: `certificate verify failed: self-signed
    certificate`, `wrong version number` (an http:// server asked for https://)."""
    for e in chain:
        if isinstance(e, ssl.SSLError) and not isinstance(e, requests.exceptions.SSLError):
            verify = getattr(e, "verify_message", None)
            reason = getattr(e, "reason", None)
            if verify:
                return f"certificate verify failed: {verify}"
            if reason:
                return str(reason).replace("_", " ").lower()
    return "certificate or protocol"


def _retry_cause(error: SentryAPIError) -> str:
    """What went wrong with one attempt, briefly, for the retry notice."""
    if error.status == 429:
        return f"Sentry rate-limited {error.call} (429)"
    if error.status is not None:
        return f"Sentry answered {error.status} to {error.call}"
    return f"{error.call} got no answer"


def _exception_chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if e in seen:
            continue
        seen.append(e)
        for nxt in (e.__cause__, e.__context__, getattr(e, "reason", None)):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
        for arg in getattr(e, "args", ()):
            if isinstance(arg, BaseException):
                todo.append(arg)
    return seen


def _not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (safe to retry any method)."""
    chain = _exception_chain(exc)
    return any(isinstance(e, requests.exceptions.ConnectTimeout | urllib3.exceptions.NewConnectionError
                          | urllib3.exceptions.ConnectTimeoutError) for e in chain)


# --- pacing under Sentry's rate limits ---


@dataclass
class _Bucket:
    window_end: float | None = None  # epoch seconds when the current window resets
    remaining: int | None = None  # requests still allowed in it (our conservative estimate)
    limit: int | None = None
    in_flight: int = 0


class RateGate:
    """Keeps requests under Sentry's concurrency and per-window limits, as its headers report.

    Limits are per (caller, endpoint) on Sentry; callers pass a bucket name per endpoint.
    """

    def __init__(self, max_concurrency: int = DEFAULT_CONCURRENCY,
                 clock: Callable[[], float] = time.time) -> None:
        self._cond = threading.Condition()
        self.capacity = max(1, max_concurrency)
        self._in_flight = 0
        self._buckets: dict[str, _Bucket] = {}
        self._clock = clock
        self._skew = 0.0  # Sentry's clock minus ours (its Date header), for its reset times

    def acquire(self, bucket: str, deadline: Deadline | None = None, call: str = "") -> None:
        """Wait for a slot; `deadline` (the command's) ends the wait with DeadlineError."""
        limit = deadline or Deadline(None)
        with self._cond:
            b = self._buckets.setdefault(bucket, _Bucket())
            while True:
                limit.check(call or bucket)
                now = self._clock() + self._skew
                if b.window_end is not None and now >= b.window_end:
                    # A new window: the limit is known from the last one, the rest is not yet.
                    b.window_end = None
                    b.remaining = None if b.limit is None else b.limit - b.in_flight
                if self._in_flight >= self.capacity:
                    self._cond.wait(min(0.5, limit.remaining() + 0.01))
                    continue
                if b.remaining is not None and b.remaining <= 0:
                    wait = (b.window_end - now) if b.window_end is not None else 0.05
                    self._cond.wait(min(max(wait, 0.0) + 0.005, 5.0, limit.remaining() + 0.01))
                    if b.window_end is None:  # nothing tells us when it resets; try again
                        b.remaining = None
                    continue
                break
            self._in_flight += 1
            b.in_flight += 1
            if b.remaining is not None:
                b.remaining -= 1

    def release(self, bucket: str, headers: Mapping[str, str] | None) -> None:
        with self._cond:
            b = self._buckets.setdefault(bucket, _Bucket())
            self._in_flight = max(0, self._in_flight - 1)
            b.in_flight = max(0, b.in_flight - 1)
            if headers:
                skew = server_skew(headers)
                if skew is not None:
                    self._skew = skew
                self._learn(b, headers)
            self._cond.notify_all()

    def _learn(self, b: _Bucket, headers: Mapping[str, str]) -> None:
        concurrent = _int_header(headers, "X-Sentry-Rate-Limit-ConcurrentLimit")
        if concurrent is not None and concurrent > 0:
            self.capacity = max(1, min(self.capacity, concurrent))
        remaining = _int_header(headers, "X-Sentry-Rate-Limit-Remaining")
        limit = _int_header(headers, "X-Sentry-Rate-Limit-Limit")
        reset = _float_header(headers, "X-Sentry-Rate-Limit-Reset")
        if reset is not None:
            reset = capped_reset(reset, headers)
        if limit is not None:
            b.limit = limit
        if remaining is None or reset is None:
            return
        # Our own count (decremented when a request is sent) already includes the requests in
        # flight; the server's `remaining` adds what others spent with this token. Without our
        # own count (the first window), requests in flight may not be counted by the server yet.
        if b.window_end is None or reset > b.window_end:
            b.window_end = reset
        if reset == b.window_end:
            b.remaining = remaining - b.in_flight if b.remaining is None \
                else min(b.remaining, remaining)

    def exhausted_until(self, bucket: str, reset: float) -> None:
        """A 429 said the window is used up until `reset`."""
        with self._cond:
            b = self._buckets.setdefault(bucket, _Bucket())
            b.window_end = max(b.window_end or 0.0, reset)
            b.remaining = 0


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying; `wait` is Sentry's hint."""

    def __init__(self, final: SentryAPIError, wait: float | None = None) -> None:
        super().__init__(final.message)
        self.final = final
        self.wait = wait


# --- the client ---


_ID_SEGMENT = re.compile(r"/(\d+|[0-9a-f]{32})(?=/)")


@dataclass
class _RunMemory:
    """What every client of one run shares (the org's region client is a clone): which hosts
    have answered at least once, and which deprecation notices were already shown."""

    answered: set[str] = field(default_factory=set)
    deprecations: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SentryClient:
    """A Sentry API client for one base URL and token. Thread-safe; share one per run.

    It logs to the `sentry_alerts.sentry` logger: each HTTP call at INFO (method, path, status,
    time, attempt; never headers or the token: `-v`), each retry and Sentry's deprecation
    notices at WARNING (always shown by the CLI)."""

    def __init__(self, base_url: str, token: str, *, org: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, retry_budget: float = DEFAULT_RETRY_BUDGET,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 insecure: bool = False, max_concurrency: int = DEFAULT_CONCURRENCY,
                 backoff_base: float = 0.5, backoff_max: float = 10.0,
                 session: requests.Session | None = None, gate: RateGate | None = None,
                 memory: _RunMemory | None = None, ca_bundle: str | None = None) -> None:
        self.base_url = check_url(base_url, insecure=insecure)
        self.insecure = insecure
        self.org = org
        self.timeout = timeout
        self.retry_budget = retry_budget
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.gate = gate or RateGate(max_concurrency)
        self._memory = memory or _RunMemory()
        self._token = token
        self._session = session or _new_session(max_concurrency)
        # Proxies and CA bundle from the environment, read once (our sessions do not read it
        # again per request: that cost about a millisecond a request, 10,000 times in an apply).
        self._environment = _environment_settings(self.base_url) \
            if not self._session.trust_env else {}
        self.deadline = Deadline(None)  # the command's overall --timeout (connect sets it)
        self.ca_bundle = ca_bundle  # a self-hosted Sentry's own certificate authority
        if ca_bundle:  # --ca-bundle wins over REQUESTS_CA_BUNDLE
            self._environment = {**self._environment, "verify": ca_bundle}
        self.request_count = 0  # every HTTP request sent (retries included), for benchmarks
        self._count_lock = threading.Lock()
        # Optional observer of every request sent: (method, path, json body) (tests, benchmarks).
        self.on_request: Callable[[str, str, JSON], None] | None = None

    def __repr__(self) -> str:
        return f"SentryClient(base_url={self.base_url!r}, org={self.org!r}, token=<hidden>)"

    __str__ = __repr__

    def with_base_url(self, base_url: str) -> SentryClient:
        """The same client (session, pacing, token) for another base URL, e.g. the org's region."""
        clone = SentryClient(base_url, self._token, org=self.org, timeout=self.timeout,
                             retry_budget=self.retry_budget, max_attempts=self.max_attempts,
                             insecure=self.insecure, backoff_base=self.backoff_base,
                             backoff_max=self.backoff_max, session=self._session,
                             gate=self.gate, memory=self._memory, ca_bundle=self.ca_bundle)
        clone.on_request = self.on_request
        clone.deadline = self.deadline
        return clone

    # -- public calls --

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            bucket: str | None = None, what: str | None = None) -> JSON:
        return self.request("GET", path, params=params, bucket=bucket, what=what).body

    def post(self, path: str, body: JSON, *, bucket: str | None = None,
             what: str | None = None) -> ApiResponse:
        return self.request("POST", path, json_body=body, bucket=bucket, what=what)

    def put(self, path: str, body: JSON, *, bucket: str | None = None,
            what: str | None = None) -> ApiResponse:
        return self.request("PUT", path, json_body=body, bucket=bucket, what=what)

    def delete(self, path: str, *, bucket: str | None = None,
               what: str | None = None) -> ApiResponse:
        return self.request("DELETE", path, bucket=bucket, what=what)

    def paginate(self, path: str, params: Mapping[str, Any] | None = None, *,
                 bucket: str | None = None, what: str | None = None,
                 deprecation_ok: bool = False) -> Iterator[list[JSON]]:
        """Each page's items, following `Link: <…>; rel="next"; results="true"; cursor="…"`.
        `deprecation_ok`: a lookup in a deprecated API on purpose (no deprecation warning)."""
        query: dict[str, Any] = {"per_page": PER_PAGE, **(params or {})}
        seen_cursors: set[str] = set()
        while True:
            resp = self.request("GET", path, params=query, bucket=bucket, what=what,
                                deprecation_ok=deprecation_ok)
            body = resp.body
            if not isinstance(body, list):
                raise SentryAPIError(
                    f"Sentry answered GET {path} with something that is not a list; check that "
                    "--url points at Sentry's API.", status=resp.status, call=f"GET {path}")
            yield page_of(body, resp.headers)  # with X-Hits: listing.PageChecks compares them
            nxt = resp.links.get("next")
            # Sentry marks an empty next page with results="false"; without that attribute
            # (a proxy rewrote the header), a full page means there may be more.
            more = nxt.get("results") == "true" if nxt and "results" in nxt else \
                bool(nxt) and len(body) >= int(query.get("per_page", PER_PAGE))
            if not nxt or not more:
                return
            cursor = nxt.get("cursor") or _cursor_from_url(nxt.get("url", ""))
            if not cursor or cursor in seen_cursors:
                # A loop or a next page without a cursor: the listing cannot be trusted to be
                # complete (a later page's error makes it incomplete; see collect_pages).
                raise SentryAPIError(
                    f"Sentry's answer to GET {path} " + ("named the same next page twice (a "
                    "cursor that loops back)" if cursor else "announced a next page without a "
                    "cursor") + "; the listing is incomplete.", status=resp.status,
                    call=f"GET {path}")
            seen_cursors.add(cursor)
            query = {**query, "cursor": cursor}

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json_body: JSON = None, bucket: str | None = None,
                what: str | None = None, deprecation_ok: bool = False) -> ApiResponse:
        """One call with retries; raises SentryAPIError (or AuthError / UncertainWriteError)."""
        if not path.startswith("/"):
            path = "/" + path
        bucket = bucket or f"{method} {_ID_SEGMENT.sub('/{id}', path)}"
        self.deadline.check(f"{method} {path}")
        deadline = time.monotonic() + min(self.retry_budget, self.deadline.remaining())

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = exc.wait if isinstance(exc, _Retry) else None
            n = state.attempt_number
            backoff = min(self.backoff_max, self.backoff_base * (2 ** (n - 1)))
            delay = hinted if hinted is not None else random.uniform(0, backoff) + backoff / 2
            return max(0.0, min(delay, deadline - time.monotonic()))

        def stop(state: tenacity.RetryCallState) -> bool:
            return state.attempt_number >= self.max_attempts or \
                time.monotonic() >= deadline - 0.01

        def say_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, _Retry):
                return
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning("%s; retrying in %.1f s (attempt %d of %d; each request is retried "
                        "for at most %g s)", _retry_cause(exc.final), delay,
                        state.attempt_number + 1, self.max_attempts, self.retry_budget)

        retrying = tenacity.Retrying(retry=tenacity.retry_if_exception_type(_Retry), wait=wait,
                                     stop=stop, before_sleep=say_retry, reraise=True)
        attempt = 0
        try:
            for try_ in retrying:
                with try_:
                    attempt += 1
                    return self._attempt(method, path, params, json_body, bucket, what, attempt,
                                         deprecation_ok)
        except _Retry as exc:
            if self.deadline.remaining() <= 0.05:
                raise DeadlineError(
                    f"the command's overall --timeout of {self.deadline.seconds:g} s ran out "
                    f"while {method} {path} was being retried (last: "
                    f"{exc.final.message.rstrip('.')}); what was done before it stays done. "
                    "Run it again, or pass a longer --timeout.", status=exc.final.status,
                    call=exc.final.call) from None
            raise exc.final from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one attempt --

    def _attempt(self, method: str, path: str, params: Mapping[str, Any] | None, json_body: JSON,
                 bucket: str, what: str | None, attempt: int = 1,
                 deprecation_ok: bool = False) -> ApiResponse:
        url = self.base_url + path
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": f"sentry-alerts/{__version__}",
        }
        data = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(json_body).encode()
        call = f"{method} {path}"
        if self.on_request is not None:
            self.on_request(method, path, json_body)
        with self._count_lock:
            self.request_count += 1
        self.gate.acquire(bucket, self.deadline, call)
        resp: requests.Response | None = None
        tried = f" (attempt {attempt} of {self.max_attempts})" if attempt > 1 else ""
        started = time.monotonic()
        host = urlsplit(self.base_url).netloc
        try:
            # TLS is always verified (--insecure only allows plain http://); a private CA is
            # given with --ca-bundle or REQUESTS_CA_BUNDLE.
            resp = self._session.request(
                method, url, params=params, data=data, headers=headers,
                timeout=(min(CONNECT_TIMEOUT, self.timeout),
                         max(0.5, min(self.timeout, self.deadline.remaining()))),
                allow_redirects=False, **{"verify": True, **self._environment})
        except requests.exceptions.RequestException as exc:
            self.gate.release(bucket, None)
            kind, reason = _connection_failure(self.base_url, exc)
            message = f"Sentry at {self.base_url} could not be reached for {call}: {reason}."
            log.info("%s → no answer (%s) in %.3f s%s", call, kind,
                     time.monotonic() - started, tried)
            with self._memory.lock:
                first_contact = host not in self._memory.answered
            # A wrong or dead --url fails at once, not after the whole retry budget: a name
            # that does not resolve and a TLS failure never heal by waiting, and nobody
            # listening on a host that never answered this run is a wrong address, not a
            # restart. Later in a run, refusals and timeouts are retried (a proxy restarting).
            if kind in ("dns", "tls") or (kind in FAIL_FAST_KINDS and first_contact):
                raise SentryAPIError(message, call=call) from None
            if method == "POST" and not _not_sent(exc):
                uncertain = UncertainWriteError(
                    message[:-1] + "; the request may have reached Sentry, so it is checked "
                    "before being sent again.", call=call)
                uncertain.still_running = isinstance(exc, requests.exceptions.ReadTimeout)
                raise uncertain from None
            if isinstance(exc, requests.exceptions.InvalidURL):
                raise SentryAPIError(message, call=call) from None
            raise _Retry(SentryAPIError(message, call=call)) from None
        finally:
            if resp is not None:
                self.gate.release(bucket, resp.headers)
        with self._memory.lock:
            self._memory.answered.add(host)
        log.info("%s → %s in %.3f s%s", call, resp.status_code, time.monotonic() - started,
                 tried)
        if not deprecation_ok:
            self._note_deprecation(call, resp.headers)
        return self._handle(method, path, resp, bucket, what)

    def _note_deprecation(self, call: str, headers: Mapping[str, str]) -> None:
        """Sentry's `X-Sentry-Deprecation-Date` / `X-Sentry-Replacement-Endpoint` become one
        warning per run (per date and replacement), not one per request."""
        date = headers.get("X-Sentry-Deprecation-Date")
        if not date:
            return
        replacement = headers.get("X-Sentry-Replacement-Endpoint") or ""
        with self._memory.lock:
            if (date, replacement) in self._memory.deprecations:
                return
            self._memory.deprecations.add((date, replacement))
        instead = (f"; its replacement is {replacement}"
                   + (" (the monitors API: --backend monitors, or auto)"
                      if "/detectors/" in replacement or "/workflows/" in replacement else "")
                   if replacement else "")
        log.warning("Sentry says %s is deprecated and may stop working from %s%s.",
                    call, date.split("T")[0], instead)

    def _handle(self, method: str, path: str, resp: requests.Response, bucket: str,
                what: str | None) -> ApiResponse:
        call = f"{method} {path}"
        status = resp.status_code
        body = _parse_body(resp)
        if 200 <= status < 300:
            if body is _INVALID:
                raise SentryAPIError(
                    f"Sentry answered {status} to {call} with a body that is not JSON; "
                    "check that --url points at Sentry's API (not a proxy or login page).",
                    status=status, call=call)
            return ApiResponse(status, body, resp.headers, dict(resp.links))
        if body is _INVALID:
            body = None
        if 300 <= status < 400:
            where = resp.headers.get("Location", "elsewhere")
            raise SentryAPIError(
                f"Sentry answered {status} to {call} and redirects to {where}; pass that "
                "address as --url (redirects are not followed so the token is not sent on).",
                status=status, call=call)
        message = describe_http_error(method, path, status, body, org=self.org, what=what)
        if status == 429:
            reset = _float_header(resp.headers, "X-Sentry-Rate-Limit-Reset")
            wait = None
            if reset is not None:
                # On Sentry's clock, and never longer than a window (sentry/deadline.py).
                reset = capped_reset(reset, resp.headers)
                self.gate.exhausted_until(bucket, reset)
                wait = max(0.0, reset - time.time() - (server_skew(resp.headers) or 0.0)) + 0.01
            raise _Retry(SentryAPIError(message, status=status, call=call, body=body), wait)
        if status >= 500:
            err = SentryAPIError(message, status=status, call=call, body=body)
            if method == "POST":
                raise UncertainWriteError(message, status=status, call=call, body=body)
            raise _Retry(err)
        if status in (401, 403):
            raise AuthError(message, status=status, call=call, body=body)
        raise SentryAPIError(message, status=status, call=call, body=body)


_INVALID = object()


def _parse_body(resp: requests.Response) -> JSON:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return _INVALID


def _cursor_from_url(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


def _new_session(max_concurrency: int) -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4,
                                            pool_maxsize=max(10, max_concurrency + 4),
                                            max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # The environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...) is read once per client
    # by _environment_settings and passed with each request, instead of again per request.
    # It also keeps a ~/.netrc entry from replacing the token's Authorization header.
    session.trust_env = False
    return session


def _environment_settings(base_url: str) -> dict[str, Any]:
    """requests' proxies, TLS verification (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) and client
    certificate for this base URL, as a session that trusts the environment would use."""
    with requests.Session() as probe:
        probe.trust_env = True
        found = probe.merge_environment_settings(base_url + "/", {}, None, None, None)
    return {"proxies": found["proxies"], "verify": found["verify"], "cert": found["cert"]}
