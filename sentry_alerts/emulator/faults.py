"""Faults on demand: make the emulator misbehave the way a real Sentry (or network) does.

Python API (tests): `emu.faults.add(kind, route=..., path=..., method=..., times=..., ...)` or the
short forms below; admin HTTP API: POST /__emulator__/faults with the same fields as JSON.

Kinds:
- "latency": sleep `delay` seconds before answering (the request is then handled normally).
- "error": answer `status` (default 500, Sentry's "Internal Error" body) without running the handler.
- "rate_limit": answer 429 with Sentry's body, no Retry-After (a 429 storm).
- "brownout": answer 410 `{"message": "This API no longer exists."}` (SaaS deprecation brownout).
- "reset": close the connection with a TCP reset before the handler runs (nothing changes).
- "drop_after_commit": run the handler (the change IS committed), then close the connection
  without sending any answer.
- "page_error": the listing's page number `page` (1 = first page) answers 500; other pages work.
- "slack_lookup_failed", "slack_lookup_stuck": the async Slack lookup a legacy create or update
  starts fails, or never finishes (slack_lookup_faults.py).

Matching: `route` is a route name or glob ("alert_rules.create", "alert_rules.*", "detectors.*"),
`path` a regular expression searched in the request path, `method` an HTTP method; each left
out matches anything. `times` is how many matching requests the fault hits (None = until cleared).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import asdict, dataclass, field
from itertools import count
from typing import Any

SLACK_LOOKUP_FAILED, SLACK_LOOKUP_STUCK = "slack_lookup_failed", "slack_lookup_stuck"
KINDS = ("latency", "error", "rate_limit", "brownout", "reset", "drop_after_commit", "page_error",
         SLACK_LOOKUP_FAILED, SLACK_LOOKUP_STUCK)
_fault_ids = count(1)


@dataclass
class Fault:
    kind: str
    route: str | None = None
    path: str | None = None
    method: str | None = None
    times: int | None = 1  # None = forever
    delay: float = 0.0  # latency
    status: int = 500  # error
    body: Any = None  # error: body to send instead of Sentry's "Internal Error"
    page: int | None = None  # page_error: 1-based page number
    id: int = field(default_factory=lambda: next(_fault_ids))
    hits: int = 0

    def matches(self, route_name: str | None, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.route and not (route_name and fnmatch.fnmatchcase(route_name, self.route)):
            return False
        return not (self.path and not re.search(self.path, path))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultSet:
    """The active faults. Thread-safe; a fault is used up after `times` hits."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, *, route: str | None = None, path: str | None = None,
            method: str | None = None, times: int | None = 1, delay: float = 0.0,
            status: int = 500, body: Any = None, page: int | None = None) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if kind == "page_error" and (page is None or page < 1):
            raise ValueError("a page_error fault needs page >= 1 (1 = the first page)")
        if path is not None:
            re.compile(path)
        fault = Fault(kind, route, path, method, times, float(delay), int(status), body, page)
        with self._lock:
            self._faults.append(fault)
        return fault

    # Short forms, one per kind.
    def latency(self, seconds: float, *, times: int | None = None, **match: Any) -> Fault:
        return self.add("latency", delay=seconds, times=times, **match)

    def error_burst(self, times: int, *, status: int = 500, body: Any = None, **match: Any) -> Fault:
        return self.add("error", times=times, status=status, body=body, **match)

    def rate_limit_storm(self, times: int, **match: Any) -> Fault:
        return self.add("rate_limit", times=times, **match)

    def brownout(self, times: int | None = 1, **match: Any) -> Fault:
        return self.add("brownout", times=times, **match)

    def reset(self, times: int = 1, **match: Any) -> Fault:
        return self.add("reset", times=times, **match)

    def drop_after_commit(self, times: int = 1, **match: Any) -> Fault:
        return self.add("drop_after_commit", times=times, **match)

    def failing_page(self, page: int, *, times: int | None = 1, **match: Any) -> Fault:
        return self.add("page_error", page=page, times=times, **match)

    def slack_lookup_fails(self, times: int | None = 1, **match: Any) -> Fault:
        return self.add(SLACK_LOOKUP_FAILED, times=times, **match)

    def slack_lookup_stuck(self, times: int | None = 1, **match: Any) -> Fault:
        return self.add(SLACK_LOOKUP_STUCK, times=times, **match)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, kinds: tuple[str, ...], route_name: str | None, method: str, path: str,
             page: int | None = None) -> Fault | None:
        """The first active fault of one of `kinds` matching this request, counted as a hit."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault.matches(route_name, method, path):
                    continue
                if fault.kind == "page_error" and fault.page != page:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
