"""What the commands show on a terminal while they work: a status line for slow steps, the
apply's progress bar, and the apply's report as each alert finishes.

The renderers (`render/`) only turn finished data (a plan, an outcome, a result) into text;
this module decides when and where that text is written. `apply.py` knows neither.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from sentry_alerts.visible_text import visible

if TYPE_CHECKING:
    from sentry_alerts.apply import ApplyResult, Outcome
    from sentry_alerts.plan_data import Plan
    from sentry_alerts.sentry.backend import Backend


class _StderrNotices(logging.Handler):
    """The client's log records for people, on whatever sys.stderr is at the time (the CLI's
    test runner swaps it): warnings (retries, deprecations) as `warning: …`, and with -v each
    HTTP call as it happened. A status line drawn in place is cleared first."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = visible(record.getMessage(), lines=True)  # Sentry's words, shown safely
            if record.levelno >= logging.WARNING:
                text = "warning: " + text
            stream = sys.stderr
            erase = "\r\033[K" if hasattr(stream, "isatty") and stream.isatty() else ""
            stream.write(erase + text + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - a notice must never break the command
            self.handleError(record)


_NOTICES = _StderrNotices()


def show_notices(*, verbose: bool) -> None:
    """Route sentry-alerts' log records to stderr: warnings always, each HTTP call with -v."""
    logger = logging.getLogger("sentry_alerts")
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    if _NOTICES not in logger.handlers:
        logger.addHandler(_NOTICES)
    logger.propagate = False


class StatusLine:
    """Slow steps (a Slack lookup Sentry runs in the background) report on stderr: in place on
    a terminal (cleared before the plan is printed), else each kind of message once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.seen: set[str] = set()
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + message)
            self.stream.flush()
            self.shown = True
            return
        kind = re.sub(r"\d+", "#", message)
        if kind not in self.seen:
            self.seen.add(kind)
            self.stream.write(message + "\n")
            self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when `enabled` (a terminal with more work
    than fits on one screen). `clear()` before printing other lines, `advance()` after."""

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr

    @staticmethod
    def wanted(total: int, stream: TextIO | None = None) -> bool:
        stream = stream or sys.stderr
        is_tty = hasattr(stream, "isatty") and stream.isatty()
        return bool(is_tty and total > shutil.get_terminal_size().lines)

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} alerts")
        self.stream.flush()

    def close(self) -> None:
        self.clear()


class StopOnCtrlC:
    """While active (a `with` block in the main thread): the first Ctrl-C or SIGTERM (a CI job
    cancelled, `kill`) sets `event` (apply sends nothing more, waits for the changes in flight,
    and reports as usual: what was done, what was not sent); a second signal exits at once,
    leaving the changes in flight to Sentry. `exit_code`: 130 after Ctrl-C, 143 after SIGTERM,
    as shells report them."""

    def __init__(self, err: TextIO | None = None) -> None:
        self.event = threading.Event()
        self.err = err or sys.stderr
        self.signum: int | None = None  # the first signal received
        self._previous: Any = None
        self._previous_term: Any = None
        self._installed = False

    @property
    def exit_code(self) -> int:
        from sentry_alerts.errors import EXIT_INTERRUPTED, EXIT_TERMINATED

        return EXIT_TERMINATED if self.signum == signal.SIGTERM else EXIT_INTERRUPTED

    def __enter__(self) -> StopOnCtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._previous_term = signal.signal(signal.SIGTERM, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            signal.signal(signal.SIGTERM, self._previous_term)
            self._installed = False

    def _handle(self, signum: int, frame: object) -> None:
        if self.event.is_set():
            self.err.write(("\nTerminated again (SIGTERM)" if signum == signal.SIGTERM else
                            "\nInterrupted again") + ": exiting now. The changes that were in "
                           "flight may still complete in Sentry; run plan to see.\n")
            for stream in (sys.stdout, self.err):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(128 + signum)
        self.signum = signum
        self.event.set()
        if signum == signal.SIGTERM:
            self.err.write("\nTerminated (SIGTERM): stopping. Nothing more is sent to Sentry; "
                           "waiting for the changes in flight to finish, then reporting what "
                           "was done (a second SIGTERM or Ctrl-C quits at once).\n")
        else:
            self.err.write("\nStopping: nothing more is sent to Sentry; waiting for the "
                           "changes in flight to finish (press Ctrl-C again to quit at "
                           "once).\n")
        self.err.flush()


def apply_and_report(plan: Plan, backend: Backend, *, out: TextIO, err: TextIO,
                     parallelism: int | None = None, color: bool = False,
                     stop: threading.Event | None = None) -> ApplyResult:
    """`apply_plan` for people: one line per alert on `out` as it finishes, a progress bar on
    `err` when it is a terminal and the work is more than a screenful, then the summary (also
    after `stop` ended it early: what was done, what was not sent)."""
    from sentry_alerts.apply import DEFAULT_PARALLELISM, apply_plan
    from sentry_alerts.render.text import apply_summary, outcome_line

    total = len(plan.executable) + len(plan.of("conflict"))
    bar = ProgressBar(total, enabled=ProgressBar.wanted(total, err), stream=err)

    def show(outcome: Outcome) -> None:
        if outcome.status == "not sent":  # counted in the summary, not listed one by one
            return
        bar.clear()
        out.write(outcome_line(outcome, color=color) + "\n")
        out.flush()
        bar.advance()

    try:
        result = apply_plan(plan, backend, parallelism=parallelism or DEFAULT_PARALLELISM,
                            on_outcome=show, stop=stop)
    finally:
        bar.close()
    out.write("\n" + apply_summary(result, color=color) + "\n")
    out.flush()
    return result


__all__ = ["ProgressBar", "StatusLine", "StopOnCtrlC", "apply_and_report", "show_notices"]
