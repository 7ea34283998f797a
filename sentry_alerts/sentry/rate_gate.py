"""Pacing under Sentry's rate limits: at most `X-Sentry-Rate-Limit-ConcurrentLimit` requests in
flight per bucket, and a wait for the next window when `X-Sentry-Rate-Limit-Remaining` says the
current one is used up (notes §1.5; docs/sentry-api.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sentry_alerts.sentry.deadline import Deadline, capped_reset, server_skew

DEFAULT_CONCURRENCY = 25  # Sentry SaaS's usual concurrent limit (notes §1.5)


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
        concurrent = int_header(headers, "X-Sentry-Rate-Limit-ConcurrentLimit")
        if concurrent is not None and concurrent > 0:
            self.capacity = max(1, min(self.capacity, concurrent))
        remaining = int_header(headers, "X-Sentry-Rate-Limit-Remaining")
        limit = int_header(headers, "X-Sentry-Rate-Limit-Limit")
        reset = float_header(headers, "X-Sentry-Rate-Limit-Reset")
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


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
