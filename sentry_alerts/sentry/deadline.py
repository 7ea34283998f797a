"""Bounded waiting: one overall deadline per command, and rate-limit resets on Sentry's clock.

- `Deadline`: the whole command (plan, apply) ends within `--timeout` seconds (default
  DEFAULT_COMMAND_TIMEOUT). Every request checks it before it is sent, retries and their
  waits are cut to it, and each attempt's read timeout is too; once it has run out, requests
  fail at once with a `DeadlineError` that names the option, so apply reports each change not
  done as failed with that reason, after the ones it did.
- Rate-limit resets: Sentry's `X-Sentry-Rate-Limit-Reset` is an epoch second on Sentry's
  clock. Read against this machine's clock, a server 300 s ahead looks like a 300 s wait; so
  the pacing gate and the 429 wait correct by the skew its `Date` header shows
  (`server_skew`), and no reset is further than MAX_RESET_WAIT from Sentry's now
  (`capped_reset`), however far the header says.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from sentry_alerts.errors import SentryAPIError

DEFAULT_COMMAND_TIMEOUT = 900.0  # seconds: far above a 1,000-alert apply (about 60 s)
MAX_RESET_WAIT = 60.0  # seconds: Sentry's rate-limit windows are at most a minute (notes §1.5)


class DeadlineError(SentryAPIError):
    """The command's overall --timeout ran out."""


class Deadline:
    def __init__(self, seconds: float | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + seconds if seconds is not None else None

    def remaining(self) -> float:
        return float("inf") if self.end is None else max(0.0, self.end - self._clock())

    def check(self, call: str) -> None:
        """Raise DeadlineError when the deadline has passed (before sending `call`)."""
        if self.end is not None and self._clock() >= self.end:
            raise DeadlineError(
                f"the command's overall --timeout of {self.seconds:g} s ran out before {call} "
                "was sent; what was done before it stays done. Run it again (apply continues "
                "where this run stopped), or pass a longer --timeout.", call=call)


def _server_now(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def server_skew(headers: Mapping[str, str]) -> float | None:
    """Sentry's clock minus ours, when its Date header says they differ by more than its
    one-second resolution (else None: no correction)."""
    server = _server_now(headers)
    if server is None:
        return None
    skew = server - time.time()
    return skew if abs(skew) > 2.0 else 0.0


def capped_reset(reset: float, headers: Mapping[str, str]) -> float:
    """Sentry's reset time (its clock), no further than MAX_RESET_WAIT from its now."""
    now = _server_now(headers) or time.time()
    return min(reset, now + MAX_RESET_WAIT)
