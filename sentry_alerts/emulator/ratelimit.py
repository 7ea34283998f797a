"""Sentry's API rate limits (SaaS only; notes §1.5): fixed windows per (caller, endpoint) and a
concurrency limit, with X-Sentry-Rate-Limit-* headers and 429 bodies without Retry-After."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from sentry_alerts.emulator.core import ApiError
from sentry_alerts.emulator.profiles import RateLimit

RATE_MESSAGE = ("You are attempting to use this endpoint too frequently. Limit is {limit} "
                "requests in {window} seconds")
CONCURRENT_MESSAGE = ("You are attempting to go above the allowed concurrency for this endpoint. "
                      "Concurrency limit is {limit}")


@dataclass
class Admission:
    key: tuple[str, str]
    headers: dict[str, str]
    error: ApiError | None  # set when the request is refused (429)
    holds_slot: bool  # True: call release() when the request is done


class RateLimiter:
    def __init__(self, config: RateLimit) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (window start, count)
        self._in_flight: dict[tuple[str, str], int] = {}

    def admit(self, caller: str, route_name: str) -> Admission:
        cfg = self.config
        key = (caller, route_name)
        now = time.time()
        window_start = int(now // cfg.window) * cfg.window
        reset = math.ceil(window_start + cfg.window)
        with self._lock:
            start, used = self._windows.get(key, (window_start, 0))
            if start != window_start:
                start, used = window_start, 0
            in_flight = self._in_flight.get(key, 0)
            error: ApiError | None = None
            holds = False
            if used >= cfg.limit:
                error = ApiError(429, {"detail": RATE_MESSAGE.format(limit=cfg.limit,
                                                                     window=cfg.window)})
            else:
                used += 1
                if in_flight >= cfg.concurrent:
                    error = ApiError(429, {"detail": CONCURRENT_MESSAGE.format(
                        limit=cfg.concurrent)})
                else:
                    in_flight += 1
                    holds = True
                    self._in_flight[key] = in_flight
            self._windows[key] = (start, used)
        headers = {
            "X-Sentry-Rate-Limit-Remaining": str(max(cfg.limit - used, 0)),
            "X-Sentry-Rate-Limit-Limit": str(cfg.limit),
            "X-Sentry-Rate-Limit-Reset": str(reset),
            "X-Sentry-Rate-Limit-ConcurrentRemaining": str(max(cfg.concurrent - in_flight, 0)),
            "X-Sentry-Rate-Limit-ConcurrentLimit": str(cfg.concurrent),
        }
        return Admission(key, headers, error, holds)

    def release(self, admission: Admission) -> None:
        if not admission.holds_slot:
            return
        with self._lock:
            self._in_flight[admission.key] = max(self._in_flight.get(admission.key, 1) - 1, 0)
