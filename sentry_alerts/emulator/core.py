"""The emulator's building blocks: requests, responses, errors, routing and the org's state.

Handlers are plain functions `handler(emu, req, **path_params) -> Response`. They raise
`ApiError` for any non-2xx answer, with Sentry's exact body. The HTTP server (server.py) turns
sockets into `Request`s, applies auth, rate limits and faults, and calls the router.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = Any


@dataclass
class Request:
    method: str
    path: str  # without the query string, always ending in "/" for API routes
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: JSON = None  # parsed JSON body, or None
    raw_body: bytes = b""
    token: str | None = None  # the bearer token, once authenticated
    scopes: frozenset[str] = frozenset()
    user_id: int | None = None  # the token's user (for createdBy, permission checks)
    route_name: str | None = None  # the matched route's name, e.g. "alert_rules.list"

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, []))


@dataclass
class Response:
    status: int = 200
    body: JSON = None  # JSON-serialisable, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Any non-2xx answer. `body` is sent as JSON exactly as given (dict, list or string);
    None sends an empty body."""

    def __init__(self, status: int, body: JSON = None, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


NOT_FOUND_BODY = {"detail": "The requested resource does not exist"}
FORBIDDEN_BODY = {"detail": "You do not have permission to perform this action."}


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND_BODY)


def forbidden() -> ApiError:
    return ApiError(403, FORBIDDEN_BODY)


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: str  # e.g. "/api/0/organizations/{org}/detectors/{detector_id}/"
    regex: re.Pattern[str]
    handler: Handler
    scopes: frozenset[str]  # any one of these scopes allows the call; empty = no token needed
    name: str  # short name used by rate limits and fault rules, e.g. "detectors.list"


class Router:
    """Maps (method, path) to handlers. Path parameters are `{name}` segments."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, *, scopes: set[str] | frozenset[str],
            name: str) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append(Route(method, pattern, regex, handler, frozenset(scopes), name))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_exists). path_exists is True when the path matched some route
        under another method (so the answer is 405, not 404)."""
        path_exists = False
        for route in self.routes:
            m = route.regex.match(path)
            if not m:
                continue
            if route.method == method:
                return route, m.groupdict(), True
            path_exists = True
        return None, {}, path_exists


def json_copy(value: JSON) -> JSON:
    """A deep copy of JSON data (dicts, lists, scalars): what a handler sends must not change
    when the stored object does. A third of `copy.deepcopy`'s cost, which mattered for lists
    of 10,000 alerts (issue 11)."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def iso_now() -> str:
    """Sentry's timestamp format: ISO-8601 with microseconds and `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class IdSequence:
    """Thread-safe increasing integer ids, rendered as strings like Sentry's."""

    def __init__(self, start: int = 1) -> None:
        self._next = start
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value

    def peek(self) -> int:
        """The id `next()` would return (for saving state)."""
        with self._lock:
            return self._next

    def advance_past(self, used: int) -> None:
        """Make sure later ids are greater than `used` (seeded or restored objects)."""
        with self._lock:
            self._next = max(self._next, used + 1)
