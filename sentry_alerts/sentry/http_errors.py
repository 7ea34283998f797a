"""Failures as sentences: what Sentry's error bodies and a request that got no answer mean, in
one clause each, with what to do (docs/sentry-api.md, "Errors"). The client raises them; the
guide, the fault matrix and the tests read the same words."""

from __future__ import annotations

import re
import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from sentry_alerts.errors import SentryAPIError

JSON = Any


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
                  "`auto`) in the policy, or in the transaction that names its own `dataset:`")
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


def connection_failure(base: str, exc: BaseException) -> tuple[str, str]:
    """(kind, one clause saying what happened and what to do) for a request that got no
    answer."""
    host = urlsplit(base).hostname or base
    chain = exception_chain(exc)
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


def retry_cause(error: SentryAPIError) -> str:
    """What went wrong with one attempt, briefly, for the retry notice."""
    if error.status == 429:
        return f"Sentry rate-limited {error.call} (429)"
    if error.status is not None:
        return f"Sentry answered {error.status} to {error.call}"
    return f"{error.call} got no answer"


def exception_chain(exc: BaseException) -> list[BaseException]:
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


def not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (safe to retry any method)."""
    chain = exception_chain(exc)
    return any(isinstance(e, requests.exceptions.ConnectTimeout | urllib3.exceptions.NewConnectionError
                          | urllib3.exceptions.ConnectTimeoutError) for e in chain)
