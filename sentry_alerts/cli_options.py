"""Options several commands share (plan, apply, import, drift), defined once so they read the
same everywhere. Kept out of cli.py, which imports the command modules that use them."""

from __future__ import annotations

from typing import Annotated

import typer

from sentry_alerts.errors import SentryAlertsError

# The same names as sentry/connect.py's (not imported from there: it loads requests, which
# `--help` must not).
BACKENDS = ("auto", "alert-rules", "monitors")

VerboseOpt = Annotated[
    bool, typer.Option("-v", "--verbose", help="Log each HTTP call on stderr: method, path, "
                       "status, time and attempt (never headers or the token).")]
RetryBudgetOpt = Annotated[
    int, typer.Option("--retry-budget", metavar="SECONDS",
                      help="Each request that fails in passing (5xx, 429, a dropped "
                        "connection) is retried, each retry announced on stderr, for at most "
                        "this long and 10 attempts. A wrong or dead --url (DNS, refused, TLS) "
                        "fails at once.")]



def check_backend(backend: str) -> str:
    """--backend as given, or one sentence listing the choices."""
    if backend not in BACKENDS:
        raise SentryAlertsError(f"unknown --backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    return backend


__all__ = ["BACKENDS", "RetryBudgetOpt", "VerboseOpt", "check_backend"]
