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

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import tenacity

from sentry_alerts import __version__
from sentry_alerts.errors import AuthError, SentryAPIError
from sentry_alerts.sentry.deadline import Deadline, DeadlineError, capped_reset, server_skew
from sentry_alerts.sentry.http_errors import (
    FAIL_FAST_KINDS,
    connection_failure,
    describe_http_error,
    not_sent,
    retry_cause,
)
from sentry_alerts.sentry.listing import page_of
from sentry_alerts.sentry.rate_gate import DEFAULT_CONCURRENCY, RateGate, float_header
from sentry_alerts.sentry.transport import check_url, environment_settings, new_session

log = logging.getLogger("sentry_alerts.sentry")

PER_PAGE = 100  # Sentry's maximum (notes §1.4)
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRY_BUDGET = 120.0  # seconds one request may spend on retries
DEFAULT_MAX_ATTEMPTS = 10  # and at most this many tries
CONNECT_TIMEOUT = 5.0  # seconds to open a connection (a dead host fails this fast)

JSON = Any


class UncertainWriteError(SentryAPIError):
    """A POST may or may not have been applied (its answer was lost or was a 5xx).

    Retrying it blindly could create a duplicate; the caller must look the object up first.
    `still_running` is True when no answer came in time: Sentry may still be working on it.
    """

    still_running = False


@dataclass
class ApiResponse:
    status: int
    body: JSON
    headers: Mapping[str, str]
    links: dict[str, dict[str, str]] = field(default_factory=dict)


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
        self._session = session or new_session(max_concurrency)
        # Proxies and CA bundle from the environment, read once (our sessions do not read it
        # again per request: that cost about a millisecond a request, 10,000 times in an apply).
        self._environment = environment_settings(self.base_url) \
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
                        "for at most %g s)", retry_cause(exc.final), delay,
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
            kind, reason = connection_failure(self.base_url, exc)
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
            if method == "POST" and not not_sent(exc):
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
            reset = float_header(resp.headers, "X-Sentry-Rate-Limit-Reset")
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
