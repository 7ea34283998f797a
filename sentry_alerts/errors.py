"""Errors a user sees, and the exit codes they map to.

Every failure that reaches the CLI is a `SentryAlertsError` with a one-paragraph message:
what went wrong, and what to do. The CLI prints `error: <message>` and exits with `exit_code`;
it never shows a traceback for these.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode found changes
EXIT_MANUAL_GUIDE = 3  # no API access: a manual setup guide was written instead
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
EXIT_TERMINATED = 143  # SIGTERM (128 + 15: a CI job cancelled, `kill`)
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE: `... | head`)


class SentryAlertsError(Exception):
    """A failure with a message meant for a person."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicyError(SentryAlertsError):
    """The policy file cannot be used (see the diagnostics for details)."""


class SentryAPIError(SentryAlertsError):
    """Sentry answered a call with an error, or could not be reached.

    `status` is the HTTP status (None when no answer came); `call` names the call, e.g.
    `POST /api/0/organizations/acme/alert-rules/`.
    """

    def __init__(self, message: str, *, status: int | None = None, call: str | None = None,
                 body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.call = call
        self.body = body


class AuthError(SentryAPIError):
    """401/403, or no token at all: the caller may fall back to a manual guide."""


class StalePlanError(SentryAlertsError):
    """A saved plan no longer matches the policy or the live alerts."""
